import {
  json,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node';
import {
  Form,
  Link,
  useActionData,
  useLoaderData,
  useNavigate,
  useNavigation,
  useRevalidator,
  useSearchParams,
} from '@remix-run/react';
import { Fragment, useEffect, useState, type FormEvent } from 'react';
import { AppShell } from '~/components/AppShell';
import { ConnectorIcon } from '~/components/ConnectorIcon';
import { StatusBadge } from '~/components/StatusBadge';
import { useConnectorCheck, useConnectorDisconnect, useConnectorStatus } from '~/lib/connector-hooks';
import { checkResultText, eventText, flowMessage, needsReconnectText, refreshFailingText } from '~/lib/connector-messages';
import { callOrThrow, connectorCaller, getCaller, requireSession, toFailure } from '~/lib/trpc.server';
import { readForm } from '~/lib/form';
import type { RoutedConnectorId } from '../../server/trpc/router';
import type { ConnectionSettingView, ConnectorStatus } from '../../server/trpc/schemas';

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
  const [status, events] = await Promise.all([
    callOrThrow(request, () => procedures.status()),
    callOrThrow(request, () => procedures.events({ limit: 10 })),
  ]);
  return json({
    user: { email: session.email, role: session.role, tenantName: session.tenantName },
    isAdmin: session.role === 'admin',
    connector,
    status,
    events,
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
    if (intent === 'disconnect') {
      await procedures.disconnect();
      return redirect(`/integrations/${id}?disconnected=true`);
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

type ActionData = {
  message: string | null;
  fieldErrors: Record<string, string[] | undefined> | null;
  values: Record<string, string>;
  checked: ConnectorStatus['health'];
};

/** The Connect form: the connection's settings (prefilled with the live values) and one button. */
function ConnectForm({
  label,
  settings,
  actionData,
  busy,
}: {
  label: string;
  settings: ConnectionSettingView[];
  actionData: ActionData | undefined;
  busy: boolean;
}) {
  return (
    <Form method="post" reloadDocument className={settings.length ? 'stack' : undefined}>
      <input type="hidden" name="intent" value="connect" />
      {settings.map((setting) => {
        const error = actionData?.fieldErrors?.[setting.name]?.[0];
        const value = actionData?.values?.[setting.name] ?? setting.value ?? undefined;
        const fieldId = `setting-${setting.name}`;
        const described = [error ? `${fieldId}-error` : null, setting.help ? `${fieldId}-help` : null].filter(Boolean).join(' ');
        const common = {
          id: fieldId,
          name: setting.name,
          defaultValue: value,
          required: true,
          'aria-invalid': error ? true : undefined,
          'aria-describedby': described || undefined,
        };
        return (
          <div key={setting.name}>
            <label htmlFor={fieldId}>{setting.label}</label>
            {setting.options ? (
              <select {...common}>
                {setting.options.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            ) : (
              <input type="text" autoComplete="off" spellCheck={false} {...common} />
            )}
            {setting.help ? (
              <p id={`${fieldId}-help`} className="tagline">
                {setting.help}
              </p>
            ) : null}
            {error ? (
              <p id={`${fieldId}-error`} className="field-error">
                {error}
              </p>
            ) : null}
          </div>
        );
      })}
      <button type="submit" disabled={busy}>
        {label}
      </button>
    </Form>
  );
}

const HEALTH_LABELS: Record<NonNullable<ConnectorStatus['health']>, string> = {
  healthy: 'Healthy',
  refresh_failing: 'Refresh failing, retrying',
  needs_reconnect: 'Reconnect needed',
};

function formatDate(iso: string | null): string {
  if (!iso) return '';
  return new Date(iso).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC';
}

export default function ConnectorPage() {
  const loaderData = useLoaderData<typeof loader>();
  const { user, isAdmin, connector, events } = loaderData;
  const actionData = useActionData<typeof action>() as ActionData | undefined;
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const navigate = useNavigate();
  const id = connector.id as RoutedConnectorId;

  // Live status after the first render; the loader's value is the initial data, so the page
  // is complete without JavaScript.
  const { data: liveStatus } = useConnectorStatus(id, loaderData.status, params.get('finishing') === 'true');
  const status = liveStatus ?? loaderData.status;
  const disconnectMutation = useConnectorDisconnect(id);
  const checkMutation = useConnectorCheck(id);
  const revalidator = useRevalidator();
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);

  const confirming = params.get('confirm') === 'disconnect' && status.connected && isAdmin;
  const busy = navigation.state === 'submitting' || disconnectMutation.isPending || checkMutation.isPending;
  const needsReconnect = status.connected && status.health === 'needs_reconnect';
  // What the last check found: from the mutation with JavaScript, from the action without.
  const checked = checkMutation.isSuccess ? checkMutation.data.health : actionData?.checked;
  const notice = flowMessage(params.get('error'), connector.name);

  const onConfirmDisconnect = (event: FormEvent<HTMLFormElement>) => {
    if (!hydrated) return; // without JavaScript the form posts to the action
    event.preventDefault();
    disconnectMutation.mutate(undefined, {
      // Through the router, so the search params (the notice) and the loader (activity) update.
      onSuccess: () => navigate(`/integrations/${id}?disconnected=true`, { replace: true }),
    });
  };

  const onCheck = (event: FormEvent<HTMLFormElement>) => {
    if (!hydrated) return; // without JavaScript the form posts to the action
    event.preventDefault();
    disconnectMutation.reset();
    // The loader's activity list gets the health event the check may have recorded.
    checkMutation.mutate(undefined, { onSettled: () => revalidator.revalidate() });
  };

  const badge = needsReconnect ? 'needs_reconnect' : status.state;

  return (
    <AppShell user={user}>
      <p>
        <Link to="/integrations">← All integrations</Link>
      </p>
      <div className="card stack" style={{ borderTop: `4px solid ${connector.brandColor}` }}>
        <div className="connector-head">
          <ConnectorIcon name={connector.name} brandColor={connector.brandColor} icon={connector.icon} size={48} />
          <h1>{connector.name}</h1>
          <StatusBadge status={badge} />
          {status.sandbox ? (
            <span className="badge sandbox" title="A local stand-in for the provider: no real account is involved">
              Sandbox
            </span>
          ) : null}
        </div>
        <p className="tagline">{connector.tagline}</p>

        {params.get('success') === 'true' && status.connected ? (
          <p className="alert success" role="status">
            Connected to {status.workspace?.name}.
          </p>
        ) : null}
        {status.finishing || (params.get('finishing') === 'true' && !status.connected) ? (
          <p className="alert info" role="status">
            We are finishing the connection with {connector.name}; this page will update.{' '}
            <Link to={`/integrations/${id}`}>Refresh</Link>
          </p>
        ) : null}
        {params.get('finishing') === 'true' && status.connected && !status.finishing ? (
          <p className="alert success" role="status">
            Connected to {status.workspace?.name}.
          </p>
        ) : null}
        {params.get('disconnected') === 'true' && !status.connected ? (
          <p className="alert success" role="status">
            {connector.name} was disconnected and its token removed.
          </p>
        ) : null}
        {notice ? (
          <p className={`alert ${notice.tone}`} role={notice.tone === 'error' ? 'alert' : 'status'}>
            {notice.text}
          </p>
        ) : null}
        {actionData?.message ? (
          <p className="alert error" role="alert">
            {actionData.message}
          </p>
        ) : null}
        {disconnectMutation.error ? (
          <p className="alert error" role="alert">
            {disconnectMutation.error.message}
          </p>
        ) : null}
        {checkMutation.error ? (
          <p className="alert error" role="alert">
            {checkMutation.error.message}
          </p>
        ) : null}

        <section aria-labelledby="access-heading">
          <h2 id="access-heading">What {connector.name} shares with Plugboard</h2>
          <ul>
            {connector.accessItems.map((item) => (
              <li key={item}>{item}</li>
            ))}
          </ul>
        </section>

        <section aria-labelledby="state-heading" className="stack">
          <h2 id="state-heading">Connection</h2>
          {needsReconnect ? (
            <div className="alert error stack" role="alert" aria-labelledby="reconnect-heading">
              <h3 id="reconnect-heading">Reconnect needed</h3>
              <p data-health-reason={status.healthReason ?? ''}>{needsReconnectText(status.healthReason, connector.name)}</p>
              {isAdmin ? (
                <ConnectForm label={`Reconnect ${connector.name}`} settings={status.settings} actionData={actionData} busy={busy} />
              ) : (
                <p>Ask an admin of {user.tenantName} to reconnect {connector.name}.</p>
              )}
            </div>
          ) : null}
          {status.connected && status.health === 'refresh_failing' ? (
            <p className="alert warning" role="status" data-health-reason={status.healthReason ?? ''}>
              {refreshFailingText(status.healthReason, connector.name)}
            </p>
          ) : null}
          {status.state === 'not_configured' ? (
            <p className="alert info">
              Not configured: set{' '}
              {status.missingConfiguration.map((name, i) => (
                <span key={name}>
                  {i > 0 ? ' and ' : ''}
                  <code>{name}</code>
                </span>
              ))}{' '}
              in the server&apos;s environment, then restart.
            </p>
          ) : null}

          {status.connected && status.workspace ? (
            <>
              <p>
                <strong>Connected to {status.workspace.name}</strong>
              </p>
              <dl className="facts">
                <dt>Workspace id</dt>
                <dd>{status.workspace.id}</dd>
                {status.settings.map((setting) =>
                  setting.value === null ? null : (
                    <Fragment key={setting.name}>
                      <dt>{setting.label}</dt>
                      <dd data-setting={setting.name}>
                        {setting.options?.find((o) => o.value === setting.value)?.label ?? setting.value}
                      </dd>
                    </Fragment>
                  ),
                )}
                {status.learned.map((value) =>
                  value.value === null ? null : (
                    <Fragment key={value.name}>
                      <dt>{value.label}</dt>
                      <dd data-learned={value.name}>{value.value}</dd>
                    </Fragment>
                  ),
                )}
                <dt>Connected by</dt>
                <dd>{status.connectedBy ?? 'a former user'}</dd>
                <dt>Connected at</dt>
                <dd>{formatDate(status.connectedAt)}</dd>
                <dt>Health</dt>
                <dd data-health={status.health ?? ''}>{HEALTH_LABELS[status.health ?? 'healthy']}</dd>
                <dt>Token expires</dt>
                <dd>{status.expiresAt ? formatDate(status.expiresAt) : 'Does not expire'}</dd>
                <dt>Scopes</dt>
                <dd>
                  {status.scopes?.length ? (
                    <ul className="scopes" aria-label="Granted scopes">
                      {status.scopes.map((scope) => (
                        <li key={scope}>
                          <code>{scope}</code>
                        </li>
                      ))}
                    </ul>
                  ) : (
                    `Not reported by ${connector.name}`
                  )}
                </dd>
              </dl>
            </>
          ) : null}
          {status.state === 'disconnected' ? (
            <p>
              Disconnected{status.disconnectedBy ? ` by ${status.disconnectedBy}` : ''}
              {status.disconnectedAt ? ` on ${formatDate(status.disconnectedAt)}` : ''}.
            </p>
          ) : null}
          {status.state === 'not_connected' ? <p>Not connected yet.</p> : null}

          {!isAdmin && status.configured ? (
            <p className="tagline">Only an admin of {user.tenantName} can connect or disconnect integrations.</p>
          ) : null}

          {isAdmin && status.configured && !confirming ? (
            <div className="row">
              {needsReconnect ? null : (
                <ConnectForm
                  label={status.state === 'not_connected' ? `Connect ${connector.name}` : `Reconnect ${connector.name}`}
                  settings={status.settings}
                  actionData={actionData}
                  busy={busy}
                />
              )}
              {status.connected ? (
                <Form method="post" onSubmit={onCheck}>
                  <input type="hidden" name="intent" value="check" />
                  <button type="submit" className="secondary" disabled={busy}>
                    {checkMutation.isPending ? 'Checking…' : 'Check connection'}
                  </button>
                </Form>
              ) : null}
              {status.connected ? (
                <Form method="get">
                  <input type="hidden" name="confirm" value="disconnect" />
                  <button type="submit" className="secondary" disabled={busy}>
                    Disconnect
                  </button>
                </Form>
              ) : null}
            </div>
          ) : null}

          {checked && status.connected && !confirming ? (
            <p className="alert info" role="status" data-check-result={checked}>
              {checkResultText(checked, connector.name)}
            </p>
          ) : null}

          {confirming ? (
            <div className="alert error stack" role="alertdialog" aria-labelledby="confirm-heading">
              <h3 id="confirm-heading" style={{ margin: 0 }}>
                Disconnect {connector.name}?
              </h3>
              <p style={{ margin: 0 }}>
                {status.revocable
                  ? `Plugboard will revoke its access to ${status.workspace?.name ?? 'the account'}, delete the stored token, and stop using this connection.`
                  : `${connector.name} offers apps no way to revoke access: Plugboard will delete its stored tokens and stop using this connection. To end the access at ${connector.name} too, remove the app from your account's connected apps there.`}{' '}
                You can reconnect at any time.
              </p>
              <div className="row">
                <Form method="post" onSubmit={onConfirmDisconnect}>
                  <input type="hidden" name="intent" value="disconnect" />
                  <button type="submit" className="danger" disabled={busy}>
                    {busy ? 'Disconnecting…' : 'Yes, disconnect'}
                  </button>
                </Form>
                <Link to={`/integrations/${id}`}>Cancel</Link>
              </div>
            </div>
          ) : null}
        </section>

        <section aria-labelledby="events-heading">
          <h2 id="events-heading">Recent activity</h2>
          {events.length === 0 ? (
            <p className="tagline">No connection activity yet.</p>
          ) : (
            <table className="events">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">What</th>
                  <th scope="col">Who</th>
                  <th scope="col">Workspace</th>
                </tr>
              </thead>
              <tbody>
                {events.map((e) => (
                  <tr key={e.id}>
                    <td>{formatDate(e.at)}</td>
                    <td data-action={e.action}>{eventText(e.action, e.detail, connector.name)}</td>
                    <td>{e.actorEmail}</td>
                    <td>{e.workspaceName ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
    </AppShell>
  );
}
