import type { ConnectorStatus } from '../../../server/trpc/schemas';

/** What the connector page's action answers when it does not redirect. */
export type ConnectorActionData = {
  message: string | null;
  fieldErrors: Record<string, string[] | undefined> | null;
  values: Record<string, string>;
  checked: ConnectorStatus['health'];
};

/** The page's one primary action, by state. */
export type PrimaryAction = 'connect' | 'reconnect' | 'disconnect' | null;

export function primaryActionFor(status: ConnectorStatus, isAdmin: boolean): PrimaryAction {
  if (!isAdmin || !status.configured) return null;
  if (!status.connected) return status.state === 'not_connected' ? 'connect' : 'reconnect';
  return status.health === 'needs_reconnect' ? 'reconnect' : 'disconnect';
}
