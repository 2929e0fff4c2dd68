/**
 * A working token for a backend service (the token API, docs/api.md): valid for at least
 * TOKEN_REFRESH_MARGIN_SECONDS, refreshed first when it is not, and served from this process's
 * cache when the connection has not changed since it was read.
 */
import { leanQuery, type LeanStatement } from '../../db/lean.js';
import { storageKeys } from '../connections/keys.js';
import type { GrantScope } from '../connections/grants.js';
import type { Logger } from '../logger.js';
import type { SecretValue } from '../secrets/secret-value.js';
import type { AppServices } from '../services.js';
import { MAX_CACHE_SECONDS, tokenCacheFor, type CachedToken, type TokenCache } from './cache.js';
import { isDue, NotConnectedError, refreshConnection } from './refresh.js';
import { verifyConnection } from './verify.js';

export { NotConnectedError } from './refresh.js';

/** The provider refused the grant: only an admin reconnecting helps (409 from the token API). */
export class NeedsReconnectError extends Error {
  override readonly name = 'NeedsReconnectError';
  constructor(readonly reason: string) {
    super('The connection needs to be reconnected by an admin.');
  }
}

/** Refreshing failed for a reason that may pass and the token has expired (503, try later). */
export class TokenUnavailableError extends Error {
  override readonly name = 'TokenUnavailableError';
  constructor(
    readonly reason: string,
    readonly retryAfterSeconds: number,
  ) {
    super('The provider could not refresh the token just now. Try again shortly.');
  }
}

export interface IssuedToken {
  accessToken: SecretValue;
  tokenType: string;
  /** OAuth 1.0a connectors (Trello): the token secret, which signs requests with the token and the API key. */
  tokenSecret?: SecretValue | null;
  expiresAt: Date | null;
  scopes: string[] | null;
  account: { id: string | null; name: string | null };
  /** The connection's settings, asked and learned (Intercom's region, a Jira site's cloud id). */
  settings: Record<string, string>;
}

export interface IssueOptions {
  /** The service's call was rejected with 401: refresh now (or check, for tokens without a refresh token). */
  rejected?: boolean;
  /** The connection as the caller already read it (findTenantConnection), saving a query. */
  loaded?: LiveConnection | null;
}

/** The active installation and its grant: what a token answer needs besides the secret. */
export interface LiveConnection {
  tokenVersion: number;
  expiresAt: Date | null;
  health: 'healthy' | 'refresh_failing' | 'needs_reconnect';
  healthReason: string | null;
  nextAttemptAt: Date | null;
  changeInProgress: boolean;
  scopes: string | null;
  externalAccountId: string | null;
  externalAccountName: string | null;
  settings: Record<string, string> | null;
}

interface ConnectionRow {
  tenant_id: string;
  token_version: number | null;
  expires_at: Date | null;
  health: LiveConnection['health'];
  health_reason: string | null;
  next_attempt_at: Date | null;
  change_in_progress: boolean | null;
  scopes: string | null;
  external_account_id: string | null;
  external_account_name: string | null;
  settings: Record<string, string> | null;
}

/**
 * The tenant (by id or by slug) and its active installation of one connector with its grant, in
 * one plain-row query (db/lean.ts): every token API request asks. The installation columns are
 * null when the tenant exists but the connector is not connected.
 */
const CONNECTION_ROW: LeanStatement = {
  name: 'token_connection',
  text: `select t.id as tenant_id, i.token_version, i.expires_at, i.health, i.health_reason, i.next_attempt_at, i.scopes,
                i.external_account_id, i.external_account_name, g.settings,
                case when i.id is null then null else exists (
                  select 1 from connection_intents ci where ci.tenant_id = t.id and ci.connector = i.type) end as change_in_progress
           from tenants t
           left join (connector_installations i join connector_grants g on g.id = i.grant_id)
             on i.tenant_id = t.id and i.type = $3 and i.status = 'active'
          where t.id = $1 or t.slug = $2`,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function liveConnection(row: ConnectionRow): LiveConnection | null {
  if (row.token_version === null) return null;
  return {
    tokenVersion: row.token_version,
    expiresAt: row.expires_at,
    health: row.health,
    healthReason: row.health_reason,
    nextAttemptAt: row.next_attempt_at,
    changeInProgress: row.change_in_progress === true,
    scopes: row.scopes,
    externalAccountId: row.external_account_id,
    externalAccountName: row.external_account_name,
    settings: row.settings,
  };
}

/** A tenant named by id or slug (a uuid-shaped reference is an id), with its live connection. */
export async function findTenantConnection(
  services: AppServices,
  tenantRef: string,
  connector: GrantScope['connector'],
): Promise<{ tenantId: string; connection: LiveConnection | null } | null> {
  const byId = UUID.test(tenantRef);
  const [row] = await leanQuery<ConnectionRow>(services.orm, CONNECTION_ROW, [byId ? tenantRef : null, byId ? null : tenantRef, connector]);
  return row ? { tenantId: row.tenant_id, connection: liveConnection(row) } : null;
}

/** The token (and its type, and an OAuth 1.0a token secret) from the secret store, kept when worth it. */
async function readToken(services: AppServices, scope: GrantScope, row: LiveConnection, cache: TokenCache, key: string): Promise<CachedToken> {
  const { env } = services;
  const keys = storageKeys(scope.connector);
  // OAuth 1.0a: the second secret is the token secret, which a backend needs to sign its calls.
  const oauth1 = Boolean(services.oauth.get(scope.connector)?.oauth1) && keys.refreshToken;
  const [token, tokenType, tokenSecret] = await Promise.all([
    services.secrets.get(scope.tenantId, keys.accessToken),
    services.secrets.get(scope.tenantId, keys.tokenType),
    oauth1 && keys.refreshToken ? services.secrets.get(scope.tenantId, keys.refreshToken) : null,
  ]);
  if (!token) throw new NotConnectedError();
  const refreshPoint = row.expiresAt ? row.expiresAt.getTime() - env.TOKEN_REFRESH_MARGIN_SECONDS * 1000 : Infinity;
  if (oauth1 && !tokenSecret) throw new NotConnectedError();
  const entry: CachedToken = {
    version: row.tokenVersion,
    token,
    tokenType: typeof tokenType === 'string' ? tokenType : 'Bearer',
    tokenSecret: tokenSecret ?? null,
    validUntil: Math.min(Date.now() + MAX_CACHE_SECONDS * 1000, refreshPoint),
  };
  // Only worth keeping if it is still valid a moment from now (a token past its refresh point
  // is refreshed next call), and never while a change is under way: the key may be ahead of
  // the version read.
  if (entry.validUntil > Date.now() && !row.changeInProgress) cache.set(key, entry);
  return entry;
}

async function load(services: AppServices, scope: GrantScope): Promise<LiveConnection> {
  const [row] = await leanQuery<ConnectionRow>(services.orm, CONNECTION_ROW, [scope.tenantId, null, scope.connector]);
  const connection = row ? liveConnection(row) : null;
  if (!connection) throw new NotConnectedError();
  return connection;
}

export async function issueToken(services: AppServices, scope: GrantScope, log: Logger, options: IssueOptions = {}): Promise<IssuedToken> {
  const { env } = services;
  let row = options.loaded === undefined ? await load(services, scope) : options.loaded;
  if (!row) throw new NotConnectedError();
  if (options.rejected) {
    // One refresh for a rejected token, however many services report it: the version they saw
    // is the one to replace; whoever comes later gets the new token.
    const outcome = await refreshConnection(services, scope, log, { force: true, knownVersion: row.tokenVersion });
    // Nothing to refresh with (Intercom): an identity check decides whether the token still works.
    if (outcome.skipped === 'no_refresh_token') await verifyConnection(services, scope, log);
    row = await load(services, scope);
  } else if (isDue(row.expiresAt, env.TOKEN_REFRESH_MARGIN_SECONDS)) {
    await refreshConnection(services, scope, log);
    row = await load(services, scope);
  }
  if (row.health === 'needs_reconnect') throw new NeedsReconnectError(row.healthReason ?? 'needs_reconnect');
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) {
    const wait = row.nextAttemptAt ? Math.max(1, Math.ceil((row.nextAttemptAt.getTime() - Date.now()) / 1000)) : env.TOKEN_REFRESH_RETRY_BASE_SECONDS;
    throw new TokenUnavailableError(row.healthReason ?? 'refresh_failing', wait);
  }

  const cache = tokenCacheFor(services.secrets);
  const key = `${scope.tenantId}:${scope.connector}`;
  const live = row;
  const read = () => readToken(services, scope, live, cache, key);
  // While a change is under way the key may be ahead of the version: read alone, keep nothing.
  const entry = cache.get(key, live.tokenVersion) ?? (live.changeInProgress ? await read() : await cache.coalesce(key, live.tokenVersion, read));
  return {
    accessToken: entry.token,
    tokenType: entry.tokenType,
    ...(entry.tokenSecret ? { tokenSecret: entry.tokenSecret } : {}),
    expiresAt: row.expiresAt ?? null,
    scopes: row.scopes ? row.scopes.split(' ').filter(Boolean) : null,
    account: { id: row.externalAccountId ?? null, name: row.externalAccountName ?? null },
    settings: { ...(row.settings ?? {}) },
  };
}
