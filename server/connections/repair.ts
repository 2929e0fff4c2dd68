/**
 * Puts one connection back in line with the database, which is the record of truth: the
 * access-token key holds the active grant's token, or nothing when there is no active grant.
 * Grants left pending by an operation that died or failed are queued for revocation, and a
 * token no grant accounts for is adopted and revoked. Idempotent: running it twice, or while
 * nothing is wrong, changes nothing.
 *
 * Used after a failed change (transitions.ts), by the `repair_connection` job after a write
 * whose answer never came, and by the reconciler for intents that outlived their operation.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConnectionIntent, ConnectorGrant, ConnectorInstallation } from '../../db/entities/index.js';
import type { Logger } from '../logger.js';
import { grantRefreshKey } from '../secrets/secret-store.js';
import type { SecretValue } from '../secrets/secret-value.js';
import type { AppServices } from '../services.js';
import { adoptStrayToken, markRevoking, type GrantScope } from './grants.js';
import { grantDetailKeys, storageKeys } from './keys.js';
import { tryWithConnectionLock, withConnectionLock } from './lock.js';

export interface RepairOptions {
  /** A pending grant whose operation failed: queue its revocation. */
  grantToAbandon?: string | undefined;
  /** Do not wait for the lock: a busy connection is being changed right now (reconciler). */
  tryOnly?: boolean;
}

export async function repairConnection(
  services: AppServices,
  scope: GrantScope,
  log: Logger,
  options: RepairOptions = {},
): Promise<'repaired' | 'busy'> {
  const work = (tx: EntityManager) => repairUnderLock(services, tx, scope, log, options);
  let keyChanged: boolean;
  if (options.tryOnly) {
    const result = await tryWithConnectionLock(services.orm, scope.tenantId, scope.connector, work);
    if (!result.acquired) return 'busy';
    keyChanged = result.value;
  } else {
    keyChanged = await withConnectionLock(services.orm, scope.tenantId, scope.connector, work);
  }
  // Whoever cached the token the key held must read it again (server/tokens/cache.ts). Best
  // effort, after the repair committed: a failing database must not undo the repair itself.
  if (keyChanged) {
    await services.orm.em
      .getConnection()
      .execute('update connector_installations set token_version = token_version + 1 where tenant_id = ? and type = ?', [scope.tenantId, scope.connector])
      .catch((error: unknown) => log.warn({ err: error, ...scope }, 'marking the repaired token as changed failed'));
  }
  return 'repaired';
}

async function repairUnderLock(
  services: AppServices,
  tx: EntityManager,
  scope: GrantScope,
  log: Logger,
  options: RepairOptions,
): Promise<boolean> {
  const { secrets, env } = services;
  const keys = storageKeys(scope.connector);
  const installation = await tx.findOne(
    ConnectorInstallation,
    { tenant: scope.tenantId, type: scope.connector },
    { populate: ['grant'] },
  );
  const desired = installation?.status === 'active' ? (installation.grant?.getEntity() ?? null) : null;
  const intents = await tx.find(ConnectionIntent, { tenant: scope.tenantId, connector: scope.connector });
  const unfinished = await tx.find(ConnectorGrant, {
    tenant: scope.tenantId,
    connector: scope.connector,
    status: { $in: ['pending', 'revoking'] },
  });
  // Holding the lock, no operation on this connection is running: an intent's grant was
  // abandoned. Other pending grants may still be between exchange and activation, so they
  // are given up only after the pending timeout.
  const staleBefore = Date.now() - env.PENDING_GRANT_TIMEOUT_SECONDS * 1000;
  const abandoned = unfinished.filter(
    (g) =>
      g.status === 'pending' &&
      (g.id === options.grantToAbandon ||
        intents.some((i) => i.grant?.id === g.id) ||
        g.createdAt.getTime() < staleBefore),
  );

  const stored = await secrets.get(scope.tenantId, keys.accessToken);
  const desiredToken = desired ? await secrets.getGrantToken(scope.tenantId, desired.secretKey) : null;
  if (desired && !desiredToken) {
    if (stored) {
      // The grant's own copy is gone but the connection's key still has a token: keep it as the grant's.
      await secrets.saveGrantToken(scope.tenantId, desired.secretKey, stored);
    } else {
      log.error({ ...scope, grantId: desired.id }, 'the active grant has no token anywhere; the connection needs a reconnect');
    }
  }
  const target = desiredToken ?? (desired ? stored : null);

  if (stored && !(target && stored.equals(target)) && !(await isKnownToken(services, scope, unfinished, stored))) {
    await adoptStrayToken(services, tx, scope, stored, log);
  }
  const keyChanges = Boolean(target ? !(stored && stored.equals(target)) : stored);
  if (target && !(stored && stored.equals(target))) {
    await secrets.save(scope.tenantId, keys.accessToken, target);
  } else if (!target && stored) {
    await secrets.delete(scope.tenantId, [keys.accessToken]);
  }

  if (keys.refreshToken) {
    // The connection's refresh token is its grant's, or none.
    const desiredRefresh = desired ? await secrets.getGrantToken(scope.tenantId, grantRefreshKey(desired.secretKey)) : null;
    const storedRefresh = await secrets.get(scope.tenantId, keys.refreshToken);
    if (desiredRefresh && !storedRefresh?.equals(desiredRefresh)) await secrets.save(scope.tenantId, keys.refreshToken, desiredRefresh);
    else if (!desiredRefresh && storedRefresh) await secrets.delete(scope.tenantId, [keys.refreshToken]);
  }
  if (!desired) await secrets.delete(scope.tenantId, grantDetailKeys(keys), { em: tx });

  for (const grant of abandoned) await markRevoking(tx, grant);
  const wasUnsynced = Boolean(installation && !installation.keySynced);
  if (installation && wasUnsynced) tx.assign(installation, { keySynced: true });
  if (intents.length) await tx.nativeDelete(ConnectionIntent, { id: { $in: intents.map((i) => i.id) } });
  await tx.flush();
  if (abandoned.length || intents.length || wasUnsynced) {
    log.warn({ ...scope, abandoned: abandoned.length, intents: intents.length }, 'connection repaired');
  }
  return keyChanges;
}

/** Whether a token is one the ledger already holds (a pending or revoking grant's). */
async function isKnownToken(
  services: AppServices,
  scope: GrantScope,
  grants: readonly ConnectorGrant[],
  token: SecretValue,
): Promise<boolean> {
  for (const grant of grants) {
    const held = await services.secrets.getGrantToken(scope.tenantId, grant.secretKey);
    if (held?.equals(token)) return true;
  }
  return false;
}
