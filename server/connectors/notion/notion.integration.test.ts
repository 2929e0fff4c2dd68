/**
 * Notion end to end through the real procedures: real Postgres, the generic sandbox started by
 * Notion's own `sandbox` hook over HTTP, the consent page approved over HTTP, the revocation job
 * run by the real worker, refresh through the token lifecycle. Nothing Notion-specific exists
 * outside the definition and its profile.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { approveOnConsentPage } from '../../../test/support/app-client.js';
import { callerFor, signedInUser } from '../../../test/support/factories.js';
import { testServices, useTestDatabase } from '../../../test/support/database.js';
import { runDueJobs } from '../../../test/support/jobs.js';
import { captureLogs } from '../../../test/support/logs.js';
import { resolveOAuthConfig } from '../../oauth/config.js';
import { refreshTokens } from '../../oauth/engine.js';
import { startOAuthSandbox, type OAuthSandbox } from '../../sandbox/oauth-sandbox.js';
import { SecretValue } from '../../secrets/secret-value.js';
import type { AppServices } from '../../services.js';
import { issueToken, NeedsReconnectError } from '../../tokens/issue.js';
import { verifyConnection } from '../../tokens/verify.js';
import type { ConnectorDefinition, OAuthSpec } from '../types.js';
import { NOTION_API_VERSION, notion } from './definition.js';
import { NOTION_SANDBOX_WORKSPACE as WORKSPACE, notionSandboxProfile } from './sandbox-profile.js';

const db = useTestDatabase();
const logs = captureLogs();

const CLIENT = { clientId: '7d9f4e2a-1b3c-4d5e-8f6a-0b1c2d3e4f5a', clientSecret: `secret_${randomBytes(16).toString('hex')}` };
const REDIRECT_URI = 'http://localhost:3000/integrations/notion/callback';
const definition = notion as ConnectorDefinition & { oauth: OAuthSpec<string> };
const LEARNED = { workspaceId: WORKSPACE.id, workspaceName: WORKSPACE.name, workspaceIcon: WORKSPACE.icon, botId: WORKSPACE.botId, ownerType: 'user' };

let sandbox: OAuthSandbox;
/** Codes seen in this file: none may reach a log line. */
const codes: string[] = [];
/** Sandboxes a test started on its own (another profile), closed after it. */
const extra: OAuthSandbox[] = [];

beforeAll(async () => {
  // The definition's own hook: the same sandbox `npm start` runs without NOTION_CLIENT_ID.
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
  const issued = [sandbox, ...extra].flatMap((s) => s.tokens().map((t) => t.token));
  await Promise.all(extra.splice(0).map((s) => s.close()));
  for (const secret of [CLIENT.clientSecret, ...codes, ...issued]) {
    expect(text.includes(secret), 'a token, code or client secret reached the log').toBe(false);
  }
});

/** Test services whose Notion client is `server`, resolved exactly as `npm start` resolves it. */
function servicesWith(server: OAuthSandbox = sandbox): AppServices {
  const base = testServices(db.orm, logs.logger, { OAUTH_HTTP_TIMEOUT_MS: '5000' });
  const oauth = new Map(base.oauth);
  oauth.set('notion', resolveOAuthConfig(definition, base.env, { client: CLIENT, server }));
  return { ...base, oauth };
}
type Caller = ReturnType<typeof callerFor>;

async function approve(caller: Caller): Promise<{ authorizeUrl: URL; code: string; state: string }> {
  const authorizeUrl = new URL((await caller.notion.connect()).authorizeUrl);
  const { code, state } = await approveOnConsentPage(authorizeUrl.toString());
  codes.push(code);
  return { authorizeUrl, code, state };
}

async function connected(server: OAuthSandbox = sandbox) {
  const services = servicesWith(server);
  const { session } = await signedInUser(services, 'admin');
  const caller = callerFor(services, session);
  const { code, state } = await approve(caller);
  expect(await caller.notion.exchange({ code, state })).toEqual({ success: true, redirectTo: null, finishing: false });
  return { services, session, caller, scope: { tenantId: session.tenantId, connector: 'notion' as const } };
}

const calls = (server = sandbox) => server.log.map((r) => `${r.method} ${r.path} ${r.status ?? ''}`);
const live = (kind: 'access' | 'refresh', server = sandbox) => server.tokens().filter((t) => t.kind === kind && !t.revoked);
const installation = (tenantId: string) =>
  db
    .sql<{ status: string; health: string | null; health_reason: string | null; external_account_id: string | null; external_account_name: string | null; expires_at: Date | null }>(
      "select status, health, health_reason, external_account_id, external_account_name, expires_at from connector_installations where tenant_id = $1 and type = 'notion'",
      [tenantId],
    )
    .then((rows) => rows[0]);
const grantRows = (tenantId: string) =>
  db.sql<{ status: string; settings: Record<string, string> | null }>(
    "select status, settings from connector_grants where tenant_id = $1 and connector = 'notion' order by created_at",
    [tenantId],
  );
const storedKeys = async (tenantId: string) =>
  (await db.sql<{ key: string }>('select key from secret_values where tenant_id = $1 order by key', [tenantId])).map((r) => r.key);
const configValues = async (tenantId: string) =>
  Object.fromEntries((await db.sql<{ key: string; value: string }>('select key, value from config_values where tenant_id = $1', [tenantId])).map((r) => [r.key, r.value]));
const secret = async (services: AppServices, tenantId: string, key: 'NOTION_ACCESS_TOKEN' | 'NOTION_REFRESH_TOKEN') =>
  (await services.secrets.get(tenantId, key))?.reveal() ?? null;

describe('Notion through the generic engine and sandbox', () => {
  it('connect: owner=user consent; a JSON token request with Basic and Notion-Version; tokens stored, the workspace learned and shown', async () => {
    const services = servicesWith();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);

    const { authorizeUrl, code, state } = await approve(caller);
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(sandbox.oauthUrl);
    expect(Object.fromEntries(authorizeUrl.searchParams)).toEqual({ client_id: CLIENT.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', state, owner: 'user' });
    expect(await caller.notion.exchange({ code, state })).toEqual({ success: true, redirectTo: null, finishing: false });

    // One access and one refresh token, both stored in the secret backend, never in config.
    const [access] = live('access');
    const [refresh] = live('refresh');
    expect(sandbox.tokens()).toHaveLength(2);
    expect(access).toMatchObject({ identityCalls: 1 });
    expect(await secret(services, session.tenantId, 'NOTION_ACCESS_TOKEN')).toBe(access?.token);
    expect(await secret(services, session.tenantId, 'NOTION_REFRESH_TOKEN')).toBe(refresh?.token);
    expect(await configValues(session.tenantId)).toEqual({
      NOTION_TOKEN_TYPE: 'Bearer',
      NOTION_WORKSPACE_ID: WORKSPACE.id,
      NOTION_WORKSPACE_NAME: WORKSPACE.name,
      NOTION_WORKSPACE_ICON: WORKSPACE.icon,
      NOTION_BOT_ID: WORKSPACE.botId,
      NOTION_OWNER_TYPE: 'user',
    });
    expect((await grantRows(session.tenantId)).map((g) => [g.status, g.settings])).toEqual([['active', LEARNED]]);
    // No expires_in from Notion: no expiry is invented.
    expect(await installation(session.tenantId)).toMatchObject({
      status: 'active',
      external_account_id: WORKSPACE.id,
      external_account_name: WORKSPACE.name,
      expires_at: null,
    });

    expect(calls()).toEqual(['GET /v1/oauth/authorize 200', 'POST /v1/oauth/authorize/decision 302', 'POST /v1/oauth/token 200', 'GET /v1/users/me 200']);
    const [tokenCall, meCall] = sandbox.log.slice(2);
    expect(tokenCall).toMatchObject({ contentType: 'application/json', authorization: 'basic', headers: { 'notion-version': NOTION_API_VERSION } });
    expect(meCall).toMatchObject({ authorization: 'bearer', headers: { 'notion-version': NOTION_API_VERSION } });

    const status = await caller.notion.status();
    expect(status).toMatchObject({
      connector: 'notion',
      sandbox: true,
      state: 'connected',
      workspace: { id: WORKSPACE.id, name: WORKSPACE.name },
      connectedBy: session.email,
      health: 'healthy',
      expiresAt: null,
      revocable: true,
    });
    expect(status.learned).toEqual([
      { name: 'workspaceId', label: 'Notion workspace id', value: WORKSPACE.id },
      { name: 'workspaceName', label: 'Notion workspace name', value: WORKSPACE.name },
      { name: 'workspaceIcon', label: 'Workspace icon', value: WORKSPACE.icon },
      { name: 'botId', label: 'Bot id', value: WORKSPACE.botId },
      { name: 'ownerType', label: 'Installed for', value: 'user' },
    ]);
    expect(JSON.stringify(status)).not.toContain(access?.token ?? '-');
  });

  it('rotation: a rejected token is refreshed with the refresh token; the new pair is stored and the old refresh token fails', async () => {
    const { services, scope } = await connected();
    const oldAccess = await secret(services, scope.tenantId, 'NOTION_ACCESS_TOKEN');
    const oldRefresh = await secret(services, scope.tenantId, 'NOTION_REFRESH_TOKEN');

    // What the token API does when a service reports a 401 with the token it was given.
    const issued = await issueToken(services, scope, logs.logger, { rejected: true });
    const newAccess = await secret(services, scope.tenantId, 'NOTION_ACCESS_TOKEN');
    const newRefresh = await secret(services, scope.tenantId, 'NOTION_REFRESH_TOKEN');
    expect(issued.accessToken.reveal()).toBe(newAccess);
    expect(newAccess).not.toBe(oldAccess);
    expect(newRefresh).not.toBe(oldRefresh);
    expect(live('refresh').map((t) => t.token)).toEqual([newRefresh]);
    // The refresh answer repeats the workspace: the learned values stay, and reach the service.
    expect(issued.settings).toEqual(LEARNED);
    expect(issued.account).toEqual({ id: WORKSPACE.id, name: WORKSPACE.name });
    const refreshCall = sandbox.log.filter((r) => r.path === '/v1/oauth/token').at(-1);
    expect(refreshCall).toMatchObject({ status: 200, contentType: 'application/json', authorization: 'basic', headers: { 'notion-version': NOTION_API_VERSION } });
    expect(await installation(scope.tenantId)).toMatchObject({ status: 'active', health: 'healthy', expires_at: null });

    // The old refresh token is spent: Notion answers invalid_grant (and the sandbox, seeing a
    // rotated token come back, ends the grant as a leaked copy should).
    const config = services.oauth.get('notion') as Parameters<typeof refreshTokens>[0];
    await expect(refreshTokens(config, new SecretValue(oldRefresh ?? ''), 5000)).rejects.toMatchObject({ status: 400, oauthError: 'invalid_grant' });
  });

  it('the daily check: a token Notion rejects is refreshed; a refresh token that is gone (invalid_grant) needs a reconnect', async () => {
    const { services, scope, caller } = await connected();
    sandbox.faults.next('identity', { status: 401 });
    expect(await verifyConnection(services, scope, logs.logger)).toBe('healthy');
    expect(sandbox.log.filter((r) => r.path === '/v1/oauth/token').map((r) => r.status)).toEqual([200, 200]);

    // Someone else spends the stored refresh token (a copy restored from a backup, say).
    const stored = new SecretValue((await secret(services, scope.tenantId, 'NOTION_REFRESH_TOKEN')) ?? '');
    await refreshTokens(services.oauth.get('notion') as Parameters<typeof refreshTokens>[0], stored, 5000);
    await expect(issueToken(services, scope, logs.logger, { rejected: true })).rejects.toBeInstanceOf(NeedsReconnectError);
    expect(await installation(scope.tenantId)).toMatchObject({ status: 'active', health: 'needs_reconnect', health_reason: 'invalid_grant' });
    expect(await caller.notion.status()).toMatchObject({ state: 'connected', health: 'needs_reconnect', healthReason: 'invalid_grant' });

    // Reconnect: a new grant, healthy again; the dead one is revoked by the job.
    const { code, state } = await approve(caller);
    await caller.notion.exchange({ code, state });
    expect(await installation(scope.tenantId)).toMatchObject({ status: 'active', health: 'healthy', health_reason: null });
    await runDueJobs({ url: db.url, services });
    expect((await grantRows(scope.tenantId)).map((g) => g.status)).toEqual(['revoked', 'active']);
    const current = await secret(services, scope.tenantId, 'NOTION_ACCESS_TOKEN');
    expect(live('access').map((t) => t.token)).toEqual([current]);
    expect((await issueToken(services, scope, logs.logger)).accessToken.reveal()).toBe(current);
  });

  it('disconnect: the job revokes the access token (JSON, Basic, Notion-Version), which ends the connection; nothing stays stored', async () => {
    const { services, session, caller } = await connected();
    const access = await secret(services, session.tenantId, 'NOTION_ACCESS_TOKEN');

    expect(await caller.notion.disconnect()).toEqual({ success: true, redirectTo: null, finishing: false });
    expect(sandbox.tokens().some((t) => t.revoked)).toBe(false);
    await runDueJobs({ url: db.url, services });

    const revokes = sandbox.log.filter((r) => r.path === '/v1/oauth/revoke');
    expect(revokes.map((r) => [r.status, r.authorization, r.contentType, r.headers['notion-version']])).toEqual([
      [200, 'basic', 'application/json', NOTION_API_VERSION],
    ]);
    // Revoking the access token ended the grant: both tokens are dead at Notion.
    expect(sandbox.tokens().map((t) => [t.kind, t.revoked])).toEqual([
      ['refresh', true],
      ['access', true],
    ]);
    const me = await fetch(`${sandbox.url}/v1/users/me`, { headers: { authorization: `Bearer ${access}`, 'notion-version': NOTION_API_VERSION } });
    expect([me.status, await me.json()]).toEqual([401, { object: 'error', status: 401, code: 'unauthorized', message: 'API token is invalid.', request_id: expect.any(String) }]);
    expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['revoked']);
    expect(await storedKeys(session.tenantId)).toEqual([]);
    expect(await configValues(session.tenantId)).toEqual({});
    expect(await caller.notion.status()).toMatchObject({ state: 'disconnected', learned: expect.arrayContaining([{ name: 'workspaceId', label: 'Notion workspace id', value: null }]) });

    // Connect again after a disconnect: a fresh pair, the workspace learned again.
    const { code, state } = await approve(caller);
    await caller.notion.exchange({ code, state });
    expect(await installation(session.tenantId)).toMatchObject({ status: 'active', external_account_name: WORKSPACE.name });
    expect(live('access')).toHaveLength(1);
    expect((await configValues(session.tenantId)).NOTION_WORKSPACE_ID).toBe(WORKSPACE.id);
  });

  it('a connection without a refresh token (refresh_token: null) connects; a rejected token then needs a reconnect', async () => {
    const noRefresh = await startOAuthSandbox({ ...notionSandboxProfile, refreshTokens: undefined }, CLIENT);
    extra.push(noRefresh);
    const { services, scope } = await connected(noRefresh);
    expect(noRefresh.tokens().map((t) => t.kind)).toEqual(['access']);
    expect(await storedKeys(scope.tenantId)).toContain('NOTION_ACCESS_TOKEN');
    expect((await storedKeys(scope.tenantId)).filter((k) => k.includes('REFRESH'))).toEqual([]);
    expect(await secret(services, scope.tenantId, 'NOTION_REFRESH_TOKEN')).toBeNull();
    noRefresh.faults.next('identity', { status: 401 });
    await expect(issueToken(services, scope, logs.logger, { rejected: true })).rejects.toBeInstanceOf(NeedsReconnectError);
    expect(await installation(scope.tenantId)).toMatchObject({ health: 'needs_reconnect', health_reason: 'identity_rejected' });
  });

  it('a token answer with a workspace id that is not a UUID is refused: nothing is connected or stored', async () => {
    const odd = await startOAuthSandbox({ ...notionSandboxProfile, tokenAnswer: (s) => ({ ...notionSandboxProfile.tokenAnswer!(s), workspace_id: 'acme.evil.example' }) }, CLIENT);
    extra.push(odd);
    const services = servicesWith(odd);
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { code, state } = await approve(caller);
    await expect(caller.notion.exchange({ code, state })).rejects.toMatchObject({ cause: { reason: 'provider_malformed' } });
    expect(calls(odd).slice(2)).toEqual(['POST /v1/oauth/token 200']);
    expect(await installation(session.tenantId)).toBeUndefined();
    expect(await configValues(session.tenantId)).toEqual({});
    expect(JSON.stringify(logs.lines)).not.toContain('acme.evil.example');
  });
});
