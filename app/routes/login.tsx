import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useNavigation, useSearchParams } from '@remix-run/react';
import { getCaller, toFailure } from '~/lib/trpc.server';

export const meta: MetaFunction = () => [{ title: 'Sign in · Plugboard' }];

/** Only same-site paths: an open redirect after sign-in would be a phishing tool. */
function safeRedirect(to: FormDataEntryValue | string | null): string {
  if (typeof to !== 'string' || !to.startsWith('/') || to.startsWith('//') || to.startsWith('/\\')) {
    return '/integrations';
  }
  return to;
}

export function loader({ request, context }: LoaderFunctionArgs) {
  if (context.session) return redirect(safeRedirect(new URL(request.url).searchParams.get('redirectTo')));
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  try {
    await getCaller(context).auth.signIn({
      email: String(form.get('email') ?? ''),
      password: String(form.get('password') ?? ''),
    });
  } catch (error) {
    const failure = toFailure(error);
    if (failure.status >= 500) throw error;
    return json(
      { message: failure.message, fieldErrors: failure.fieldErrors ?? {}, email: String(form.get('email') ?? '') },
      { status: failure.status },
    );
  }
  return redirect(safeRedirect(form.get('redirectTo')));
}

export default function Login() {
  const data = useActionData<typeof action>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const busy = navigation.state !== 'idle' && navigation.formAction === '/login';
  return (
    <main className="page narrow">
      <h1>Sign in to Plugboard</h1>
      <Form method="post" className="card" noValidate>
        {data?.message ? (
          <p className="alert error" role="alert">
            {data.message}
          </p>
        ) : null}
        <input type="hidden" name="redirectTo" value={params.get('redirectTo') ?? '/integrations'} />
        <label htmlFor="email">Email</label>
        <input
          id="email"
          name="email"
          type="email"
          autoComplete="username"
          required
          defaultValue={data?.email}
          aria-invalid={data?.fieldErrors?.email ? true : undefined}
          aria-describedby={data?.fieldErrors?.email ? 'email-error' : undefined}
        />
        {data?.fieldErrors?.email ? (
          <p id="email-error" className="field-error">
            {data.fieldErrors.email[0]}
          </p>
        ) : null}
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          aria-invalid={data?.fieldErrors?.password ? true : undefined}
          aria-describedby={data?.fieldErrors?.password ? 'password-error' : undefined}
        />
        {data?.fieldErrors?.password ? (
          <p id="password-error" className="field-error">
            {data.fieldErrors.password[0]}
          </p>
        ) : null}
        <p>
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </p>
      </Form>
    </main>
  );
}
