/**
 * Gong through the real procedures against the generic sandbox: HTTP Basic at
 * generate-customer-token, no PKCE, `access_type=offline`, single-use refresh tokens, no
 * revocation, and the customer's own API base from the token answer, which identity must use.
 * The app is configured as in production (client id from the environment) and every Gong origin
 * reaches the sandbox only through PROVIDER_ORIGIN_OVERRIDES, so a call to any base other than the
 * learned one fails.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { approveOnConsentPage } from '../../../test/support/app-client.js';
import { testServices, useTestDatabase } from '../../../test/support/database.js';
import { callerFor, signedInUser } from '../../../test/support/factories.js';
import { runDueJobs } from '../../../test/support/jobs.js';
import { expireStoredToken } from '../../../test/support/linear-connection.js';
import { captureLogs } from '../../../test/support/logs.js';
import { resolveOAuthConfig } from '../../oauth/config.js';
import { refreshTokens } from '../../oauth/engine.js';
import { startOAuthSandbox, type OAuthSandbox } from '../../sandbox/oauth-sandbox.js';
import { SecretValue } from '../../secrets/secret-value.js';
import type { AppServices } from '../../services.js';
import { issueToken, NeedsReconnectError } from '../../tokens/issue.js';
import { refreshConnection } from '../../tokens/refresh.js';
import { sweepOnce } from '../../tokens/sweep.js';
import type { ConnectorDefinition, OAuthSpec } from '../types.js';
import { gong } from './definition.js';
import { GONG_SANDBOX_API_BASE as API_BASE, gongSandboxProfile } from './sandbox-profile.js';

const db = useTestDatabase();
const logs = captureLogs();
const CLIENT = { clientId: 'plugboard-gong-it', clientSecret: `gong-client-secret-${randomBytes(12).toString('hex')}` };
const definition = gong as ConnectorDefinition & { oauth: OAuthSpec<string> };
const TOKEN_PATH = '/oauth2/generate-customer-token';
const HOST = new URL(API_BASE).hostname;

let sandbox: OAuthSandbox;
const others: OAuthSandbox[] = [];
beforeAll(async () => {
  sandbox = (await definition.oauth.sandbox?.(CLIENT)) as OAuthSandbox;
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(async () => {
  sandbox.reset();
  await db.sql('select graphile_worker.complete_jobs(array(select id from graphile_worker.jobs))');
});
afterEach(async () => {
  const text = logs.text();
  for (const server of [sandbox, ...others]) {
    for (const secret of [CLIENT.clientSecret, ...server.tokens().map((t) => t.token)]) {
      expect(text.includes(secret), 'a token or the client secret reached the log').toBe(false);
    }
  }
  await Promise.all(others.splice(0).map((s) => s.close()));
});

/** Gong's authorization server and the given API bases lead to `server`; nothing else does. */
function servicesWith(server: OAuthSandbox = sandbox, apiBases: readonly string[] = [API_BASE], elsewhere: Record<string, string> = {}): AppServices {
  const overrides = [
    ...['https://app.gong.io', ...apiBases].map((origin) => `${origin}=${server.url}`),
    ...Object.entries(elsewhere).map(([origin, target]) => `${origin}=${target}`),
  ].join(',');
  const base = testServices(db.orm, logs.logger, {
    OAUTH_HTTP_TIMEOUT_MS: '3000',
    GONG_CLIENT_ID: CLIENT.clientId,
    GONG_CLIENT_SECRET: CLIENT.clientSecret,
    PROVIDER_ORIGIN_OVERRIDES: overrides,
  });
  const oauth = new Map(base.oauth);
  oauth.set('gong', resolveOAuthConfig(definition, base.env));
  return { ...base, oauth };
}
async function startWith(apiBase: unknown): Promise<OAuthSandbox> {
  const server = await startOAuthSandbox(gongSandboxProfile(apiBase), CLIENT);
  others.push(server);
  return server;
}
type Caller = ReturnType<typeof callerFor>;

async function connectAndApprove(caller: Caller) {
  const authorizeUrl = new URL((await caller.gong.connect()).authorizeUrl);
  const callback = await approveOnConsentPage(authorizeUrl.toString());
  return { authorizeUrl, result: await caller.gong.exchange(callback) };
}
async function connectedAdmin(services = servicesWith()) {
  const { session } = await signedInUser(services, 'admin');
  const caller = callerFor(services, session);
  const connected = await connectAndApprove(caller);
  return { services, session, caller, scope: { tenantId: session.tenantId, connector: 'gong' as const }, ...connected };
}
async function failure(call: Promise<unknown>) {
  const error = await call.then(() => null, (caught: unknown) => caught as { message: string; cause?: { reason?: string } });
  expect(error).not.toBeNull();
  return error!;
}

const grants = (tenantId: string) =>
  db.sql<{ status: string }>("select status from connector_grants where tenant_id = $1 and connector = 'gong' order by created_at", [tenantId]);
const installation = (tenantId: string) =>
  db
    .sql<{ status: string; health: string; health_reason: string | null }>(
      "select status, health, health_reason from connector_installations where tenant_id = $1 and type = 'gong'",
      [tenantId],
    )
    .then((rows) => rows[0]);
const config = async (tenantId: string) =>
  Object.fromEntries((await db.sql<{ key: string; value: string }>('select key, value from config_values where tenant_id = $1', [tenantId])).map((r) => [r.key, r.value]));
const storedKeys = async (tenantId: string) =>
  (await db.sql<{ key: string }>('select key from secret_values where tenant_id = $1 order by key', [tenantId])).map((r) => r.key);
const live = (kind: 'access' | 'refresh', server = sandbox) => server.tokens().filter((t) => t.kind === kind && !t.revoked);

describe('Gong: connect', () => {
  it('the authorize URL is Gong-shaped (offline, no PKCE); Basic at the token endpoint; the API base is learned, stored, shown and used', async () => {
    const { services, session, caller, authorizeUrl, result } = await connectedAdmin();
    expect(result).toEqual({ success: true, redirectTo: null, finishing: false });
    // app.gong.io/oauth2/authorize, sent to the sandbox by the origin override.
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${sandbox.url}/oauth2/authorize`);
    expect(Object.fromEntries(authorizeUrl.searchParams)).toEqual({
      client_id: CLIENT.clientId,
      redirect_uri: expect.stringMatching(/\/integrations\/gong\/callback$/),
      response_type: 'code',
      state: expect.any(String),
      scope: 'api:calls:read:basic api:users:read',
      access_type: 'offline',
    });

    expect(sandbox.log.filter((r) => r.path !== '/oauth2/authorize' && r.path !== '/oauth2/authorize/decision').map((r) => [r.method, r.path, r.status, r.authorization])).toEqual([
      ['POST', TOKEN_PATH, 200, 'basic'],
      ['GET', '/v2/users', 200, 'bearer'],
    ]);
    const [access] = live('access');
    expect(access).toMatchObject({ identityCalls: 1 });
    expect((await services.secrets.get(session.tenantId, 'GONG_ACCESS_TOKEN'))?.reveal()).toBe(access?.token);
    expect((await services.secrets.get(session.tenantId, 'GONG_REFRESH_TOKEN'))?.reveal()).toBe(live('refresh')[0]?.token);
    const values = await config(session.tenantId);
    expect(values).toMatchObject({ GONG_API_BASE_URL: API_BASE, GONG_TOKEN_TYPE: 'Bearer', GONG_SCOPES: 'api:calls:read:basic api:users:read' });
    expect(Date.parse(values.GONG_EXPIRES_AT!) - Date.now()).toBeGreaterThan(86_000_000);

    const status = await caller.gong.status();
    expect(status).toMatchObject({ state: 'connected', workspace: { id: HOST, name: 'Gong (us-60061)' }, revocable: false, revocation: 'not_offered' });
    expect(status.learned).toEqual([{ name: 'apiBaseUrl', label: 'API base', value: API_BASE }]);
    // The token API hands services the base with the token.
    const issued = await issueToken(services, { tenantId: session.tenantId, connector: 'gong' }, logs.logger);
    expect(issued.settings).toEqual({ apiBaseUrl: API_BASE });
  });

  it('identity is asked at the API base from the token answer, and nowhere else', async () => {
    const eu = 'https://eu-70070.api.gong.io';
    const server = await startWith(eu);
    // The generic API host and the sandbox's default base lead to the sandbox; the learned eu
    // base leads to a closed loopback port. Identity fails: it asked the learned base only.
    const services = servicesWith(server, [API_BASE, 'https://api.gong.io'], { [eu]: 'http://127.0.0.1:9' });
    const { session } = await signedInUser(services, 'admin');
    const unreachable = await failure(connectAndApprove(callerFor(services, session)));
    expect(unreachable.cause?.reason).toBe('provider_unavailable');
    expect(server.tokens().filter((t) => t.kind === 'access').every((t) => t.identityCalls === 0)).toBe(true);
    expect(server.log.some((r) => r.path === '/v2/users')).toBe(false);
    expect((await grants(session.tenantId)).map((g) => g.status)).toEqual(['revoking']);
    expect(await installation(session.tenantId)).toBeUndefined();

    const { caller } = await connectedAdmin(servicesWith(server, [eu]));
    expect(await caller.gong.status()).toMatchObject({ state: 'connected', workspace: { id: 'eu-70070.api.gong.io' }, learned: [{ name: 'apiBaseUrl', value: eu }] });
  });

  it('as `npm start` runs it (the sandbox hook, no client id): identity reaches the sandbox at the learned base', async () => {
    const base = testServices(db.orm, logs.logger, { OAUTH_HTTP_TIMEOUT_MS: '3000' });
    const oauth = new Map(base.oauth);
    oauth.set('gong', resolveOAuthConfig(definition, base.env, { client: CLIENT, server: sandbox }));
    const { caller } = await connectedAdmin({ ...base, oauth });
    expect(await caller.gong.status()).toMatchObject({ state: 'connected', sandbox: true, workspace: { id: HOST }, learned: [{ name: 'apiBaseUrl', value: API_BASE }] });
    expect(live('access')[0]).toMatchObject({ identityCalls: 1 });
  });

  it.each([
    ['plain http', 'http://us-60061.api.gong.io'],
    ['another domain', 'https://us-60061.api.gong.io.evil.example'],
    ['a look-alike domain', 'https://evilgong.io'],
    ['a path', 'https://us-60061.api.gong.io/v2'],
    ['credentials', 'https://user:pw@us-60061.api.gong.io'],
    ['not a string', 42],
    ['missing', null],
  ])('a malformed API base (%s) is refused and nothing is stored', async (_case, apiBase) => {
    const server = await startWith(apiBase);
    const services = servicesWith(server);
    const { session } = await signedInUser(services, 'admin');
    const error = await failure(connectAndApprove(callerFor(services, session)));
    expect(error.cause?.reason).toBe('provider_malformed');
    expect(error.message).not.toContain('evil');
    expect(server.tokens().every((t) => t.identityCalls === 0)).toBe(true);
    expect(await grants(session.tenantId)).toEqual([]);
    expect(await storedKeys(session.tenantId)).toEqual([]);
    expect(await config(session.tenantId)).toEqual({});
    expect(await installation(session.tenantId)).toBeUndefined();
  });
});

describe('Gong: the token lifecycle', () => {
  it('a due token is refreshed with Basic; the refresh token is single use; the base stays', async () => {
    const { services, scope } = await connectedAdmin();
    const [oldRefresh] = live('refresh');
    await expireStoredToken(db, scope.tenantId, 'gong');
    await sweepOnce(services, logs.logger);

    expect(sandbox.log.filter((r) => r.path === TOKEN_PATH).map((r) => [r.status, r.authorization])).toEqual([
      [200, 'basic'],
      [200, 'basic'],
    ]);
    const [newRefresh] = live('refresh');
    expect(newRefresh?.token).not.toBe(oldRefresh?.token);
    const newAccess = live('access').at(-1);
    expect((await services.secrets.get(scope.tenantId, 'GONG_ACCESS_TOKEN'))?.reveal()).toBe(newAccess?.token);
    expect((await services.secrets.get(scope.tenantId, 'GONG_REFRESH_TOKEN'))?.reveal()).toBe(newRefresh?.token);
    const cfg = services.oauth.get('gong') as Parameters<typeof refreshTokens>[0];
    await expect(refreshTokens(cfg, new SecretValue(oldRefresh?.token ?? ''), 5000)).rejects.toMatchObject({ oauthError: 'invalid_grant' });
    const issued = await issueToken(services, scope, logs.logger);
    expect(issued.accessToken.reveal()).toBe(newAccess?.token);
    expect(issued.settings).toEqual({ apiBaseUrl: API_BASE });
  });

  it('invalid_grant on refresh makes the connection needs_reconnect; connecting again heals it', async () => {
    const { services, caller, scope } = await connectedAdmin();
    const stored = await services.secrets.get(scope.tenantId, 'GONG_REFRESH_TOKEN');
    await refreshTokens(services.oauth.get('gong') as Parameters<typeof refreshTokens>[0], stored as SecretValue, 5000);

    await expect(refreshConnection(services, scope, logs.logger, { force: true })).resolves.toMatchObject({ health: 'needs_reconnect' });
    expect(await installation(scope.tenantId)).toMatchObject({ health: 'needs_reconnect', health_reason: 'invalid_grant' });
    await expect(issueToken(services, scope, logs.logger)).rejects.toBeInstanceOf(NeedsReconnectError);

    await connectAndApprove(caller);
    expect(await installation(scope.tenantId)).toMatchObject({ status: 'active', health: 'healthy', health_reason: null });
    expect((await issueToken(services, scope, logs.logger)).accessToken.reveal()).toBe(live('access').at(-1)?.token);
  });
});

describe('Gong: disconnect', () => {
  it('no revocation is documented: the page says Disconnect only forgets, and everything is forgotten', async () => {
    const { services, caller, scope } = await connectedAdmin();
    expect(await caller.gong.status()).toMatchObject({ revocable: false, revocation: 'not_offered' });
    await caller.gong.disconnect();
    await runDueJobs({ url: db.url, services });
    expect(await storedKeys(scope.tenantId)).toEqual([]);
    expect(await config(scope.tenantId)).toEqual({});
    expect((await grants(scope.tenantId)).map((g) => g.status)).toEqual(['discarded']);
    expect(await installation(scope.tenantId)).toMatchObject({ status: 'disconnected' });

    await connectAndApprove(caller);
    expect(await caller.gong.status()).toMatchObject({ state: 'connected' });
  });
});
