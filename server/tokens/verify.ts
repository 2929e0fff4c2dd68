/**
 * Checking a token the provider says nothing about expiring (Intercom's never expire;
 * Salesforce's end with a session policy it does not announce): an identity call. Daily by the
 * sweep (TOKEN_VERIFY_INTERVAL_HOURS) and on demand. A rejected token with a refresh token is
 * refreshed; without one, the connection needs a reconnect.
 */
import { ConnectorInstallation } from '../../db/entities/index.js';
import type { ConnectionHealth } from '../../db/entities/connector-installation.js';
import { apiKeyConnectionConfig } from '../apikey/config.js';
import { storageKeys } from '../connections/keys.js';
import { getConnector } from '../connectors/registry.js';
import { withConnectionLock } from '../connections/lock.js';
import type { GrantScope } from '../connections/grants.js';
import type { Logger } from '../logger.js';
import { identifyAccounts } from '../oauth/identity.js';
import { grantRefreshKey } from '../secrets/secret-store.js';
import type { AppServices } from '../services.js';
import { judgeFailure, recordFailure, recordHealth } from './health.js';
import { connectionConfig, NotConnectedError, refreshConnection } from './refresh.js';

export async function verifyConnection(services: AppServices, scope: GrantScope, log: Logger): Promise<ConnectionHealth> {
  const em = services.orm.em.fork();
  const row = await em.findOne(ConnectorInstallation, { tenant: scope.tenantId, type: scope.connector }, { populate: ['grant'] });
  const grant = row?.status === 'active' ? (row.grant?.getEntity() ?? null) : null;
  if (!row || !grant) throw new NotConnectedError();
  if (row.health === 'needs_reconnect') return row.health;
  const token = await services.secrets.get(scope.tenantId, storageKeys(scope.connector).accessToken);
  if (!token) throw new NotConnectedError();

  // The provider is called without the lock; the result is recorded under it, and only if the
  // token is still the one that was checked.
  // An API-key connection has no client credentials to require (docs/decisions/019-api-key-mode.md).
  const config = getConnector(scope.connector).apiKey
    ? apiKeyConnectionConfig(services, scope.connector, grant.settings)
    : connectionConfig(services, scope, grant.settings);
  // OAuth 1.0a: the identity call is signed with the grant's token secret (its second secret).
  const tokenSecret = config.oauth1 ? await services.secrets.getGrantToken(scope.tenantId, grantRefreshKey(grant.secretKey)) : null;
  const failure = await identifyAccounts(config, token, services.env.OAUTH_HTTP_TIMEOUT_MS, tokenSecret).then(
    () => null,
    (error: unknown) => error,
  );
  const verdict = failure === null ? null : judgeFailure(failure);
  // An OAuth 1.0a grant has nothing to refresh with: its second secret is the token secret.
  if (verdict?.health === 'needs_reconnect' && !config.oauth1 && (await services.secrets.getGrantToken(scope.tenantId, grantRefreshKey(grant.secretKey)))) {
    // Rejected, but there is a refresh token: a refresh decides (Salesforce's session ended).
    log.info({ ...scope }, 'the provider rejected the token; refreshing it');
    return (await refreshConnection(services, scope, log, { force: true, knownVersion: row.tokenVersion })).health;
  }
  return withConnectionLock(services.orm, scope.tenantId, scope.connector, async (tx) => {
    const current = await tx.findOne(ConnectorInstallation, { id: row.id });
    if (!current || current.status !== 'active' || current.tokenVersion !== row.tokenVersion) return current?.health ?? 'healthy';
    if (verdict) {
      log.warn({ ...scope, err: failure, health: verdict.health, reason: verdict.reason }, 'checking the token failed');
      recordFailure(tx, current, verdict, services.env.TOKEN_REFRESH_RETRY_BASE_SECONDS);
    } else {
      tx.assign(current, { verifiedAt: new Date(), failures: 0, nextAttemptAt: null });
      recordHealth(tx, current, 'healthy', null);
    }
    await tx.flush();
    return current.health;
  });
}
