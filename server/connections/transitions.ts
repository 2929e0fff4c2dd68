/**
 * The changes a connection goes through, each under its connection lock, with an intent
 * committed before the access-token key is touched:
 * - activateGrant: a new grant becomes the connection's one live grant; the one it replaces and
 *   any token nobody accounted for are queued for revocation in the same commit.
 * - deactivate: Disconnect. The grant is queued for revocation; nobody waits for the provider.
 * Both fall back to repairConnection (repair.ts) when anything fails after the intent.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConnectionIntent, ConnectorEvent, ConnectorGrant, ConnectorInstallation } from '../../db/entities/index.js';
import type { NonSensitiveKey } from '../connectors/registry.js';
import type { ExternalAccount } from '../connectors/types.js';
import { enqueue } from '../jobs/queue.js';
import { flushInstallation } from '../installations/service.js';
import type { Logger } from '../logger.js';
import { isOutcomeUnknown, SecretBackendError } from '../secrets/backend.js';
import type { SecretValue } from '../secrets/secret-value.js';
import type { AppServices } from '../services.js';
import { adoptActiveToken, adoptStrayToken, markRevoking, type GrantScope } from './grants.js';
import { withConnectionLock } from './lock.js';
import { repairConnection } from './repair.js';
import { grantDetailKeys, storageKeys, writeIntent } from './keys.js';

export interface Actor {
  userId: string;
  email: string;
}

/** A change could not be made. `restored` says whether the previous state is certainly back. */
export class ConnectionChangeError extends Error {
  override readonly name = 'ConnectionChangeError';
  constructor(
    readonly restored: boolean,
    options: { cause: unknown },
  ) {
    super(restored ? 'The change was not made; the previous state is intact' : 'The change failed; repair is queued', options);
  }
}

/** The stored token could not be read, so it could never be revoked: refuse to let go of it. */
export class TokenUnreadableError extends Error {
  override readonly name = 'TokenUnreadableError';
}

async function readOrRefuse(read: () => Promise<SecretValue | null>): Promise<SecretValue | null> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof SecretBackendError) throw new TokenUnreadableError('The stored token could not be read', { cause: error });
    throw error;
  }
}

function loadInstallation(tx: EntityManager, scope: GrantScope) {
  return tx.findOne(ConnectorInstallation, { tenant: scope.tenantId, type: scope.connector }, { populate: ['grant'] });
}

/** The grant was given up (timed out, cancelled) before it could be activated; nothing changed. */
export class GrantNotPendingError extends Error {
  override readonly name = 'GrantNotPendingError';
  constructor(readonly status: string) {
    super(`the grant is ${status}, not pending`);
  }
}

export interface ActivationInput {
  grantId: string;
  token: SecretValue;
  /** Stored when the definition declares a refresh-token key. */
  refreshToken?: SecretValue | null;
  tokenType: string;
  expiresAt?: Date | null;
  scopes?: string[] | null;
  account: ExternalAccount;
  actor: Actor;
}

/**
 * Makes a received grant the connection's live grant. Returns whether this was a reconnect and
 * whether the access-token key is confirmed (false: a write whose answer never came; the
 * repair job finishes it and the status says so meanwhile).
 */
export async function activateGrant(
  services: AppServices,
  scope: GrantScope,
  input: ActivationInput,
  log: Logger,
): Promise<{ reconnect: boolean; keySynced: boolean }> {
  const { secrets, orm } = services;
  const keys = storageKeys(scope.connector);
  const progress: Progress = { intentId: null, keyTouched: false };
  try {
    return await withConnectionLock(orm, scope.tenantId, scope.connector, async (tx) => {
      const installation = await loadInstallation(tx, scope);
      const grant = await tx.findOneOrFail(ConnectorGrant, { id: input.grantId });
      // The reconciler gives up on grants that stay pending too long; never resurrect one.
      if (grant.status !== 'pending') throw new GrantNotPendingError(grant.status);
      const current = installation?.status === 'active' ? (installation.grant?.getEntity() ?? null) : null;
      const intentId = await writeIntent(orm, scope, 'activate', grant.id);
      progress.intentId = intentId;

      // Whatever the key holds now is either the current grant's token or one nobody accounts
      // for; the latter is adopted and revoked rather than silently overwritten.
      const stored = await secrets.get(scope.tenantId, keys.accessToken);
      if (stored && !(current && installation?.keySynced)) {
        const currentToken = current ? await secrets.getGrantToken(scope.tenantId, current.secretKey) : null;
        if (!currentToken?.equals(stored) && !stored.equals(input.token)) {
          await adoptStrayToken(services, tx, scope, stored, log);
        }
      }

      let keySynced = true;
      progress.keyTouched = true;
      try {
        await secrets.save(scope.tenantId, keys.accessToken, input.token);
        // The refresh token belongs to its grant: a new grant without one leaves none behind.
        if (keys.refreshToken) {
          if (input.refreshToken) await secrets.save(scope.tenantId, keys.refreshToken, input.refreshToken);
          else await secrets.delete(scope.tenantId, [keys.refreshToken]);
        }
      } catch (error) {
        if (!isOutcomeUnknown(error)) throw error;
        keySynced = false;
        log.warn({ err: error }, 'the access-token write has no answer; recording the connection and repairing in the background');
      }

      const row =
        installation ??
        tx.create(ConnectorInstallation, { tenant: scope.tenantId, type: scope.connector, status: 'active' });
      tx.assign(row, {
        status: 'active',
        grant,
        keySynced,
        externalAccountId: input.account.id,
        externalAccountName: input.account.name,
        installedBy: input.actor.userId,
        disconnectedAt: null,
        disconnectedBy: null,
        // A new grant starts healthy, with its own expiry (server/tokens/health.ts).
        health: 'healthy',
        healthReason: null,
        ...(installation && installation.health !== 'healthy' ? { healthChangedAt: new Date() } : {}),
        expiresAt: input.expiresAt ?? null,
        scopes: input.scopes?.join(' ') ?? null,
        verifiedAt: new Date(),
        lastRefreshedAt: null,
        failures: 0,
        nextAttemptAt: null,
        leaseUntil: null,
        tokenVersion: (installation?.tokenVersion ?? 0) + 1,
      });
      tx.assign(grant, {
        status: 'active',
        externalAccountId: input.account.id,
        externalAccountName: input.account.name,
        // What the provider told about the chosen account (Atlassian's cloudId) joins the settings.
        ...(input.account.settings && Object.keys(input.account.settings).length
          ? { settings: { ...grant.settings, ...input.account.settings } }
          : {}),
      });
      if (current && current.id !== grant.id) await markRevoking(tx, current);
      await secrets.save(scope.tenantId, keys.tokenType, input.tokenType, { em: tx });
      await saveOrDelete(services, tx, scope, keys.expiresAt, input.expiresAt?.toISOString());
      await saveOrDelete(services, tx, scope, keys.scopes, input.scopes?.join(' '));
      // The settings the grant was issued under (Intercom's region) describe the connection now.
      for (const { name, key } of keys.settings) await saveOrDelete(services, tx, scope, key, grant.settings?.[name]);
      tx.create(ConnectorEvent, {
        tenant: scope.tenantId,
        connector: scope.connector,
        action: installation ? 'reconnected' : 'connected',
        actor: input.actor.userId,
        actorEmail: input.actor.email,
        externalAccountName: input.account.name,
      });
      await tx.nativeDelete(ConnectionIntent, { id: intentId });
      if (!keySynced) await enqueueRepair(tx, scope);
      await flushInstallation(tx, scope.connector);
      return { reconnect: Boolean(installation), keySynced };
    });
  } catch (error) {
    throw await afterFailedChange(services, scope, log, error, progress, input.grantId);
  }
}

/**
 * Disconnect: the installation is marked disconnected, the key deleted, and the grant queued
 * for revocation in the same commit; the provider is called by the job, never here. Refuses
 * (TokenUnreadableError, nothing changed) when the token to revoke cannot be read.
 */
export async function deactivate(
  services: AppServices,
  scope: GrantScope,
  actor: Actor,
  log: Logger,
): Promise<{ wasActive: boolean; keySynced: boolean }> {
  const { secrets, orm } = services;
  const keys = storageKeys(scope.connector);
  const progress: Progress = { intentId: null, keyTouched: false };
  try {
    return await withConnectionLock(orm, scope.tenantId, scope.connector, async (tx) => {
      const installation = await loadInstallation(tx, scope);
      const active = installation?.status === 'active';
      const intentId = await writeIntent(orm, scope, 'disconnect', null);
      progress.intentId = intentId;
      const stored = await readOrRefuse(() => secrets.get(scope.tenantId, keys.accessToken));
      let grant = active ? (installation?.grant?.getEntity() ?? null) : null;
      if (grant) {
        const held = await readOrRefuse(() => secrets.getGrantToken(scope.tenantId, grant!.secretKey));
        if (!held && stored) await secrets.saveGrantToken(scope.tenantId, grant.secretKey, stored);
        else if (stored && held && !held.equals(stored)) await adoptStrayToken(services, tx, scope, stored, log);
      } else if (stored) {
        // Connected before the ledger existed (adopt it as the grant), or a stray: revoke either way.
        if (active) {
          grant = await adoptActiveToken(services, tx, scope, stored, {
            id: installation?.externalAccountId ?? null,
            name: installation?.externalAccountName ?? null,
          });
        } else {
          await adoptStrayToken(services, tx, scope, stored, log);
        }
      }

      let keySynced = true;
      if (stored) {
        progress.keyTouched = true;
        try {
          await secrets.delete(scope.tenantId, [keys.accessToken, ...(keys.refreshToken ? [keys.refreshToken] : [])]);
        } catch (error) {
          if (!isOutcomeUnknown(error)) throw error;
          keySynced = false;
          log.warn({ err: error }, 'the access-token delete has no answer; repairing in the background');
        }
      }

      if (installation && active) {
        tx.assign(installation, {
          status: 'disconnected',
          grant: null,
          keySynced,
          disconnectedAt: new Date(),
          disconnectedBy: actor.userId,
          expiresAt: null,
          leaseUntil: null,
          tokenVersion: installation.tokenVersion + 1,
        });
        tx.create(ConnectorEvent, {
          tenant: scope.tenantId,
          connector: scope.connector,
          action: 'disconnected',
          actor: actor.userId,
          actorEmail: actor.email,
          externalAccountName: installation.externalAccountName ?? null,
        });
      } else if (installation && !keySynced) {
        tx.assign(installation, { keySynced });
      }
      if (grant) await markRevoking(tx, grant);
      await secrets.delete(scope.tenantId, grantDetailKeys(keys), { em: tx });
      await tx.nativeDelete(ConnectionIntent, { id: intentId });
      if (!keySynced) await enqueueRepair(tx, scope);
      await tx.flush();
      return { wasActive: active, keySynced };
    });
  } catch (error) {
    if (error instanceof TokenUnreadableError) {
      // Nothing was written: the intent goes, the token stays where it is.
      if (progress.intentId) await orm.em.fork().nativeDelete(ConnectionIntent, { id: progress.intentId });
      throw error;
    }
    throw await afterFailedChange(services, scope, log, error, progress);
  }
}

/** How far a change got before it failed: whether the connection's key may have been touched. */
interface Progress {
  intentId: string | null;
  keyTouched: boolean;
}

/**
 * Turns a failed change into an answer. If the key was never touched nothing changed: the
 * intent goes and an unused grant is queued for revocation. Otherwise the key is put back in
 * line with what the database says (repair.ts).
 */
async function afterFailedChange(
  services: AppServices,
  scope: GrantScope,
  log: Logger,
  error: unknown,
  progress: Progress,
  grantToAbandon?: string,
): Promise<Error> {
  // Refused before anything was written: nothing to restore.
  if (error instanceof GrantNotPendingError) return error;
  log.error({ err: error }, 'changing the connection failed; restoring the previous state');
  if (!progress.keyTouched) {
    try {
      await services.orm.em.fork().transactional(async (tx) => {
        if (progress.intentId) await tx.nativeDelete(ConnectionIntent, { id: progress.intentId });
        const grant = grantToAbandon ? await tx.findOne(ConnectorGrant, { id: grantToAbandon }) : null;
        if (grant?.status === 'pending') await markRevoking(tx, grant);
      });
    } catch (cleanupError) {
      // Left to the reconciler (the intent, or the grant's pending timeout); the key is intact.
      log.error({ err: cleanupError }, 'clearing a failed change failed');
    }
    return new ConnectionChangeError(true, { cause: error });
  }
  const restored = await repairConnection(services, scope, log, { grantToAbandon }).then(
    () => true,
    (repairError: unknown) => {
      log.error({ err: repairError }, 'restoring the previous state failed; the reconciler will finish it');
      return false;
    },
  );
  return new ConnectionChangeError(restored, { cause: error });
}

async function enqueueRepair(tx: EntityManager, scope: GrantScope): Promise<void> {
  await enqueue(tx, 'repair_connection', { ...scope }, { jobKey: `repair_connection:${scope.tenantId}:${scope.connector}` });
}

/** A plain value of the live grant: written when the provider said it, removed when not. */
async function saveOrDelete(
  services: AppServices,
  tx: EntityManager,
  scope: GrantScope,
  key: NonSensitiveKey | undefined,
  value: string | undefined,
): Promise<void> {
  if (!key) return;
  if (value) await services.secrets.save(scope.tenantId, key, value, { em: tx });
  else await services.secrets.delete(scope.tenantId, [key], { em: tx });
}
