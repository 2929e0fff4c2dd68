import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation, useRevalidator, useSearchParams } from '@remix-run/react';
import { lazy, Suspense, useCallback, useEffect, useState, type FormEvent } from 'react';
import { AppShell } from '~/components/AppShell';
import { ActivityList, eventsLimit } from '~/components/connector/ActivityList';
import { AccessList, ConnectionDetails, ConnectionFacts } from '~/components/connector/ConnectionDetails';
import { ConnectorHeader } from '~/components/connector/ConnectorHeader';
import { DisconnectConfirmation, DisconnectDialog, useFocusAfterDisconnect } from '~/components/connector/DisconnectDialog';
import { HealthBanner } from '~/components/connector/HealthBanner';
import { SettingsForm } from '~/components/connector/SettingsForm';
import { primaryActionFor, type ConnectorActionData } from '~/components/connector/types';
import { Alert } from '~/components/ui/alert';
import { Button } from '~/components/ui/button';
import type { LiveState } from '~/components/connector/LiveConnection';
import { checkResultText, connectedText, disconnectedText } from '~/lib/connector-messages';
import { redirectWithFlash } from '~/lib/flash.server';
import { readForm } from '~/lib/form';
import { callOrThrow, connectorCaller, getCaller, requireSession, toFailure } from '~/lib/trpc.server';
import type { RoutedConnectorId } from '../../server/trpc/router';

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.connector.name ?? 'Integration'} · Plugboard` },
];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const session = requireSession(request, context);
  const id = params.connector ?? '';
  const connector = await callOrThrow(request, () => getCaller(context).catalog.get({ id }));
  if (connector.availability !== 'available') {
    throw new Response(`${connector.name} is coming soon.`, { status: 404, statusText: 'Not available yet' });
  }
  const procedures = connectorCaller(context, id);
  const limit = eventsLimit(new URL(request.url));
  const [status, events] = await Promise.all([
    callOrThrow(request, () => procedures.status()),
    callOrThrow(request, () => procedures.events({ limit })),
  ]);
  return json({
    user: { email: session.email, role: session.role, tenantName: session.tenantName },
    isAdmin: session.role === 'admin',
    connector,
    status,
    events,
    limit,
  });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  requireSession(request, context);
  const id = params.connector ?? '';
  const form = await readForm(request);
  const intent = form.get('intent');
  const procedures = connectorCaller(context, id);
  let submitted: Record<string, string> = {};
  try {
    if (intent === 'connect') {
      // Every other field of the Connect form is a connection setting, named by its key.
      const settings: Record<string, string> = {};
      for (const [name, value] of form.entries()) if (name !== 'intent' && typeof value === 'string') settings[name] = value;
      submitted = settings;
      const { authorizeUrl } = await procedures.connect(Object.keys(settings).length ? { settings } : undefined);
      // A plain 302 to the provider: works with and without JavaScript.
      return redirect(authorizeUrl);
    }
    if (intent === 'connect_key') {
      // An API-key connector: the key goes to the check and the secret store only; the other
      // fields are connection settings. The key is never put in `submitted` (never echoed).
      const settings: Record<string, string> = {};
      for (const [name, value] of form.entries()) {
        if (name !== 'intent' && name !== 'apiKey' && typeof value === 'string') settings[name] = value;
      }
      submitted = settings;
      const key = form.get('apiKey');
      await procedures.connectWithKey({ apiKey: typeof key === 'string' ? key : '', settings });
      const { name } = await getCaller(context).catalog.get({ id });
      return redirectWithFlash(request, `/integrations/${id}`, { tone: 'success', text: connectedText(name) });
    }
    if (intent === 'disconnect') {
      await procedures.disconnect();
      const { name } = await getCaller(context).catalog.get({ id });
      return redirectWithFlash(request, `/integrations/${id}`, { tone: 'success', text: disconnectedText(name) });
    }
    if (intent === 'check') {
      // The loader runs after the action, so the page shows the recorded health; this says
      // what the check itself found.
      const status = await procedures.check();
      return json({ message: null, fieldErrors: null, values: submitted, checked: status.health });
    }
  } catch (error) {
    const failure = toFailure(error);
    // The submitted settings are plain values the admin typed (never secrets): kept so the form
    // shows them again beside their errors.
    return json(
      { message: failure.message, fieldErrors: failure.fieldErrors ?? null, values: submitted, checked: null },
      { status: failure.status },
    );
  }
  return json({ message: 'Unknown action.', fieldErrors: null, values: submitted, checked: null }, { status: 400 });
}

/** React Query and the tRPC client, for live status: fetched once the page has hydrated. */
const LiveConnection = lazy(() => import('~/components/connector/LiveConnection'));

export default function ConnectorRoute() {
  const loaderData = useLoaderData<typeof loader>();
  const { user, isAdmin, connector, events, limit } = loaderData;
  const actionData = useActionData<typeof action>() as ConnectorActionData | undefined;
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const id = connector.id as RoutedConnectorId;

  // `?finishing=1`: the callback's marker that the connect is being finished in the background.
  // Harmless on reload: it only makes the page follow the status for a minute.
  const finishingMarker = params.get('finishing') === '1';
  const [live, setLive] = useState<LiveState | null>(null);
  const onLive = useCallback((state: LiveState) => setLive(state), []);
  // The loader's data is the truth when it arrives; the live status counts only once it has seen it.
  const status = live && live.basedOn === loaderData.status ? live.status : loaderData.status;
  const revalidator = useRevalidator();
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);

  const confirming = params.get('confirm') === 'disconnect' && status.connected && isAdmin;
  const checking = live?.check.pending ?? false;
  const busy = navigation.state === 'submitting' || checking;
  const primary = confirming ? null : primaryActionFor(status, isAdmin);
  const checked = live?.check.health ?? actionData?.checked;
  const needsReconnect = status.connected && status.health === 'needs_reconnect';
  const workspaceName = status.workspace?.name ?? null;

  useFocusAfterDisconnect(status.connected, hydrated);

  const onCheck = (event: FormEvent<HTMLFormElement>) => {
    if (!live) return; // before the live layer (or without JavaScript) the form posts to the action
    event.preventDefault();
    // The loader's activity list gets the health event the check may have recorded.
    live.check.run(() => revalidator.revalidate());
  };

  return (
    <AppShell user={user}>
      {hydrated ? (
        <Suspense fallback={null}>
          <LiveConnection connector={id} loaderStatus={loaderData.status} follow={finishingMarker} onChange={onLive} />
        </Suspense>
      ) : null}
      <p className="mb-4">
        <Link to="/integrations">← All integrations</Link>
      </p>
      <ConnectorHeader
        connector={connector}
        status={needsReconnect ? 'needs_reconnect' : status.state}
        sandbox={status.sandbox}
        primary={primary}
        busy={busy}
        disconnect={<DisconnectDialog name={connector.name} workspaceName={workspaceName} revocation={status.revocation} removedAtProvider={status.removedAtProvider} />}
      />
      <div className="flex flex-col gap-6">
        {status.finishing || (finishingMarker && !status.connected) ? (
          <Alert tone="info">
            We are finishing the connection with {connector.name}; this page will update.{' '}
            <Link to={`/integrations/${id}`}>Refresh</Link>
          </Alert>
        ) : null}
        {actionData?.message ? <Alert tone="error">{actionData.message}</Alert> : null}
        {live?.check.error ? <Alert tone="error">{live.check.error}</Alert> : null}

        <ConnectionDetails>
          <HealthBanner status={status} name={connector.name} isAdmin={isAdmin} tenantName={user.tenantName} />
          <ConnectionFacts status={status} name={connector.name} />
          {!isAdmin && status.configured ? (
            <p className="text-sm text-muted-foreground">
              Only an admin of {user.tenantName} can connect or disconnect integrations.
            </p>
          ) : null}
          {confirming ? (
            <DisconnectConfirmation
              name={connector.name}
              workspaceName={workspaceName}
              revocation={status.revocation}
              removedAtProvider={status.removedAtProvider}
              cancelHref={`/integrations/${id}`}
            />
          ) : null}
          {isAdmin && status.configured && !confirming ? (
            <div className="flex flex-wrap items-end gap-3">
              {/* Connect/Reconnect: the header's button submits it; while healthy it has its own, secondary. */}
              <SettingsForm
                settings={status.settings}
                actionData={actionData}
                busy={busy}
                apiKey={status.apiKey}
                submitLabel={primary === 'disconnect' ? (status.apiKey ? `Replace ${connector.name} key` : `Reconnect ${connector.name}`) : undefined}
              />
              {status.connected ? (
                <Form method="post" onSubmit={onCheck}>
                  <input type="hidden" name="intent" value="check" />
                  <Button type="submit" variant="secondary" disabled={busy}>
                    {checking ? 'Checking…' : 'Check connection'}
                  </Button>
                </Form>
              ) : null}
            </div>
          ) : null}
          {checked && status.connected && !confirming ? (
            <Alert tone="info" data-check-result={checked}>
              {checkResultText(checked, connector.name)}
            </Alert>
          ) : null}
        </ConnectionDetails>

        <AccessList name={connector.name} items={connector.accessItems} />
        <ActivityList events={events} limit={limit} name={connector.name} />
      </div>
    </AppShell>
  );
}
