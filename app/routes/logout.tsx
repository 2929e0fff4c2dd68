import { redirect, type ActionFunctionArgs } from '@remix-run/node';
import { redirectWithFlash } from '~/lib/flash.server';
import { callOrThrow, getCaller } from '~/lib/trpc.server';

export async function action({ request, context }: ActionFunctionArgs) {
  if (context.session) await callOrThrow(request, () => getCaller(context).auth.signOut());
  return redirectWithFlash(request, '/login', { tone: 'success', text: 'You have signed out.' });
}

/** Signing out is a POST; a GET (a link, a prefetch) must not end the session. */
export function loader() {
  return redirect('/integrations');
}
