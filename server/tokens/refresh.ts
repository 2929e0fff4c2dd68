/**
 * Refreshing a connection's access token, exactly once per expiry across any number of
 * processes (docs/decisions/014-token-lifecycle.md). Under the connection's lock: re-read (a
 * process that waited for the lock uses what the holder stored), write the `refresh` intent,
 * ask the provider, store what it answered (the grant's own keys first, then the connection's),
 * and commit the new expiry with the health in one transaction.
 *
 * The lock is held across the provider call, unlike a connect: a rotating refresh token
 * (Atlassian, Notion, Linear) is spent by the first request, so two requests must never race.
 * Waiters poll for the lock without holding a database connection (server/connections/lock.ts).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConnectionIntent, ConnectorInstallation } from '../../db/entities/index.js';
import type { ConnectionHealth } from '../../db/entities/connector-installation.js';
import { storageKeys, writeIntent } from '../connections/keys.js';
import { withConnectionLock } from '../connections/lock.js';
import type { GrantScope } from '../connections/grants.js';
import { getConnector } from '../connectors/registry.js';
import { defaultConnectionSettings } from '../connectors/settings.js';
import type { Logger } from '../logger.js';
import { forConnection, type OAuthClientConfig } from '../oauth/config.js';
import { renewCredential } from '../oauth/app-credentials.js';
import { refreshTokens, type TokenSet } from '../oauth/engine.js';
import { requireConfigured } from '../oauth/errors.js';
import { grantRefreshKey } from '../secrets/secret-store.js';
import type { SecretValue } from '../secrets/secret-value.js';
import type { AppServices } from '../services.js';
import { judgeFailure, recordFailure, recordHealth } from './health.js';

export class NotConnectedError extends Error {
  override readonly name = 'NotConnectedError';
  constructor() {
    super('The connector is not connected for this tenant.');
  }
}

export interface RefreshOptions {
  /** Refresh even if the token is not due (a service's call was rejected with 401). */
  force?: boolean;
  /** With `force`: the token version the caller saw; if it has changed, someone already refreshed. */
  knownVersion?: number;
  /** How long to wait for the lock (default 30 s). */
  waitMs?: number;
}

export interface RefreshOutcome {
  /** This call refreshed (false: not due, already refreshed by another, no refresh token, or failed). */
  refreshed: boolean;
  health: ConnectionHealth;
  /** Why nothing was refreshed. */
  skipped?: 'needs_reconnect' | 'not_due' | 'already_refreshed' | 'no_refresh_token' | 'failed';
}

/** Whether the token is within the margin of its expiry (a token without expiry never is). */
export function isDue(expiresAt: Date | null | undefined, marginSeconds: number, now = Date.now()): boolean {
  return Boolean(expiresAt && expiresAt.getTime() - now <= marginSeconds * 1000);
}

export async function refreshConnection(services: AppServices, scope: GrantScope, log: Logger, options: RefreshOptions = {}): Promise<RefreshOutcome> {
  const { orm, env } = services;
  return withConnectionLock(
    orm,
    scope.tenantId,
    scope.connector,
    async (tx) => {
      const row = await tx.findOne(ConnectorInstallation, { tenant: scope.tenantId, type: scope.connector }, { populate: ['grant'] });
      const grant = row?.status === 'active' ? (row.grant?.getEntity() ?? null) : null;
      if (!row || !grant) throw new NotConnectedError();
      if (row.health === 'needs_reconnect') return { refreshed: false, health: row.health, skipped: 'needs_reconnect' };
      // Re-read under the lock: whoever held it before may have refreshed already.
      if (options.force ? options.knownVersion !== undefined && row.tokenVersion !== options.knownVersion : !isDue(row.expiresAt, env.TOKEN_REFRESH_MARGIN_SECONDS)) {
        return { refreshed: false, health: row.health, skipped: options.force ? 'already_refreshed' : 'not_due' };
      }
      // An app that mints its tokens (spec.renew) renews with its own credentials: no refresh token.
      const renewing = Boolean(services.oauth.get(scope.connector)?.spec.renew);
      // OAuth 1.0a never refreshes: its second secret is the token secret, never sent to the token endpoint.
      const oauth1 = Boolean(services.oauth.get(scope.connector)?.oauth1);
      const refreshToken = renewing || oauth1 ? null : await services.secrets.getGrantToken(scope.tenantId, grantRefreshKey(grant.secretKey));
      const current = renewing ? await services.secrets.getGrantToken(scope.tenantId, grant.secretKey) : null;
      if ((!renewing && !refreshToken) || oauth1) {
        // Nothing to refresh with: an expired token is the end of this grant.
        if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) recordHealth(tx, row, 'needs_reconnect', 'expired');
        await tx.flush();
        return { refreshed: false, health: row.health, skipped: 'no_refresh_token' };
      }
      const config = connectionConfig(services, scope, grant.settings);
      const intentId = await writeIntent(orm, scope, 'refresh', grant.id);
      let tokens: TokenSet;
      try {
        tokens = refreshToken
          ? await refreshTokens(config, refreshToken, env.OAUTH_HTTP_TIMEOUT_MS)
          : await renewCredential(config, current, env.OAUTH_HTTP_TIMEOUT_MS);
      } catch (error) {
        const verdict = judgeFailure(error);
        log.warn({ ...scope, err: error, health: verdict.health, reason: verdict.reason }, 'refreshing the token failed');
        recordFailure(tx, row, verdict, env.TOKEN_REFRESH_RETRY_BASE_SECONDS);
        await tx.nativeDelete(ConnectionIntent, { id: intentId });
        await tx.flush();
        return { refreshed: false, health: row.health, skipped: 'failed' };
      }
      // The provider answered: a rotating provider has spent the old refresh token. What it
      // sent now exists only here until stored; the intent stays open until the commit, so a
      // crash in between is repaired from the grant's keys (written first).
      await store(services, tx, scope, grant.secretKey, tokens, refreshToken);
      tx.assign(row, {
        expiresAt: tokens.expiresAt,
        scopes: tokens.scopes ? tokens.scopes.join(' ') : row.scopes,
        lastRefreshedAt: new Date(),
        verifiedAt: new Date(),
        failures: 0,
        nextAttemptAt: null,
        tokenVersion: row.tokenVersion + 1,
      });
      if (Object.keys(tokens.learned).length) tx.assign(grant, { settings: { ...grant.settings, ...tokens.learned } });
      recordHealth(tx, row, 'healthy', null);
      await tx.nativeDelete(ConnectionIntent, { id: intentId });
      await tx.flush();
      log.info({ ...scope, rotated: Boolean(tokens.refreshToken), expiresAt: tokens.expiresAt?.toISOString() ?? null }, 'token refreshed');
      return { refreshed: true, health: 'healthy' };
    },
    { waitMs: options.waitMs ?? 30_000 },
  );
}

/** The connection's client: its grant's settings fill the endpoint templates. */
export function connectionConfig(services: AppServices, scope: GrantScope, settings: Readonly<Record<string, string>> | null | undefined) {
  const base = services.oauth.get(scope.connector);
  requireConfigured(base);
  const config = forConnection(base, settings ?? defaultConnectionSettings(getConnector(scope.connector)) ?? {});
  requireConfigured(config);
  return config as OAuthClientConfig & { clientId: string; clientSecret: SecretValue };
}

/**
 * Stores a refresh's answer: the grant's keys, then the connection's. An answer without a
 * refresh token keeps the stored one (Google): it is never erased.
 */
async function store(services: AppServices, tx: EntityManager, scope: GrantScope, grantKey: string, tokens: TokenSet, previous: SecretValue | null): Promise<void> {
  const { secrets } = services;
  const keys = storageKeys(scope.connector);
  const refreshToken = tokens.refreshToken ?? previous;
  if (tokens.refreshToken) await secrets.saveGrantToken(scope.tenantId, grantRefreshKey(grantKey), tokens.refreshToken);
  await secrets.saveGrantToken(scope.tenantId, grantKey, tokens.accessToken);
  await secrets.save(scope.tenantId, keys.accessToken, tokens.accessToken);
  if (keys.refreshToken && refreshToken) await secrets.save(scope.tenantId, keys.refreshToken, refreshToken);
  await secrets.save(scope.tenantId, keys.tokenType, tokens.tokenType, { em: tx });
  if (keys.expiresAt) {
    if (tokens.expiresAt) await secrets.save(scope.tenantId, keys.expiresAt, tokens.expiresAt.toISOString(), { em: tx });
    else await secrets.delete(scope.tenantId, [keys.expiresAt], { em: tx });
  }
  if (keys.scopes && tokens.scopes) await secrets.save(scope.tenantId, keys.scopes, tokens.scopes.join(' '), { em: tx });
  for (const { name, key } of keys.settings) {
    const value = tokens.learned[name];
    if (value !== undefined) await secrets.save(scope.tenantId, key, value, { em: tx });
  }
}
