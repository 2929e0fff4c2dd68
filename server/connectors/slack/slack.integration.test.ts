/**
 * Slack end to end through the real procedures: real Postgres, the generic sandbox playing
 * Slack (an app with token rotation, as the definition's own hook starts it, and one without),
 * the consent page clicked over HTTP, refresh through the token lifecycle, and the revocation
 * job run by the real worker. Nothing Slack-specific exists outside the definition.
 */
import { randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { approveOnConsentPage } from '../../../test/support/app-client.js';
import { testServices, useTestDatabase } from '../../../test/support/database.js';
import { callerFor, signedInUser } from '../../../test/support/factories.js';
import { runDueJobs } from '../../../test/support/jobs.js';
import { expireStoredToken } from '../../../test/support/linear-connection.js';
import { captureLogs } from '../../../test/support/logs.js';
import { resolveOAuthConfig, type OAuthClientConfig } from '../../oauth/config.js';
import { hookContext, refreshTokens } from '../../oauth/engine.js';
import { OAuthFlowError } from '../../oauth/flow.js';
import { ProviderError } from '../../oauth/provider-error.js';
import { startOAuthSandbox, type OAuthSandbox } from '../../sandbox/oauth-sandbox.js';
import type { SecretBackend } from '../../secrets/backend.js';
import { SecretValue } from '../../secrets/secret-value.js';
import type { AppServices } from '../../services.js';
import { issueToken, NeedsReconnectError } from '../../tokens/issue.js';
import type { ConnectorDefinition, OAuthSpec } from '../types.js';
import { slack } from './definition.js';
import { SLACK_SANDBOX_TEAM as TEAM, SLACK_SANDBOX_USER_TOKEN, slackSandboxProfile } from './sandbox-profile.js';

const db = useTestDatabase();
const logs = captureLogs();

const CLIENT = { clientId: '1234567890.0987654321', clientSecret: `slack-client-secret-${randomBytes(12).toString('hex')}` };
const REDIRECT_URI = 'http://localhost:3000/integrations/slack/callback';
const SCOPE = 'channels:read,channels:history,users:read,team:read';
const definition = slack as ConnectorDefinition & { oauth: OAuthSpec<string> };

/** The app with token rotation on, started by the definition's own hook (as `npm start` does). */
let rotating: OAuthSandbox;
/** The same app with token rotation off: bot tokens that never expire, no refresh token. */
let lasting: OAuthSandbox;
const sandboxes = () => [rotating, lasting];
const codes: string[] = [];

beforeAll(async () => {
  rotating = (await definition.oauth.sandbox?.(CLIENT)) as OAuthSandbox;
  lasting = await startOAuthSandbox(slackSandboxProfile({ tokenRotation: false }), CLIENT);
});
afterAll(async () => {
  await Promise.all(sandboxes().map((s) => s?.close()));
});
beforeEach(async () => {
  for (const s of sandboxes()) s.reset();
  await db.sql('select graphile_worker.complete_jobs(array(select id from graphile_worker.jobs))');
});
afterEach(() => {
  const text = logs.text();
  const tokens = sandboxes().flatMap((s) => s.tokens().map((t) => t.token));
  for (const secret of [CLIENT.clientSecret, SLACK_SANDBOX_USER_TOKEN, ...codes, ...tokens]) {
    expect(text.includes(secret), 'a token, code or client secret reached the log').toBe(false);
  }
});

function servicesWith(sandbox: OAuthSandbox, env: Record<string, string> = {}): AppServices {
  const base = testServices(db.orm, logs.logger, { OAUTH_HTTP_TIMEOUT_MS: '5000', ...env });
  const oauth = new Map(base.oauth);
  oauth.set('slack', resolveOAuthConfig(definition, base.env, { client: CLIENT, server: sandbox }));
  return { ...base, oauth };
}
const configOf = (services: AppServices) => services.oauth.get('slack') as OAuthClientConfig & { clientId: string; clientSecret: SecretValue };

async function connect(services: AppServices, tenantSlug?: string) {
  const { session } = await signedInUser(services, 'admin', tenantSlug);
  const caller = callerFor(services, session);
  const authorizeUrl = new URL((await caller.slack.connect()).authorizeUrl);
  const callback = await approveOnConsentPage(authorizeUrl.toString());
  codes.push(callback.code);
  const result = await caller.slack.exchange(callback);
  return { session, caller, authorizeUrl, callback, result, scope: { tenantId: session.tenantId, connector: 'slack' as const } };
}

async function rejection(call: Promise<unknown>): Promise<TRPCError> {
  const error = await call.then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}
const failure = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error);

const calls = (s: OAuthSandbox) => s.log.map((r) => `${r.method} ${r.path} ${r.status ?? ''}`);
const ofKind = (s: OAuthSandbox, kind: 'access' | 'refresh') => s.tokens().filter((t) => t.kind === kind);
const installation = async (tenantId: string) =>
  (
    await db.sql<{ status: string; health: string; health_reason: string | null; external_account_id: string | null; external_account_name: string | null }>(
      "select status, health, health_reason, external_account_id, external_account_name from connector_installations where tenant_id = $1 and type = 'slack'",
      [tenantId],
    )
  )[0];
const grantStatuses = async (tenantId: string) =>
  (await db.sql<{ status: string }>("select status from connector_grants where tenant_id = $1 and connector = 'slack' order by created_at", [tenantId])).map((g) => g.status);
const config = async (tenantId: string) =>
  Object.fromEntries((await db.sql<{ key: string; value: string }>('select key, value from config_values where tenant_id = $1', [tenantId])).map((r) => [r.key, r.value]));
/** Every secret the tenant has, decrypted: what exactly was kept. */
async function secrets(services: AppServices, tenantId: string): Promise<Record<string, string>> {
  const keys = await db.sql<{ key: string }>('select key from secret_values where tenant_id = $1 order by key', [tenantId]);
  const backend = services.secrets.backend as SecretBackend;
  const entries = await Promise.all(keys.map(async ({ key }) => [key, (await backend.get(tenantId, key))?.reveal() ?? ''] as const));
  return Object.fromEntries(entries);
}

describe('Slack with token rotation (the sandbox the definition starts)', () => {
  it('connect: a v2 consent URL with bot scopes and no PKCE; HTTP Basic at oauth.v2.access; the bot token, its refresh token and expiry stored; the workspace named', async () => {
    const services = servicesWith(rotating);
    const { session, caller, authorizeUrl, callback, result } = await connect(services);

    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${rotating.url}/oauth/v2/authorize`);
    expect(Object.fromEntries(authorizeUrl.searchParams)).toEqual({
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      state: callback.state,
      scope: SCOPE,
    });
    expect(result).toEqual({ success: true, redirectTo: null, finishing: false });

    // The exchange: a form with the client in an HTTP Basic header (the sandbox refuses a
    // secret in the body), then team.info with the bot token.
    expect(calls(rotating).slice(2)).toEqual(['POST /api/oauth.v2.access 200', 'GET /api/team.info 200']);
    const [tokenCall, teamCall] = rotating.log.slice(2);
    expect(tokenCall).toMatchObject({ authorization: 'basic', contentType: expect.stringMatching(/^application\/x-www-form-urlencoded/) });
    expect(teamCall?.authorization).toBe('bearer');

    const [access] = ofKind(rotating, 'access');
    const [refresh] = ofKind(rotating, 'refresh');
    expect(access?.token).toMatch(/^xoxe\.xoxb-/);
    expect(refresh?.token).toMatch(/^xoxe-/);
    const kept = await secrets(services, session.tenantId);
    expect(kept.SLACK_ACCESS_TOKEN).toBe(access?.token);
    expect(kept.SLACK_REFRESH_TOKEN).toBe(refresh?.token);
    // Only the bot token and its refresh token, under the connection's keys and the grant's:
    // never the installing user's token from `authed_user`.
    expect(new Set(Object.values(kept))).toEqual(new Set([access?.token, refresh?.token]));
    const plain = await config(session.tenantId);
    expect(plain).toEqual({
      SLACK_TOKEN_TYPE: 'Bearer',
      SLACK_EXPIRES_AT: expect.any(String),
      SLACK_SCOPES: 'channels:read channels:history users:read team:read',
    });
    // 12 hours, as oauth.v2.access says with rotation (`expires_in: 43200`).
    const lifetime = Date.parse(plain.SLACK_EXPIRES_AT ?? '') - Date.now();
    expect(lifetime).toBeGreaterThan(43_200_000 - 60_000);
    expect(lifetime).toBeLessThanOrEqual(43_200_000);

    expect(await installation(session.tenantId)).toMatchObject({ status: 'active', health: 'healthy', external_account_id: TEAM.id, external_account_name: TEAM.name });
    expect(await caller.slack.status()).toMatchObject({
      state: 'connected',
      sandbox: true,
      workspace: { id: TEAM.id, name: TEAM.name },
      scopes: ['channels:read', 'channels:history', 'users:read', 'team:read'],
      revocable: true,
    });
    expect(JSON.stringify(await caller.slack.status())).not.toContain('xox');
  });

  it('refresh on time: oauth.v2.access with grant_type=refresh_token rotates both tokens; the spent refresh token then fails with invalid_refresh_token', async () => {
    const short = await startOAuthSandbox(slackSandboxProfile({ tokenRotation: true, accessTokenTtlSeconds: 3 }), CLIENT);
    try {
      const services = servicesWith(short, { TOKEN_REFRESH_MARGIN_SECONDS: '1', TOKEN_REFRESH_RETRY_BASE_SECONDS: '1' });
      const { scope } = await connect(services);
      const first = await issueToken(services, scope, logs.logger);
      expect(first.accessToken.reveal()).toBe(ofKind(short, 'access')[0]?.token);
      expect(first.tokenType).toBe('Bearer');

      await new Promise((resolve) => setTimeout(resolve, 2_150));
      const second = await issueToken(services, scope, logs.logger);
      const [, newAccess] = ofKind(short, 'access');
      const [oldRefresh, newRefresh] = ofKind(short, 'refresh');
      expect(second.accessToken.reveal()).toBe(newAccess?.token);
      expect(oldRefresh?.revoked).toBe(true);
      expect((await services.secrets.get(scope.tenantId, 'SLACK_REFRESH_TOKEN'))?.reveal()).toBe(newRefresh?.token);
      const refreshCall = short.log.filter((r) => r.path === '/api/oauth.v2.access')[1];
      expect(refreshCall).toMatchObject({ authorization: 'basic', status: 200 });
      expect(await installation(scope.tenantId)).toMatchObject({ health: 'healthy' });

      // Single use: the old refresh token is refused the Slack way (HTTP 200, ok: false).
      const error = await failure(refreshTokens(configOf(services), new SecretValue(oldRefresh?.token ?? ''), 5_000));
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ step: 'token', status: 200, oauthError: 'invalid_refresh_token' });
    } finally {
      await short.close();
    }
  });

  it('a refresh refused with invalid_refresh_token: the connection needs a reconnect, the code is logged, and a reconnect heals it', async () => {
    const services = servicesWith(rotating);
    const { scope, session } = await connect(services);
    // Someone else spent the stored refresh token: Slack revokes it once used.
    const stored = await services.secrets.get(scope.tenantId, 'SLACK_REFRESH_TOKEN');
    await refreshTokens(configOf(services), stored ?? new SecretValue(''), 5_000);
    await expireStoredToken(db, scope.tenantId, 'slack');
    const before = logs.lines.length;

    expect(await failure(issueToken(services, scope, logs.logger))).toBeInstanceOf(NeedsReconnectError);
    expect(await installation(scope.tenantId)).toMatchObject({ status: 'active', health: 'needs_reconnect', health_reason: 'invalid_refresh_token' });
    expect(logs.lines.slice(before).join('\n')).toContain('invalid_refresh_token');
    const caller = callerFor(services, session);
    expect(await caller.slack.status()).toMatchObject({ state: 'connected', health: 'needs_reconnect', healthReason: 'invalid_refresh_token' });

    // Reconnect: a new grant, healthy again; the old grant is given up.
    const callback = await approveOnConsentPage((await caller.slack.connect()).authorizeUrl);
    codes.push(callback.code);
    expect(await caller.slack.exchange(callback)).toMatchObject({ success: true });
    expect(await installation(scope.tenantId)).toMatchObject({ status: 'active', health: 'healthy', health_reason: null });
    expect((await issueToken(services, scope, logs.logger)).accessToken.reveal()).toBe(ofKind(rotating, 'access').at(-1)?.token);
  });

  it('disconnect: the job calls auth.revoke with the bot token; the token no longer works; nothing is left; reconnect works', async () => {
    const services = servicesWith(rotating);
    const { scope, caller } = await connect(services);
    const [access] = ofKind(rotating, 'access');

    expect(await caller.slack.disconnect()).toEqual({ success: true, redirectTo: null, finishing: false });
    // The connection forgets its token at once; the grant's copy waits for the revocation job.
    expect(await services.secrets.get(scope.tenantId, 'SLACK_ACCESS_TOKEN')).toBeNull();
    expect(rotating.tokens().some((t) => t.revoked)).toBe(false);

    await runDueJobs({ url: db.url, services });
    const revokes = rotating.log.filter((r) => r.path === '/api/auth.revoke');
    expect(revokes.map((r) => [r.method, r.status, r.authorization])).toEqual([['POST', 200, 'bearer']]);
    // Revoking the bot token ends the installation: its refresh token dies with it.
    expect(rotating.tokens().map((t) => t.revoked)).toEqual([true, true]);
    expect(await grantStatuses(scope.tenantId)).toEqual(['revoked']);
    expect(await secrets(services, scope.tenantId)).toEqual({});
    expect(await config(scope.tenantId)).toEqual({});
    expect(await installation(scope.tenantId)).toMatchObject({ status: 'disconnected', external_account_name: TEAM.name });
    // The revoked token is refused by team.info (`ok: false, error: invalid_auth`).
    const identify = failure(definition.oauth.identify(hookContext(configOf(services), 'identify', new SecretValue(access?.token ?? ''), 5_000)));
    expect(await identify).toMatchObject({ step: 'identify', status: 401, oauthError: 'invalid_auth' });

    // Reconnect: a new installation of the same workspace.
    const callback = await approveOnConsentPage((await caller.slack.connect()).authorizeUrl);
    codes.push(callback.code);
    expect(await caller.slack.exchange(callback)).toMatchObject({ success: true });
    expect(await caller.slack.status()).toMatchObject({ state: 'connected', workspace: { id: TEAM.id, name: TEAM.name } });
    expect((await services.secrets.get(scope.tenantId, 'SLACK_ACCESS_TOKEN'))?.reveal()).toBe(ofKind(rotating, 'access').at(-1)?.token);
  });
});

describe('Slack without token rotation', () => {
  it('a bot token that never expires: no refresh token, no expiry, nothing ever due; the check calls team.info', async () => {
    const services = servicesWith(lasting);
    const { scope, session, caller } = await connect(services);
    const [access, ...others] = lasting.tokens();
    expect(others).toEqual([]);
    expect(access).toMatchObject({ kind: 'access' });
    expect(access?.token).toMatch(/^xoxb-/);
    const kept = await secrets(services, scope.tenantId);
    expect(kept.SLACK_ACCESS_TOKEN).toBe(access?.token);
    expect(kept).not.toHaveProperty('SLACK_REFRESH_TOKEN');
    expect(new Set(Object.values(kept))).toEqual(new Set([access?.token]));
    expect(await config(session.tenantId)).toEqual({ SLACK_TOKEN_TYPE: 'Bearer', SLACK_SCOPES: 'channels:read channels:history users:read team:read' });
    expect(await caller.slack.status()).toMatchObject({ state: 'connected', expiresAt: null, workspace: { name: TEAM.name } });

    const issued = await issueToken(services, scope, logs.logger);
    expect(issued).toMatchObject({ tokenType: 'Bearer', expiresAt: null });
    expect(lasting.log.filter((r) => r.path === '/api/oauth.v2.access')).toHaveLength(1);

    // The check: an identity call with the token, healthy.
    expect(await caller.slack.check()).toMatchObject({ health: 'healthy' });
    expect(calls(lasting).at(-1)).toBe('GET /api/team.info 200');
  });

  it('a token revoked on the Slack side (the app removed): the check reads team.info refuse it, and with nothing to refresh with, needs a reconnect', async () => {
    const services = servicesWith(lasting);
    const { caller, scope } = await connect(services);
    // Revoked outside Plugboard, with the token itself.
    const revoke = definition.oauth.revoke;
    if (typeof revoke !== 'function') throw new Error('Slack revokes with a hook');
    const token = (await services.secrets.get(scope.tenantId, 'SLACK_ACCESS_TOKEN')) ?? new SecretValue('');
    expect(await revoke(hookContext(configOf(services), 'revoke', token, 5_000))).toBe('revoked');

    expect(await caller.slack.check()).toMatchObject({ health: 'needs_reconnect', healthReason: 'identity_rejected' });
    // Disconnect afterwards: the token is already revoked at Slack, which is what was wanted.
    await caller.slack.disconnect();
    await runDueJobs({ url: db.url, services });
    expect(lasting.log.filter((r) => r.path === '/api/auth.revoke').map((r) => r.status)).toEqual([200, 200]);
    expect(await grantStatuses(scope.tenantId)).toEqual(['revoked']);
  });
});

describe("Slack's quirks", () => {
  it('oauth.v2.access answers an error with HTTP 200 and ok: false: the exchange fails, stores nothing, and the log names the code but no secret', async () => {
    const services = servicesWith(lasting);
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const callback = await approveOnConsentPage((await caller.slack.connect()).authorizeUrl);
    codes.push(callback.code);
    // The code is used once elsewhere first: Slack then answers `invalid_code`.
    const burn = await fetch(`${lasting.url}/api/oauth.v2.access`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.code, redirect_uri: REDIRECT_URI }),
    });
    expect((await burn.json()) as unknown).toMatchObject({ ok: true });
    const before = logs.lines.length;

    const error = await rejection(caller.slack.exchange(callback));
    expect(error.cause).toBeInstanceOf(OAuthFlowError);
    expect((error.cause as OAuthFlowError).reason).toBe('token_rejected');
    expect(lasting.log.at(-1)).toMatchObject({ path: '/api/oauth.v2.access', status: 200 });
    const written = logs.lines.slice(before).join('\n');
    expect(written).toContain(`"providerError":"invalid_code"`);
    expect(written).not.toContain(callback.code);
    expect(await installation(session.tenantId)).toBeUndefined();
    expect(await secrets(services, session.tenantId)).toEqual({});
    expect(await caller.slack.status()).toMatchObject({ state: 'not_connected' });
  });

  it('client authentication is HTTP Basic only: a secret in the form body is refused by the sandbox as Slack refuses a bad client (ok: false)', async () => {
    const code = lasting.issueCode(REDIRECT_URI, 'state-of-the-test');
    const answer = await fetch(`${lasting.url}/api/oauth.v2.access`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ code, redirect_uri: REDIRECT_URI, grant_type: 'authorization_code', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret }),
    });
    expect([answer.status, await answer.json()]).toEqual([200, { ok: false, error: 'invalid_client_id' }]);
  });

  it('auth.revoke: an already revoked or unknown token is already_revoked; internal_error and HTTP errors throw for the job to retry', async () => {
    const services = servicesWith(lasting);
    const { scope } = await connect(services);
    const revoke = definition.oauth.revoke;
    if (typeof revoke !== 'function') throw new Error('Slack revokes with a hook');
    const ctx = (token: SecretValue) => hookContext(configOf(services), 'revoke', token, 5_000);
    const token = (await services.secrets.get(scope.tenantId, 'SLACK_ACCESS_TOKEN')) ?? new SecretValue('');

    lasting.faults.next('revoke', { status: 200, body: JSON.stringify({ ok: false, error: 'internal_error' }) });
    expect(await failure(revoke(ctx(token)))).toMatchObject({ step: 'revoke', status: 503, oauthError: 'internal_error' });
    lasting.faults.next('revoke', { status: 429 });
    expect(await failure(revoke(ctx(token)))).toMatchObject({ step: 'revoke', status: 429 });
    expect(await revoke(ctx(token))).toBe('revoked');
    expect(await revoke(ctx(token))).toBe('already_revoked');
    expect(await revoke(ctx(new SecretValue('xoxb-unknown')))).toBe('already_revoked');
    expect(lasting.log.filter((r) => r.path === '/api/auth.revoke').map((r) => r.status)).toEqual([200, 429, 200, 200, 200]);
  });
});
