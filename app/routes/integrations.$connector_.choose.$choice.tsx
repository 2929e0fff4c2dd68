/**
 * A choice after consent: the authorization reaches several accounts (Atlassian sites) and the
 * admin who connected picks one. A plain form, so it works without JavaScript. The choice is
 * bound to the admin's session and expires; an unknown or expired one sends the admin back to
 * the connector page with a flash notice.
 */
import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { AppShell } from '~/components/AppShell';
import { ConnectorIcon } from '~/components/ConnectorIcon';
import { LocalTime } from '~/components/connector/format';
import { Alert } from '~/components/ui/alert';
import { Button } from '~/components/ui/button';
import { PageHeader } from '~/components/ui/page-header';
import { connectedText, flowMessage } from '~/lib/connector-messages';
import { redirectWithFlash } from '~/lib/flash.server';
import { readForm } from '~/lib/form';
import { callOrThrow, connectorCaller, failureReason, getCaller, requireSession, toFailure } from '~/lib/trpc.server';

const NO_STORE = { 'Cache-Control': 'no-store' };

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `Choose a ${data?.connector.name ?? ''} account · Plugboard` },
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function connectorOf(request: Request, context: LoaderFunctionArgs['context'], id: string) {
  const connector = await callOrThrow(request, () => getCaller(context).catalog.get({ id }));
  if (connector.availability !== 'available') throw new Response(null, { status: 404, statusText: 'Not Found' });
  return connector;
}

/** Back to the connector page with the notice for `reason`. */
function back(request: Request, connector: { id: string; name: string }, reason: string) {
  return redirectWithFlash(request, `/integrations/${connector.id}`, flowMessage(reason, connector.name)!, { headers: NO_STORE });
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const session = requireSession(request, context);
  const id = params.connector ?? '';
  const connector = await connectorOf(request, context, id);
  const choiceId = params.choice ?? '';
  if (!UUID.test(choiceId)) throw await back(request, connector, 'choice_unknown');
  try {
    const choice = await connectorCaller(context, id).choice({ id: choiceId });
    return json(
      { user: { email: session.email, role: session.role, tenantName: session.tenantName }, connector, choice, choiceId },
      { headers: NO_STORE },
    );
  } catch (error) {
    const failure = toFailure(error);
    if (failure.code === 'NOT_FOUND') throw await back(request, connector, 'choice_unknown');
    throw new Response(failure.message, { status: failure.status });
  }
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  requireSession(request, context);
  const id = params.connector ?? '';
  const connector = await connectorOf(request, context, id);
  const page = `/integrations/${id}`;
  const choiceId = params.choice ?? '';
  if (!UUID.test(choiceId)) return back(request, connector, 'choice_unknown');
  const form = await readForm(request);
  const procedures = connectorCaller(context, id);
  try {
    if (form.get('intent') === 'cancel') {
      await procedures.cancelChoice({ id: choiceId });
      return back(request, connector, 'choice_cancelled');
    }
    const account = form.get('account');
    const { finishing } = await procedures.choose({ id: choiceId, account: typeof account === 'string' ? account : '' });
    // `?finishing=1`: the page follows the status until the background save shows.
    if (finishing) return redirect(`${page}?finishing=1`, { headers: NO_STORE });
    return redirectWithFlash(request, page, { tone: 'success', text: connectedText(connector.name) }, { headers: NO_STORE });
  } catch (error) {
    const failure = toFailure(error);
    // A missing pick is the admin's to fix here; anything else ends the attempt.
    if (failure.code === 'BAD_REQUEST') return json({ message: failure.message }, { status: 400 });
    return back(request, connector, failure.code === 'NOT_FOUND' ? 'choice_unknown' : failureReason(error));
  }
}

export default function ChooseAccount() {
  const { user, connector, choice } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  return (
    <AppShell user={user}>
      <p className="mb-4">
        <Link to={`/integrations/${connector.id}`}>← {connector.name}</Link>
      </p>
      <PageHeader
        className="connector-head"
        icon={<ConnectorIcon name={connector.name} brandColor={connector.brandColor} icon={connector.icon} size={48} />}
        title={`Choose the ${connector.name} account to connect`}
        description={`The authorization you approved reaches ${choice.accounts.length} accounts. Pick the one this workspace should use; nothing is connected until you do.`}
      />
      <div className="flex flex-col gap-4 rounded-lg border border-border bg-card p-5">
        {actionData && 'message' in actionData ? <Alert tone="error">{actionData.message}</Alert> : null}
        <Form method="post" className="flex flex-col gap-4">
          <fieldset className="flex flex-col gap-2">
            <legend className="mb-2 text-lg font-bold">Accounts</legend>
            {choice.accounts.map((account, index) => (
              <label
                key={account.id}
                className="flex min-w-0 cursor-pointer flex-wrap items-center gap-x-3 gap-y-1 rounded-md border border-border p-3 has-[:checked]:border-primary"
              >
                <input type="radio" name="account" value={account.id} defaultChecked={index === 0} required />
                <strong>{account.name}</strong> <span className="break-all text-sm text-muted-foreground">{account.id}</span>
              </label>
            ))}
          </fieldset>
          <div className="flex flex-wrap gap-3">
            <Button type="submit" name="intent" value="choose" disabled={busy}>
              Connect this account
            </Button>
            <Button type="submit" name="intent" value="cancel" variant="secondary" formNoValidate disabled={busy}>
              Cancel
            </Button>
          </div>
        </Form>
        <p className="text-sm text-muted-foreground">
          This choice expires at <LocalTime iso={choice.expiresAt} />.
        </p>
      </div>
    </AppShell>
  );
}
