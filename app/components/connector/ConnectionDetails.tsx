import type { ReactNode } from 'react';
import { Alert } from '~/components/ui/alert';
import type { ConnectorStatus } from '../../../server/trpc/schemas';
import { LocalTime } from './format';

const HEALTH_LABELS: Record<NonNullable<ConnectorStatus['health']>, string> = {
  healthy: 'Healthy',
  refresh_failing: 'Refresh failing, retrying',
  needs_reconnect: 'Reconnect needed',
};

function Fact({ term, children, ...data }: { term: string; children: ReactNode } & Record<`data-${string}`, string>) {
  return (
    <div className="grid gap-0.5 sm:grid-cols-[12rem_minmax(0,1fr)] sm:gap-4">
      <dt className="font-semibold text-muted-foreground">{term}</dt>
      <dd className="min-w-0 break-words" {...data}>
        {children}
      </dd>
    </div>
  );
}

/** The account, settings, health, expiry, scopes and who connected it, or why there is none. */
export function ConnectionFacts({ status, name }: { status: ConnectorStatus; name: string }) {
  if (status.state === 'not_configured') {
    return (
      <Alert tone="warning" role="note">
        Not configured: set{' '}
        {status.missingConfiguration.map((key, i) => (
          <span key={key}>
            {i > 0 ? ' and ' : ''}
            <code>{key}</code>
          </span>
        ))}{' '}
        in the server&apos;s environment, then restart.
      </Alert>
    );
  }
  if (status.state === 'disconnected') {
    return (
      <p>
        Disconnected{status.disconnectedBy ? ` by ${status.disconnectedBy}` : ''}
        {status.disconnectedAt ? (
          <>
            {' on '}
            <LocalTime iso={status.disconnectedAt} />
          </>
        ) : null}
        .
      </p>
    );
  }
  if (!status.connected || !status.workspace) return <p>Not connected yet.</p>;
  return (
    <>
      <p>
        <strong>Connected to {status.workspace.name}</strong>
      </p>
      <dl className="flex flex-col gap-2 text-sm">
        <Fact term="Workspace id">{status.workspace.id}</Fact>
        {status.settings.map((setting) =>
          setting.value === null ? null : (
            <Fact key={setting.name} term={setting.label} data-setting={setting.name}>
              {setting.options?.find((o) => o.value === setting.value)?.label ?? setting.value}
            </Fact>
          ),
        )}
        {status.learned.map((value) =>
          value.value === null ? null : (
            <Fact key={value.name} term={value.label} data-learned={value.name}>
              {value.value}
            </Fact>
          ),
        )}
        <Fact term="Connected by">{status.connectedBy ?? 'a former user'}</Fact>
        <Fact term="Connected at">{status.connectedAt ? <LocalTime iso={status.connectedAt} /> : ''}</Fact>
        <Fact term="Health" data-health={status.health ?? ''}>
          {/* Missing permissions are not a token problem, but the connection is not fully working either. */}
          {(status.health ?? 'healthy') === 'healthy' && status.missingScopes.length
            ? 'Working, with permissions missing'
            : HEALTH_LABELS[status.health ?? 'healthy']}
        </Fact>
        <Fact term="Token expires">{status.expiresAt ? <LocalTime iso={status.expiresAt} /> : 'Does not expire'}</Fact>
        <Fact term="Scopes">
          {status.scopes?.length ? (
            <ul className="flex flex-wrap gap-1.5" aria-label="Granted scopes">
              {status.scopes.map((scope) => (
                <li key={scope}>
                  <code className="rounded bg-muted px-1.5 py-0.5">{scope}</code>
                </li>
              ))}
            </ul>
          ) : (
            `Not reported by ${name}`
          )}
        </Fact>
      </dl>
    </>
  );
}

/** The "Connection" card: health banner, facts, and the secondary controls the page passes in. */
export function ConnectionDetails({ children }: { children: ReactNode }) {
  return (
    <section aria-labelledby="state-heading" className="flex flex-col gap-4 rounded-lg border border-border bg-card p-5">
      <h2 id="state-heading" className="text-lg font-bold">
        Connection
      </h2>
      {children}
    </section>
  );
}

/** What the connector can access. */
export function AccessList({ name, items }: { name: string; items: string[] }) {
  return (
    <section aria-labelledby="access-heading" className="flex flex-col gap-3 rounded-lg border border-border bg-card p-5">
      <h2 id="access-heading" className="text-lg font-bold">
        What {name} shares with Plugboard
      </h2>
      <ul className="list-disc space-y-1 pl-5 text-sm">
        {items.map((item) => (
          <li key={item}>{item}</li>
        ))}
      </ul>
    </section>
  );
}
