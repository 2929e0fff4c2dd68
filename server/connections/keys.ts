import { ConnectionIntent } from '../../db/entities/index.js';
import type { IntentOperation } from '../../db/entities/connection-intent.js';
import type { Orm } from '../../db/orm.js';
import { settingKeys } from '../connectors/settings.js';
import { getConnector, type NonSensitiveKey, type SensitiveKey } from '../connectors/registry.js';
import type { GrantScope } from './grants.js';

export interface StorageKeys {
  accessToken: SensitiveKey;
  tokenType: NonSensitiveKey;
  refreshToken?: SensitiveKey;
  expiresAt?: NonSensitiveKey;
  scopes?: NonSensitiveKey;
  /** Where the connection settings are stored (INTERCOM_REGION), by setting name. */
  settings: readonly { name: string; key: NonSensitiveKey }[];
}

/** The keys a connector's definition stores its live grant under (`INTERCOM_ACCESS_TOKEN`, ...). */
export function storageKeys(connector: GrantScope['connector']): StorageKeys {
  const definition = getConnector(connector);
  // An API-key connector's key is kept like an access token (docs/decisions/019-api-key-mode.md).
  const apiKey = definition.apiKey?.storage;
  const storage = definition.oauth?.storage ?? (apiKey ? { accessToken: apiKey.apiKey, tokenType: apiKey.tokenType } : undefined);
  if (!storage) throw new Error(`Connector ${connector} stores no tokens`);
  const settings = settingKeys(getConnector(connector)) as StorageKeys['settings'];
  return { ...(storage as Omit<StorageKeys, 'settings'>), settings };
}

/**
 * The plain values that describe the live grant (token type, expiry, scopes, the connection
 * settings it was issued under): gone with it.
 */
export function grantDetailKeys(keys: StorageKeys): NonSensitiveKey[] {
  return [keys.tokenType, keys.expiresAt, keys.scopes, ...keys.settings.map((s) => s.key)].filter(
    (k): k is NonSensitiveKey => k !== undefined,
  );
}

/**
 * Commits an intent on its own connection (not the caller's transaction, which holds the lock
 * and commits only at the end), before the access-token key is touched.
 */
export async function writeIntent(
  orm: Orm,
  scope: GrantScope,
  operation: IntentOperation,
  grantId: string | null,
): Promise<string> {
  const em = orm.em.fork();
  const intent = em.create(ConnectionIntent, { tenant: scope.tenantId, connector: scope.connector, operation, grant: grantId });
  await em.flush();
  return intent.id;
}
