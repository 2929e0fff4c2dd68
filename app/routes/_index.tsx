import { redirect, type LoaderFunctionArgs } from '@remix-run/node';

export function loader({ context }: LoaderFunctionArgs) {
  return redirect(context.session ? '/integrations' : '/login');
}
