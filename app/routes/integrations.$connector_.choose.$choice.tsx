/**
 * A choice after consent: the authorization reaches several accounts (Atlassian sites) and the
 * admin who connected picks one. A plain form, so it works without JavaScript. The choice is
 * bound to the admin's session and expires; an unknown or expired one sends the admin back to
 * the connector page with a message.
 */
import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { AppShell } from '~/components/AppShell';
import { ConnectorIcon } from '~/components/ConnectorIcon';
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

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const session = requireSession(request, context);
  const id = params.connector ?? '';
  const connector = await connectorOf(request, context, id);
  const page = `/integrations/${id}`;
  const choiceId = params.choice ?? '';
  if (!UUID.test(choiceId)) throw redirect(`${page}?error=choice_unknown`, { headers: NO_STORE });
  try {
    const choice = await connectorCaller(context, id).choice({ id: choiceId });
    return json(
      { user: { email: session.email, role: session.role, tenantName: session.tenantName }, connector, choice, choiceId },
      { headers: NO_STORE },
    );
  } catch (error) {
    const failure = toFailure(error);
    if (failure.code === 'NOT_FOUND') throw redirect(`${page}?error=choice_unknown`, { headers: NO_STORE });
    throw new Response(failure.message, { status: failure.status });
  }
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  requireSession(request, context);
  const id = params.connector ?? '';
  await connectorOf(request, context, id);
  const page = `/integrations/${id}`;
  const choiceId = params.choice ?? '';
  if (!UUID.test(choiceId)) return redirect(`${page}?error=choice_unknown`);
  const form = await readForm(request);
  const procedures = connectorCaller(context, id);
  try {
    if (form.get('intent') === 'cancel') {
      await procedures.cancelChoice({ id: choiceId });
      return redirect(`${page}?error=choice_cancelled`);
    }
    const account = form.get('account');
    const { finishing } = await procedures.choose({ id: choiceId, account: typeof account === 'string' ? account : '' });
    return redirect(`${page}?${finishing ? 'finishing' : 'success'}=true`);
  } catch (error) {
    const failure = toFailure(error);
    // A missing pick is the admin's to fix here; anything else ends the attempt.
    if (failure.code === 'BAD_REQUEST') return json({ message: failure.message }, { status: 400 });
    return redirect(`${page}?error=${failure.code === 'NOT_FOUND' ? 'choice_unknown' : failureReason(error)}`);
  }
}

export default function ChooseAccount() {
  const { user, connector, choice } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  return (
    <AppShell user={user}>
      <p>
        <Link to={`/integrations/${connector.id}`}>← {connector.name}</Link>
      </p>
      <div className="card stack" style={{ borderTop: `4px solid ${connector.brandColor}` }}>
        <div className="connector-head">
          <ConnectorIcon name={connector.name} brandColor={connector.brandColor} icon={connector.icon} size={48} />
          <h1>Choose the {connector.name} account to connect</h1>
        </div>
        <p>
          The authorization you approved reaches {choice.accounts.length} accounts. Pick the one this workspace should use;
          nothing is connected until you do.
        </p>
        {actionData?.message ? (
          <p role="alert" className="alert error">
            {actionData.message}
          </p>
        ) : null}
        <Form method="post" className="stack">
          <fieldset className="stack">
            <legend>Accounts</legend>
            {choice.accounts.map((account, index) => (
              <label key={account.id} className="row">
                <input type="radio" name="account" value={account.id} defaultChecked={index === 0} required />
                <strong>{account.name}</strong> <span className="tagline">{account.id}</span>
              </label>
            ))}
          </fieldset>
          <div className="row">
            <button type="submit" name="intent" value="choose" disabled={busy}>
              Connect this account
            </button>
            <button type="submit" name="intent" value="cancel" className="secondary" formNoValidate disabled={busy}>
              Cancel
            </button>
          </div>
        </Form>
        <p className="tagline">This choice expires at {new Date(choice.expiresAt).toLocaleTimeString('en', { timeZone: 'UTC' })} UTC.</p>
      </div>
    </AppShell>
  );
}
