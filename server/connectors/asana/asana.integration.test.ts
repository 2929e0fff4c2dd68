/**
 * Asana end to end through the real procedures: real Postgres, the generic sandbox started by
 * Asana's own `sandbox` hook over HTTP, the consent page approved over HTTP, refreshes by the
 * token lifecycle, revocations by the real job worker. What is Asana-specific lives in the
 * definition and its profile: granular read scopes, the lower-case `bearer` answer with its
 * `data` user, a refresh token that is never replaced, revocation that takes the refresh token
 * only, and `users/me` wrapped in `data` naming the user and their workspaces.
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
import { resolveOAuthConfig } from '../../oauth/config.js';
import type { OAuthSandbox } from '../../sandbox/oauth-sandbox.js';
import type { AppServices } from '../../services.js';
import { issueToken, NeedsReconnectError } from '../../tokens/issue.js';
import { refreshConnection } from '../../tokens/refresh.js';
import { sweepOnce } from '../../tokens/sweep.js';
import type { ConnectorDefinition, OAuthSpec } from '../types.js';
import { asana } from './definition.js';
import { ASANA_SANDBOX_USER as USER } from './sandbox-profile.js';

const db = useTestDatabase();
const logs = captureLogs();

const CLIENT = { clientId: 'plugboard-asana-it', clientSecret: `asana-client-secret-${randomBytes(12).toString('hex')}` };
const REDIRECT_URI = 'http://localhost:3000/integrations/asana/callback';
const ACCOUNT_NAME = `${USER.name} (${USER.workspaces.map((w) => w.name).join(', ')})`;
const definition = asana as ConnectorDefinition & { oauth: OAuthSpec<string> };

let sandbox: OAuthSandbox;
/** Codes seen in this file: none may reach a log line. */
const codes: string[] = [];

beforeAll(async () => {
  // The definition's own hook: the same sandbox `npm start` runs without ASANA_CLIENT_ID.
  sandbox = (await definition.oauth.sandbox?.(CLIENT)) as OAuthSandbox;
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(async () => {
  sandbox.reset();
  await db.sql('select graphile_worker.complete_jobs(array(select id from graphile_worker.jobs))');
});
afterEach(() => {
  const text = logs.text();
  for (const secret of [CLIENT.clientSecret, ...codes, ...sandbox.tokens().map((t) => t.token)]) {
    expect(text.includes(secret), 'a token, code or client secret reached the log').toBe(false);
  }
});

/** Test services whose Asana client is the sandbox, resolved exactly as `npm start` resolves it. */
function servicesWithSandbox(): AppServices {
  const base = testServices(db.orm, logs.logger, { OAUTH_HTTP_TIMEOUT_MS: '5000' });
  const oauth = new Map(base.oauth);
  oauth.set('asana', resolveOAuthConfig(definition, base.env, { client: CLIENT, server: sandbox }));
  return { ...base, oauth };
}

type Caller = ReturnType<typeof callerFor>;

async function connect(caller: Caller) {
  const authorizeUrl = new URL((await caller.asana.connect()).authorizeUrl);
  const callback = await approveOnConsentPage(authorizeUrl.toString());
  codes.push(callback.code);
  return { authorizeUrl, callback, result: await caller.asana.exchange(callback) };
}

async function connectedAdmin() {
  const services = servicesWithSandbox();
  const { session } = await signedInUser(services, 'admin');
  const caller = callerFor(services, session);
  const connected = await connect(caller);
  return { services, session, caller, scope: { tenantId: session.tenantId, connector: 'asana' as const }, ...connected };
}

async function rejection(call: Promise<unknown>): Promise<TRPCError> {
  const error = await call.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

const TOKEN_PATH = '/-/oauth_token';
const REVOKE_PATH = '/-/oauth_revoke';
const IDENTITY_PATH = '/api/1.0/users/me';
const calls = (path: string) => sandbox.log.filter((r) => r.path === path);
const accessTokens = () => sandbox.tokens().filter((t) => t.kind === 'access');
const refreshTokens = () => sandbox.tokens().filter((t) => t.kind === 'refresh');
const installation = (tenantId: string) =>
  db
    .sql<{ status: string; health: string; health_reason: string | null; external_account_id: string | null; external_account_name: string | null }>(
      "select status, health, health_reason, external_account_id, external_account_name from connector_installations where tenant_id = $1 and type = 'asana'",
      [tenantId],
    )
    .then((rows) => rows[0]);
const grantRows = (tenantId: string) =>
  db.sql<{ status: string }>("select status from connector_grants where tenant_id = $1 and connector = 'asana' order by created_at", [tenantId]);
const storedKeys = async (tenantId: string) =>
  (await db.sql<{ key: string }>('select key from secret_values where tenant_id = $1 order by key', [tenantId])).map((r) => r.key);
const config = async (tenantId: string) =>
  Object.fromEntries((await db.sql<{ key: string; value: string }>('select key, value from config_values where tenant_id = $1', [tenantId])).map((r) => [r.key, r.value]));
const me = (token: string) => fetch(`${sandbox.url}${IDENTITY_PATH}`, { headers: { authorization: `Bearer ${token}` } });
const revokeAtAsana = (token: string) =>
  fetch(`${sandbox.url}${REVOKE_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, token }),
  });

describe('Asana: connect', () => {
  it('the authorize URL asks for granular read scopes with PKCE; the exchange stores both tokens and names the user with their workspaces', async () => {
    const { services, session, caller, authorizeUrl, callback, result } = await connectedAdmin();
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${sandbox.url}/-/oauth_authorize`);
    expect(Object.fromEntries(authorizeUrl.searchParams)).toEqual({
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      state: callback.state,
      scope: 'users:read projects:read tasks:read',
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: 'S256',
    });
    // The sandbox checks the PKCE verifier against the challenge: a success proves it matched.
    expect(result).toEqual({ success: true, redirectTo: null, finishing: false });

    expect((await services.secrets.get(session.tenantId, 'ASANA_ACCESS_TOKEN'))?.reveal()).toBe(accessTokens()[0]?.token);
    expect((await services.secrets.get(session.tenantId, 'ASANA_REFRESH_TOKEN'))?.reveal()).toBe(refreshTokens()[0]?.token);
    const values = await config(session.tenantId);
    // Asana's `bearer`, stored the RFC 6750 way; one-hour tokens.
    expect(values).toEqual({ ASANA_TOKEN_TYPE: 'Bearer', ASANA_EXPIRES_AT: expect.any(String) });
    const lifetime = Date.parse(values.ASANA_EXPIRES_AT!) - Date.now();
    expect(lifetime).toBeGreaterThan(3_500_000);
    expect(lifetime).toBeLessThanOrEqual(3_600_000);
    expect(await installation(session.tenantId)).toMatchObject({ status: 'active', external_account_id: USER.gid, external_account_name: ACCOUNT_NAME });
    expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['active']);

    const [tokenCall] = calls(TOKEN_PATH);
    expect(tokenCall).toMatchObject({ method: 'POST', contentType: expect.stringMatching(/^application\/x-www-form-urlencoded/), authorization: null, status: 200 });
    expect(calls(IDENTITY_PATH).map((r) => [r.method, r.authorization, r.status])).toEqual([['GET', 'bearer', 200]]);

    expect(await caller.asana.status()).toMatchObject({
      state: 'connected',
      sandbox: true,
      workspace: { id: USER.gid, name: ACCOUNT_NAME },
      revocable: true,
      connectedBy: session.email,
      // Asana's token answer names no scopes.
      scopes: null,
    });
  });

  it('the token answer is Asana’s: lower-case bearer, the user in `data`, and no scope', async () => {
    const back = await approveOnConsentPage(`${sandbox.oauthUrl}?${new URLSearchParams({ client_id: CLIENT.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', state: 's' })}`);
    codes.push(back.code);
    const answer = await fetch(`${sandbox.url}${TOKEN_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: back.code, redirect_uri: REDIRECT_URI, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret }),
    });
    expect(await answer.json()).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 3600,
      data: { id: Number(USER.gid), gid: USER.gid, name: USER.name, email: USER.email },
    });
  });
});

describe('Asana: the token lifecycle', () => {
  it('a due token is refreshed by the sweep; the answer carries no refresh token, so the stored one is kept and keeps working', async () => {
    const { services, scope } = await connectedAdmin();
    const [refresh] = refreshTokens();
    await expireStoredToken(db, scope.tenantId, 'asana');
    await sweepOnce(services, logs.logger);

    expect(calls(TOKEN_PATH).map((r) => [r.status, r.authorization])).toEqual([[200, null], [200, null]]);
    const [, second] = accessTokens();
    expect((await services.secrets.get(scope.tenantId, 'ASANA_ACCESS_TOKEN'))?.reveal()).toBe(second?.token);
    expect(Date.parse((await config(scope.tenantId)).ASANA_EXPIRES_AT!)).toBeGreaterThan(Date.now() + 3_500_000);
    expect(refreshTokens()).toEqual([refresh]);
    expect((await services.secrets.get(scope.tenantId, 'ASANA_REFRESH_TOKEN'))?.reveal()).toBe(refresh?.token);
    // Not rotated: the same refresh token works again.
    expect((await refreshConnection(services, scope, logs.logger, { force: true })).refreshed).toBe(true);
    expect((await issueToken(services, scope, logs.logger)).accessToken.reveal()).toBe(accessTokens()[2]?.token);
    expect(await installation(scope.tenantId)).toMatchObject({ health: 'healthy' });
  });

  it('a refresh token deauthorized at Asana: invalid_grant makes the connection needs_reconnect; connecting again heals it', async () => {
    const { services, session, caller, scope } = await connectedAdmin();
    expect((await revokeAtAsana(refreshTokens()[0]!.token)).status).toBe(200);

    await expect(refreshConnection(services, scope, logs.logger, { force: true })).resolves.toMatchObject({ health: 'needs_reconnect' });
    expect(await installation(scope.tenantId)).toMatchObject({ health: 'needs_reconnect', health_reason: 'invalid_grant' });
    await expect(issueToken(services, scope, logs.logger)).rejects.toBeInstanceOf(NeedsReconnectError);

    await connect(caller);
    expect(await installation(session.tenantId)).toMatchObject({ status: 'active', health: 'healthy', health_reason: null });
    expect((await issueToken(services, scope, logs.logger)).accessToken.reveal()).toBe(accessTokens().at(-1)?.token);
  });
});

describe('Asana: disconnect', () => {
  it('revokes with the refresh token (Asana refuses access tokens there): the grant ends, its access token stops working; reconnect works', async () => {
    const { services, session, caller } = await connectedAdmin();
    const [access] = accessTokens();
    // What Asana does with an access token at the revocation endpoint: 400, nothing revoked.
    expect((await revokeAtAsana(access!.token)).status).toBe(400);
    expect(sandbox.tokens().some((t) => t.revoked)).toBe(false);
    const before = calls(REVOKE_PATH).length;

    await caller.asana.disconnect();
    expect(await services.secrets.get(session.tenantId, 'ASANA_ACCESS_TOKEN')).toBeNull();
    await runDueJobs({ url: db.url, services });

    expect(calls(REVOKE_PATH).slice(before).map((r) => [r.method, r.status, r.authorization, r.contentType?.split(';')[0]])).toEqual([
      ['POST', 200, null, 'application/x-www-form-urlencoded'],
    ]);
    expect(sandbox.tokens().map((t) => [t.kind, t.revoked])).toEqual([['refresh', true], ['access', true]]);
    expect((await me(access!.token)).status).toBe(401);
    expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['revoked']);
    expect(await storedKeys(session.tenantId)).toEqual([]);
    expect(await config(session.tenantId)).toEqual({});
    expect(await installation(session.tenantId)).toMatchObject({ status: 'disconnected', external_account_name: ACCOUNT_NAME });

    expect((await connect(caller)).result).toMatchObject({ success: true });
    expect(await caller.asana.status()).toMatchObject({ state: 'connected', workspace: { id: USER.gid }, health: 'healthy' });
  });

  it('a users/me that fails after the exchange: nothing is connected and the new grant is revoked at Asana', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const callback = await approveOnConsentPage((await caller.asana.connect()).authorizeUrl);
    codes.push(callback.code);
    sandbox.faults.next('identity', { status: 401 });

    const error = await rejection(caller.asana.exchange(callback));
    expect(error.message).not.toMatch(/Not Authorized|errors/);
    expect(await installation(session.tenantId)).toBeUndefined();
    await runDueJobs({ url: db.url, services });
    expect(calls(REVOKE_PATH).map((r) => r.status)).toEqual([200]);
    expect(sandbox.tokens().every((t) => t.revoked)).toBe(true);
    expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['revoked']);
    expect(await storedKeys(session.tenantId)).toEqual([]);
  });
});
