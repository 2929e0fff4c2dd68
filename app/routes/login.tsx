import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useNavigation, useSearchParams } from '@remix-run/react';
import { AppShell } from '~/components/AppShell';
import { Alert } from '~/components/ui/alert';
import { Button } from '~/components/ui/button';
import { Card } from '~/components/ui/card';
import { Field } from '~/components/ui/field';
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
    <AppShell user={null} width="narrow">
      <h1 className="mb-4 text-2xl font-bold">Sign in to Plugboard</h1>
      <Card>
        <Form method="post" className="flex flex-col gap-4" noValidate>
          {data?.message ? <Alert tone="error">{data.message}</Alert> : null}
          <input type="hidden" name="redirectTo" value={safeRedirect(params.get('redirectTo'))} />
          <Field
            label="Email"
            id="email"
            name="email"
            type="email"
            autoComplete="username"
            required
            defaultValue={data?.email}
            errors={data?.fieldErrors?.email}
          />
          <Field
            label="Password"
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            errors={data?.fieldErrors?.password}
          />
          <div>
            <Button type="submit" disabled={busy}>
              {busy ? 'Signing in…' : 'Sign in'}
            </Button>
          </div>
        </Form>
      </Card>
    </AppShell>
  );
}
