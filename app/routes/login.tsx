import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useNavigation, useSearchParams } from '@remix-run/react';
import { safeRedirect } from '~/lib/safe-redirect';
import { getCaller, toFailure } from '~/lib/trpc.server';
import { readForm } from '~/lib/form';

export const meta: MetaFunction = () => [{ title: 'Sign in · Plugboard' }];

export function loader({ request, context }: LoaderFunctionArgs) {
  if (context.session) return redirect(safeRedirect(new URL(request.url).searchParams.get('redirectTo')));
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  try {
    await getCaller(context).auth.signIn({
      email: String(form.get('email') ?? ''),
      password: String(form.get('password') ?? ''),
    });
  } catch (error) {
    const failure = toFailure(error);
    if (failure.status >= 500) throw error;
    // Throttled: 429 with Retry-After, so clients and proxies know when to come back.
    const headers: Record<string, string> =
      failure.retryAfterSeconds !== undefined ? { 'Retry-After': String(failure.retryAfterSeconds) } : {};
    return json(
      { message: failure.message, fieldErrors: failure.fieldErrors ?? {}, email: String(form.get('email') ?? '') },
      { status: failure.status, headers },
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
        <input type="hidden" name="redirectTo" value={safeRedirect(params.get('redirectTo'))} />
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
