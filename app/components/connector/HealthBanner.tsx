import { Alert } from '~/components/ui/alert';
import { needsReconnectText, refreshFailingText } from '~/lib/connector-messages';
import type { ConnectorStatus } from '../../../server/trpc/schemas';

/**
 * Says why a connection needs attention: "Reconnect needed", refreshes failing for now, and
 * permissions the account did not grant (unticked on the provider's consent screen).
 */
export function HealthBanner({
  status,
  name,
  isAdmin,
  tenantName,
}: {
  status: ConnectorStatus;
  name: string;
  isAdmin: boolean;
  tenantName: string;
}) {
  if (!status.connected) return null;
  return (
    <>
      <TokenHealth status={status} name={name} isAdmin={isAdmin} tenantName={tenantName} />
      <MissingScopes status={status} name={name} isAdmin={isAdmin} tenantName={tenantName} />
    </>
  );
}

function TokenHealth({ status, name, isAdmin, tenantName }: { status: ConnectorStatus; name: string; isAdmin: boolean; tenantName: string }) {
  if (status.health === 'needs_reconnect') {
    return (
      <Alert tone="error" aria-labelledby="reconnect-heading">
        <h2 id="reconnect-heading" className="font-bold">
          Reconnect needed
        </h2>
        <p data-health-reason={status.healthReason ?? ''}>{needsReconnectText(status.healthReason, name)}</p>
        <p>
          {isAdmin
            ? `Use “Reconnect ${name}” at the top of the page.`
            : `Ask an admin of ${tenantName} to reconnect ${name}.`}
        </p>
      </Alert>
    );
  }
  if (status.health === 'refresh_failing') {
    return (
      <Alert tone="warning" data-health-reason={status.healthReason ?? ''}>
        {refreshFailingText(status.healthReason, name)}
      </Alert>
    );
  }
  return null;
}

/**
 * The connection works, but without these permissions the connector cannot do its job: names
 * each in plain words, and the way out (reconnect and leave them ticked).
 */
function MissingScopes({ status, name, isAdmin, tenantName }: { status: ConnectorStatus; name: string; isAdmin: boolean; tenantName: string }) {
  if (!status.missingScopes.length) return null;
  const one = status.missingScopes.length === 1;
  // While the connection needs a reconnect anyway, the Reconnect button is at the top of the page.
  const where = status.health === 'needs_reconnect' ? 'at the top of the page' : 'below';
  return (
    <Alert tone="warning" role="note" aria-labelledby="missing-scopes-heading" data-missing-scopes="">
      <h2 id="missing-scopes-heading" className="font-bold">
        {one ? 'A permission was not granted' : `${status.missingScopes.length} permissions were not granted`}
      </h2>
      <p>
        {one ? 'This permission was' : 'These permissions were'} left unticked when {name} was connected, so Plugboard cannot do
        everything it connects {name} for:
      </p>
      <ul className="my-1 list-disc pl-5">
        {status.missingScopes.map((missing) => (
          <li key={missing.scope} data-missing-scope={missing.scope}>
            {missing.label}
            {missing.label === missing.scope ? null : (
              <>
                {' '}
                <code className="break-all text-xs">({missing.scope})</code>
              </>
            )}
          </li>
        ))}
      </ul>
      <p>
        {isAdmin
          ? `To fix it, use “Reconnect ${name}” ${where} and leave ${one ? 'this permission' : 'every permission'} ticked on the consent screen.`
          : `Ask an admin of ${tenantName} to reconnect ${name} and leave ${one ? 'this permission' : 'every permission'} ticked on the consent screen.`}
      </p>
    </Alert>
  );
}
