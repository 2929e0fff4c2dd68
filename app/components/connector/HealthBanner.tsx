import { Alert } from '~/components/ui/alert';
import { needsReconnectText, refreshFailingText } from '~/lib/connector-messages';
import type { ConnectorStatus } from '../../../server/trpc/schemas';

/** Says why a connection needs attention: "Reconnect needed", or refreshes failing for now. */
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
