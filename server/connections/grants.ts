/**
 * The grant ledger: every grant a provider issued to Plugboard has a `connector_grants` row
 * from the moment it arrives, and its token lives only in the secret backend under the grant's
 * own key until the provider confirms it is revoked. This is what makes invariant I2 checkable:
 * a grant is `active` (held), `revoked`/`discarded`, `revoking` (a durable job retries), or
 * `failed` (retries gave up; an event says so). docs/decisions/009-grant-ledger.md.
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConnectorEvent, ConnectorGrant } from '../../db/entities/index.js';
import { getConnector, type ConnectorId, type NonSensitiveKey } from '../connectors/registry.js';
import { settingKeys } from '../connectors/settings.js';
import type { Logger } from '../logger.js';
import { enqueue } from '../jobs/queue.js';
import { isOutcomeUnknown } from '../secrets/backend.js';
import { grantRefreshKey, grantSecretKey } from '../secrets/secret-store.js';
import type { SecretValue } from '../secrets/secret-value.js';
import type { AppServices } from '../services.js';
import { revokeAtProvider } from '../oauth/revoke.js';

/** The token of a new grant could not be put in the secret backend. */
export class GrantStorageError extends Error {
  override readonly name = 'GrantStorageError';
}

export interface GrantScope {
  tenantId: string;
  connector: ConnectorId;
}

/**
 * Records a grant the provider just issued (committed first: the intent to hold it), then
 * stores its token under the grant's own key. If the store fails, the only copy of the token
 * is in memory: revoke it at once; if that fails too, the row stays `revoking` and the job
 * retries from whatever reached the backend (a write whose answer never came may have).
 */
export async function receiveGrant(
  services: AppServices,
  scope: GrantScope,
  tokens: { accessToken: SecretValue; refreshToken: SecretValue | null },
  log: Logger,
  /** The connection settings the grant was issued under; kept on its row for its revocation. */
  settings: Readonly<Record<string, string>> | null = null,
): Promise<ConnectorGrant> {
  const token = tokens.accessToken;
  const em = services.orm.em.fork();
  const id = randomUUID();
  const grant = em.create(ConnectorGrant, {
    id,
    tenant: scope.tenantId,
    connector: scope.connector,
    status: 'pending',
    secretKey: grantSecretKey(scope.connector, id),
    settings: settings ? { ...settings } : null,
  });
  await em.flush();
  try {
    await services.secrets.saveGrantToken(scope.tenantId, grant.secretKey, token);
    if (tokens.refreshToken) {
      await services.secrets.saveGrantToken(scope.tenantId, grantRefreshKey(grant.secretKey), tokens.refreshToken);
    }
    return grant;
  } catch (error) {
    log.error({ err: error, grantId: id }, 'storing a new grant failed; revoking it');
    const revoked = await revokeAtProvider(services, scope.connector, token, tokens.refreshToken, settings).then(
      () => true,
      (revokeError: unknown) => {
        log.warn({ err: revokeError, grantId: id }, 'revoking the unstored grant failed; queued for retry');
        return false;
      },
    );
    if (revoked && isOutcomeUnknown(error)) {
      // The write may have landed after all: remove what it left (a dead token if anything).
      await services.secrets.deleteGrantToken(scope.tenantId, grant.secretKey).catch((deleteError: unknown) => {
        log.warn({ err: deleteError, grantId: id }, 'removing the key of a revoked grant failed');
      });
    }
    await em.transactional(async (tx) => {
      const row = await tx.findOneOrFail(ConnectorGrant, { id });
      if (revoked) tx.assign(row, { status: 'revoked', finishedAt: new Date() });
      // Not revoked: the job revokes from whatever reached the backend, or records that nothing did.
      else await markRevoking(tx, row);
    });
    throw new GrantStorageError('The new grant could not be stored', { cause: error });
  }
}

/** Marks a grant unwanted and queues its revocation, in the caller's transaction. */
export async function markRevoking(tx: EntityManager, grant: ConnectorGrant): Promise<void> {
  if (grant.status === 'revoking' || grant.status === 'revoked' || grant.status === 'discarded') return;
  tx.assign(grant, { status: 'revoking', revokeRequestedAt: new Date() });
  await enqueue(tx, 'revoke_grant', { grantId: grant.id }, { jobKey: `revoke_grant:${grant.id}` });
}

/**
 * A token found in the connection's key that no grant row accounts for (written before the
 * ledger existed, or left by an operation that died): give it a row and its own key, and queue
 * its revocation. The secret write happens before the caller commits the row.
 */
export async function adoptStrayToken(
  services: AppServices,
  tx: EntityManager,
  scope: GrantScope,
  token: SecretValue,
  log: Logger,
): Promise<ConnectorGrant> {
  const id = randomUUID();
  const secretKey = grantSecretKey(scope.connector, id);
  await services.secrets.saveGrantToken(scope.tenantId, secretKey, token);
  const grant = tx.create(ConnectorGrant, {
    id,
    tenant: scope.tenantId,
    connector: scope.connector,
    status: 'pending',
    secretKey,
    settings: await storedSettings(services, scope),
  });
  await markRevoking(tx, grant);
  log.warn({ grantId: id, connector: scope.connector }, 'found a token no grant accounted for; queued its revocation');
  return grant;
}

/**
 * Adopts a token as the connection's active grant (an installation connected before the ledger
 * existed): its own key gets a copy, so it can be revoked like any other.
 */
export async function adoptActiveToken(
  services: AppServices,
  tx: EntityManager,
  scope: GrantScope,
  token: SecretValue,
  account: { id: string | null; name: string | null },
): Promise<ConnectorGrant> {
  const id = randomUUID();
  const secretKey = grantSecretKey(scope.connector, id);
  await services.secrets.saveGrantToken(scope.tenantId, secretKey, token);
  return tx.create(ConnectorGrant, {
    id,
    tenant: scope.tenantId,
    connector: scope.connector,
    status: 'active',
    secretKey,
    externalAccountId: account.id,
    externalAccountName: account.name,
    settings: await storedSettings(services, scope),
  });
}

/**
 * The connection settings last stored for the connection (committed values), for a token that
 * arrives without a grant row: it was issued under them, so it is revoked under them. Null when
 * none are stored (the defaults apply).
 */
async function storedSettings(services: AppServices, scope: GrantScope): Promise<Record<string, string> | null> {
  const settings: Record<string, string> = {};
  for (const { name, key } of settingKeys(getConnector(scope.connector))) {
    const value = await services.secrets.get(scope.tenantId, key as NonSensitiveKey);
    if (typeof value === 'string') settings[name] = value;
  }
  return Object.keys(settings).length ? settings : null;
}

/** An event that Plugboard itself, not a person, is the actor of. */
export function recordSystemEvent(
  tx: EntityManager,
  scope: GrantScope,
  action: 'revocation_failed',
  accountName: string | null,
): void {
  tx.create(ConnectorEvent, {
    tenant: scope.tenantId,
    connector: scope.connector,
    action,
    actor: null,
    actorEmail: 'Plugboard',
    externalAccountName: accountName,
  });
}
