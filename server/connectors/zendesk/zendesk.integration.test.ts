/**
 * Zendesk end to end through the real procedures: real Postgres, one generic sandbox per Zendesk
 * instance (acme.zendesk.com, globex.zendesk.com, and oldco.zendesk.com whose OAuth client
 * predates expiring tokens), each instance's real host mapped to its sandbox by
 * PROVIDER_ORIGIN_OVERRIDES, so the URLs the engine fills from the `subdomain` setting decide
 * where every request goes. The consent page is clicked over HTTP and the revocation job is run
 * by the real worker.
 */
import { randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { getErrorShape } from '@trpc/server/unstable-core-do-not-import';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { approveOnConsentPage } from '../../../test/support/app-client.js';
import { testServices, useTestDatabase } from '../../../test/support/database.js';
import { callerFor, signedInUser } from '../../../test/support/factories.js';
import { runDueJobs } from '../../../test/support/jobs.js';
import { expireStoredToken } from '../../../test/support/linear-connection.js';
import { captureLogs } from '../../../test/support/logs.js';
import { startOAuthSandbox, type OAuthSandbox } from '../../sandbox/oauth-sandbox.js';
import type { AppServices } from '../../services.js';
import { issueToken, NeedsReconnectError } from '../../tokens/issue.js';
import { refreshConnection } from '../../tokens/refresh.js';
import { sweepOnce } from '../../tokens/sweep.js';
import { appRouter } from '../../trpc/router.js';
import { ZENDESK_SANDBOX_USER as USER, zendeskSandboxProfile } from './sandbox-profile.js';

const db = useTestDatabase();
const logs = captureLogs();

const CLIENT = { clientId: 'plugboard-zendesk-it', clientSecret: `zendesk-client-secret-${randomBytes(12).toString('hex')}` };
const REDIRECT_URI = 'http://localhost:3000/integrations/zendesk/callback';
const TOKEN_PATH = '/oauth/tokens';
const IDENTITY_PATH = '/api/v2/users/me.json';
const REVOKE_PATH = '/api/v2/oauth/tokens/current.json';

let acme: OAuthSandbox;
let globex: OAuthSandbox;
let oldco: OAuthSandbox;
const sandboxes = () => [acme, globex, oldco];
/** Codes seen in this file: none may reach a log line. */
const codes: string[] = [];

beforeAll(async () => {
  acme = await startOAuthSandbox(zendeskSandboxProfile({ subdomain: 'acme' }), CLIENT);
  globex = await startOAuthSandbox(zendeskSandboxProfile({ subdomain: 'globex', user: { id: 9001, name: 'Globex Agent', email: 'agent@globex.example' } }), CLIENT);
  oldco = await startOAuthSandbox(zendeskSandboxProfile({ subdomain: 'oldco', legacyClient: true }), CLIENT);
});
afterAll(async () => {
  await Promise.all(sandboxes().map((s) => s?.close()));
});
beforeEach(async () => {
  for (const sandbox of sandboxes()) sandbox.reset();
  await db.sql('select graphile_worker.complete_jobs(array(select id from graphile_worker.jobs))');
});
afterEach(() => {
  const text = logs.text();
  for (const secret of [CLIENT.clientSecret, ...codes, ...sandboxes().flatMap((s) => s.tokens().map((t) => t.token))]) {
    expect(text.includes(secret), 'a token, code or client secret reached the log').toBe(false);
  }
});

/** The app as production runs it, with each instance's real host sent to its own sandbox. */
function zendeskServices(): AppServices {
  return testServices(db.orm, logs.logger, {
    ZENDESK_CLIENT_ID: CLIENT.clientId,
    ZENDESK_CLIENT_SECRET: CLIENT.clientSecret,
    PROVIDER_ORIGIN_OVERRIDES: [`https://acme.zendesk.com=${acme.url}`, `https://globex.zendesk.com=${globex.url}`, `https://oldco.zendesk.com=${oldco.url}`].join(','),
    OAUTH_HTTP_TIMEOUT_MS: '5000',
  });
}

type Caller = ReturnType<typeof callerFor>;

async function connect(caller: Caller, subdomain: string) {
  const authorizeUrl = new URL((await caller.zendesk.connect({ settings: { subdomain } })).authorizeUrl);
  const callback = await approveOnConsentPage(authorizeUrl.toString());
  codes.push(callback.code);
  return { authorizeUrl, callback, result: await caller.zendesk.exchange(callback) };
}

async function connectedAdmin(subdomain = 'acme', services = zendeskServices()) {
  const { session } = await signedInUser(services, 'admin');
  const caller = callerFor(services, session);
  const connected = await connect(caller, subdomain);
  return { services, session, caller, scope: { tenantId: session.tenantId, connector: 'zendesk' as const }, ...connected };
}

async function rejection(call: Promise<unknown>) {
  const error = await call.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof TRPCError)) throw new Error('expected a TRPCError');
  const shape = getErrorShape({ config: appRouter._def._config, error, type: 'mutation', path: 'zendesk.connect', input: undefined, ctx: undefined });
  return { error, fieldErrors: (shape.data as { fieldErrors?: Record<string, string[]> }).fieldErrors ?? {} };
}

const calls = (sandbox: OAuthSandbox, path?: string) => sandbox.log.filter((r) => !path || r.path === path);
const tokensOf = (sandbox: OAuthSandbox, kind: 'access' | 'refresh') => sandbox.tokens().filter((t) => t.kind === kind);
const installation = (tenantId: string) =>
  db
    .sql<{ status: string; health: string; health_reason: string | null; external_account_id: string | null; external_account_name: string | null }>(
      "select status, health, health_reason, external_account_id, external_account_name from connector_installations where tenant_id = $1 and type = 'zendesk'",
      [tenantId],
    )
    .then((rows) => rows[0]);
const grantRows = (tenantId: string) =>
  db.sql<{ status: string }>("select status from connector_grants where tenant_id = $1 and connector = 'zendesk' order by created_at", [tenantId]);
const storedKeys = async (tenantId: string) =>
  (await db.sql<{ key: string }>('select key from secret_values where tenant_id = $1 order by key', [tenantId])).map((r) => r.key);
const config = async (tenantId: string) =>
  Object.fromEntries((await db.sql<{ key: string; value: string }>('select key, value from config_values where tenant_id = $1', [tenantId])).map((r) => [r.key, r.value]));
const stateCount = async (tenantId: string) =>
  Number((await db.sql<{ n: string }>('select count(*) as n from oauth_states where tenant_id = $1', [tenantId]))[0]?.n);
const me = (sandbox: OAuthSandbox, token: string) => fetch(`${sandbox.url}${IDENTITY_PATH}`, { headers: { authorization: `Bearer ${token}` } });
/** A refresh as Zendesk takes it, sent directly (to show what the sandbox does with a spent token). */
const refreshAt = (sandbox: OAuthSandbox, refreshToken: string) =>
  fetch(`${sandbox.url}${TOKEN_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret }),
  });
const minutesLeft = (iso: string | undefined) => (Date.parse(iso ?? '') - Date.now()) / 60_000;

describe('Zendesk: connect', () => {
  it('the authorize URL is on the instance, asks for `read` with PKCE; the exchange stores expiring tokens and names the instance and the user', async () => {
    const { services, session, caller, authorizeUrl, callback, result } = await connectedAdmin('acme');
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${acme.url}/oauth/authorizations/new`);
    expect(Object.fromEntries(authorizeUrl.searchParams)).toEqual({
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      state: callback.state,
      scope: 'read',
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: 'S256',
    });
    // The sandbox checks the PKCE verifier against the challenge: a success proves it matched.
    expect(result).toEqual({ success: true, redirectTo: null, finishing: false });

    const [access] = tokensOf(acme, 'access');
    const [refresh] = tokensOf(acme, 'refresh');
    expect((await services.secrets.get(session.tenantId, 'ZENDESK_ACCESS_TOKEN'))?.reveal()).toBe(access?.token);
    expect((await services.secrets.get(session.tenantId, 'ZENDESK_REFRESH_TOKEN'))?.reveal()).toBe(refresh?.token);
    const values = await config(session.tenantId);
    expect(values).toEqual({
      ZENDESK_TOKEN_TYPE: 'Bearer',
      ZENDESK_EXPIRES_AT: expect.any(String),
      ZENDESK_SCOPES: 'read',
      ZENDESK_SUBDOMAIN: 'acme',
    });
    // The 30 minutes asked for.
    expect(minutesLeft(values.ZENDESK_EXPIRES_AT)).toBeGreaterThan(29);
    expect(minutesLeft(values.ZENDESK_EXPIRES_AT)).toBeLessThanOrEqual(30);
    expect(await installation(session.tenantId)).toMatchObject({
      status: 'active',
      external_account_id: 'acme',
      external_account_name: `acme.zendesk.com (${USER.name})`,
    });

    // The client secret in a form body (no Authorization header), then users/me with the bearer token.
    expect(calls(acme).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /oauth/authorizations/new 200',
      'POST /oauth/authorizations/new/decision 302',
      `POST ${TOKEN_PATH} 200`,
      `GET ${IDENTITY_PATH} 200`,
    ]);
    const [tokenCall, identityCall] = calls(acme).slice(2);
    expect(tokenCall).toMatchObject({ contentType: expect.stringMatching(/^application\/x-www-form-urlencoded/), authorization: null });
    expect(identityCall?.authorization).toBe('bearer');

    expect(await caller.zendesk.status()).toMatchObject({
      state: 'connected',
      workspace: { id: 'acme', name: `acme.zendesk.com (${USER.name})` },
      revocable: true,
      connectedBy: session.email,
      scopes: ['read'],
    });
    expect((await caller.zendesk.status()).settings).toEqual([expect.objectContaining({ name: 'subdomain', label: 'Zendesk subdomain', value: 'acme' })]);
  });

  it('a client made before expiring tokens: Zendesk gives no expiry and no refresh token unless asked, and Plugboard asks', async () => {
    // What Zendesk does without `expires_in` for such a client: a token for ever, no refresh token.
    const back = await approveOnConsentPage(
      `${oldco.oauthUrl}?${new URLSearchParams({ client_id: CLIENT.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', state: 's', scope: 'read' })}`,
    );
    codes.push(back.code);
    const bare = await fetch(`${oldco.url}${TOKEN_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'authorization_code', code: back.code, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, redirect_uri: REDIRECT_URI }),
    });
    expect(await bare.json()).toEqual({ access_token: expect.any(String), token_type: 'Bearer', scope: 'read' });

    // Through Plugboard: `expires_in` and `refresh_token_expires_in` are sent, so both come back.
    oldco.reset();
    const { services, session } = await connectedAdmin('oldco');
    expect(oldco.tokens().map((t) => t.kind).sort()).toEqual(['access', 'refresh']);
    expect((await services.secrets.get(session.tenantId, 'ZENDESK_REFRESH_TOKEN'))?.reveal()).toBe(tokensOf(oldco, 'refresh')[0]?.token);
    const values = await config(session.tenantId);
    expect(minutesLeft(values.ZENDESK_EXPIRES_AT)).toBeGreaterThan(29);
    expect(minutesLeft(values.ZENDESK_EXPIRES_AT)).toBeLessThanOrEqual(30);
    expect(values.ZENDESK_SUBDOMAIN).toBe('oldco');
  });
});

describe('Zendesk: the subdomain setting', () => {
  it.each([
    ['missing', {}],
    ['empty', { subdomain: '' }],
    ['a whole host', { subdomain: 'acme.zendesk.com' }],
    ['a URL', { subdomain: 'https://acme.zendesk.com' }],
    ['another host', { subdomain: 'evil.example/' }],
    ['a leading hyphen', { subdomain: '-acme' }],
    ['an underscore', { subdomain: 'ac_me' }],
    ['a user part', { subdomain: 'acme@evil' }],
    ['too long', { subdomain: 'a'.repeat(64) }],
  ])('%s: refused with a message for the field, and nothing is stored', async (_case, settings) => {
    const services = zendeskServices();
    const { session } = await signedInUser(services, 'admin');
    const { error, fieldErrors } = await rejection(callerFor(services, session).zendesk.connect({ settings }));
    expect(error.code).toBe('BAD_REQUEST');
    expect(Object.keys(fieldErrors)).toEqual(['subdomain']);
    expect(fieldErrors.subdomain?.[0]).toMatch(/subdomain/);
    expect(await stateCount(session.tenantId)).toBe(0);
    expect(await config(session.tenantId)).toEqual({});
    expect(sandboxes().every((s) => s.log.length === 0)).toBe(true);
  });

  it('a subdomain typed with capitals and spaces is used as Zendesk spells it', async () => {
    const services = zendeskServices();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const authorizeUrl = new URL((await caller.zendesk.connect({ settings: { subdomain: '  Acme ' } })).authorizeUrl);
    expect(authorizeUrl.origin).toBe(acme.url);
  });
});

describe('Zendesk: two instances side by side', () => {
  it('each tenant is authorized, exchanged, identified and revoked on its own instance, and a token works on its own instance only', async () => {
    const services = zendeskServices();
    const a = await connectedAdmin('acme', services);
    const g = await connectedAdmin('globex', services);
    const acmeToken = tokensOf(acme, 'access')[0]!.token;
    const globexToken = tokensOf(globex, 'access')[0]!.token;

    for (const sandbox of [acme, globex]) {
      expect(calls(sandbox).slice(2).map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${TOKEN_PATH}`, `GET ${IDENTITY_PATH}`]);
    }
    expect((await me(acme, acmeToken)).status).toBe(200);
    expect((await me(globex, acmeToken)).status).toBe(401);
    expect((await me(acme, globexToken)).status).toBe(401);

    expect((await config(a.session.tenantId)).ZENDESK_SUBDOMAIN).toBe('acme');
    expect((await config(g.session.tenantId)).ZENDESK_SUBDOMAIN).toBe('globex');
    expect(await installation(g.session.tenantId)).toMatchObject({ external_account_id: 'globex', external_account_name: 'globex.zendesk.com (Globex Agent)' });

    // Acme's disconnect revokes at acme.zendesk.com only; Globex's connection is untouched.
    await a.caller.zendesk.disconnect();
    await runDueJobs({ url: db.url, services });
    expect(calls(acme, REVOKE_PATH).map((r) => r.status)).toEqual([204]);
    expect(calls(globex, REVOKE_PATH)).toEqual([]);
    expect((await me(acme, acmeToken)).status).toBe(401);
    expect((await me(globex, globexToken)).status).toBe(200);
    expect(await g.caller.zendesk.status()).toMatchObject({ state: 'connected', workspace: { id: 'globex' } });
  });
});

describe('Zendesk: the token lifecycle', () => {
  it('a due token is refreshed on its instance: the refresh token rotates, and the old refresh and access tokens stop working', async () => {
    const { services, scope } = await connectedAdmin('acme');
    const [oldAccess] = tokensOf(acme, 'access');
    const [oldRefresh] = tokensOf(acme, 'refresh');
    await expireStoredToken(db, scope.tenantId, 'zendesk');
    await sweepOnce(services, logs.logger);

    expect(calls(acme, TOKEN_PATH).map((r) => [r.status, r.authorization])).toEqual([[200, null], [200, null]]);
    const [, newAccess] = tokensOf(acme, 'access');
    const [, newRefresh] = tokensOf(acme, 'refresh');
    expect((await services.secrets.get(scope.tenantId, 'ZENDESK_ACCESS_TOKEN'))?.reveal()).toBe(newAccess?.token);
    expect((await services.secrets.get(scope.tenantId, 'ZENDESK_REFRESH_TOKEN'))?.reveal()).toBe(newRefresh?.token);
    expect(minutesLeft((await config(scope.tenantId)).ZENDESK_EXPIRES_AT)).toBeGreaterThan(29);

    // Zendesk deleted the previous pair.
    expect((await me(acme, oldAccess!.token)).status).toBe(401);
    expect((await me(acme, newAccess!.token)).status).toBe(200);
    expect((await refreshAt(acme, oldRefresh!.token)).status).toBe(400);
    expect(await installation(scope.tenantId)).toMatchObject({ health: 'healthy' });
  });

  it('a grant ended at Zendesk: invalid_grant makes the connection needs_reconnect; connecting again heals it', async () => {
    const { services, session, caller, scope } = await connectedAdmin('acme');
    // Revoked at Zendesk (an admin removed the token there): the whole token is gone.
    const revoked = await fetch(`${acme.url}${REVOKE_PATH}`, { method: 'DELETE', headers: { authorization: `Bearer ${tokensOf(acme, 'access')[0]!.token}` } });
    expect(revoked.status).toBe(204);

    await expect(refreshConnection(services, scope, logs.logger, { force: true })).resolves.toMatchObject({ health: 'needs_reconnect' });
    expect(await installation(scope.tenantId)).toMatchObject({ health: 'needs_reconnect', health_reason: 'invalid_grant' });
    await expect(issueToken(services, scope, logs.logger)).rejects.toBeInstanceOf(NeedsReconnectError);

    await connect(caller, 'acme');
    expect(await installation(session.tenantId)).toMatchObject({ status: 'active', health: 'healthy', health_reason: null });
    expect((await issueToken(services, scope, logs.logger)).accessToken.reveal()).toBe(tokensOf(acme, 'access').at(-1)?.token);
  });
});

describe('Zendesk: disconnect', () => {
  it('revokes with DELETE …/tokens/current.json and the token as bearer: the token and its refresh token stop working; reconnect works', async () => {
    const { services, session, caller } = await connectedAdmin('acme');
    const [access] = tokensOf(acme, 'access');
    const [refresh] = tokensOf(acme, 'refresh');

    await caller.zendesk.disconnect();
    expect(await services.secrets.get(session.tenantId, 'ZENDESK_ACCESS_TOKEN')).toBeNull();
    await runDueJobs({ url: db.url, services });

    expect(calls(acme, REVOKE_PATH).map((r) => [r.method, r.status, r.authorization])).toEqual([['DELETE', 204, 'bearer']]);
    expect(acme.tokens().every((t) => t.revoked)).toBe(true);
    expect((await me(acme, access!.token)).status).toBe(401);
    expect((await refreshAt(acme, refresh!.token)).status).toBe(400);
    expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['revoked']);
    expect(await storedKeys(session.tenantId)).toEqual([]);
    expect(await config(session.tenantId)).toEqual({});
    expect(await installation(session.tenantId)).toMatchObject({ status: 'disconnected', external_account_id: 'acme' });

    expect((await connect(caller, 'acme')).result).toMatchObject({ success: true });
    expect(await caller.zendesk.status()).toMatchObject({ state: 'connected', workspace: { id: 'acme' }, health: 'healthy' });
  });

  it('a users/me that fails after the exchange: nothing is connected and the new token is revoked on its instance', async () => {
    const services = zendeskServices();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const callback = await approveOnConsentPage((await caller.zendesk.connect({ settings: { subdomain: 'globex' } })).authorizeUrl);
    codes.push(callback.code);
    globex.faults.next('identity', { status: 401 });

    const { error } = await rejection(caller.zendesk.exchange(callback));
    expect(error.code).not.toBe('INTERNAL_SERVER_ERROR');
    expect(await installation(session.tenantId)).toBeUndefined();
    await runDueJobs({ url: db.url, services });
    expect(calls(globex, REVOKE_PATH).map((r) => r.status)).toEqual([204]);
    expect(globex.tokens().every((t) => t.revoked)).toBe(true);
    expect(calls(acme)).toEqual([]);
    expect(await storedKeys(session.tenantId)).toEqual([]);
  });
});
