import type { ReactNode } from 'react';
import { ConnectorIcon } from '~/components/ConnectorIcon';
import { Badge, StatusBadge, type BadgeStatus } from '~/components/ui/badge';
import { Button } from '~/components/ui/button';
import { PageHeader } from '~/components/ui/page-header';
import { CONNECT_FORM_ID } from './SettingsForm';
import type { PrimaryAction } from './types';

interface ConnectorHeaderProps {
  connector: { name: string; tagline: string; brandColor: string; icon: { title: string; svgPath: string } | null };
  status: BadgeStatus;
  sandbox: boolean;
  primary: PrimaryAction;
  busy: boolean;
  /** The Disconnect control (a dialog trigger) when that is the state's action. */
  disconnect?: ReactNode;
}

/**
 * Logo, name, status and the one action that fits the state: Connect, Reconnect (filled, when
 * not connected or when the connection needs it), or Disconnect (secondary) while healthy.
 * Connect and Reconnect submit the Connect form below, where the settings are.
 */
export function ConnectorHeader({ connector, status, sandbox, primary, busy, disconnect }: ConnectorHeaderProps) {
  let action: ReactNode = null;
  if (primary === 'connect' || primary === 'reconnect') {
    action = (
      <Button type="submit" form={CONNECT_FORM_ID} disabled={busy}>
        {primary === 'connect' ? `Connect ${connector.name}` : `Reconnect ${connector.name}`}
      </Button>
    );
  } else if (primary === 'disconnect') {
    action = disconnect ?? null;
  }
  return (
    <PageHeader
      className="connector-head"
      icon={<ConnectorIcon name={connector.name} brandColor={connector.brandColor} icon={connector.icon} size={48} />}
      title={connector.name}
      description={connector.tagline}
      badges={
        <>
          <StatusBadge status={status} />
          {sandbox ? (
            <Badge variant="sandbox" title="A local stand-in for the provider: no real account is involved">
              Sandbox
            </Badge>
          ) : null}
        </>
      }
      action={action}
    />
  );
}
