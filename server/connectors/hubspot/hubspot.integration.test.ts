/**
 * HubSpot end to end through the real procedures: real Postgres, the generic sandbox started by
 * HubSpot's own `sandbox` hook over HTTP, the consent page approved over HTTP, refreshes by the
 * token lifecycle, revocations by the real job worker. What is HubSpot-specific lives in the
 * definition and its profile: the 2026-03 endpoints, the v1-shaped token answer, the unrotated
 * refresh token, account details as the identity, and the revoke-on-disconnect setting.
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
import { hubspot } from './definition.js';
import { HUBSPOT_SANDBOX_ACCOUNT as ACCOUNT } from './sandbox-profile.js';

const db = useTestDatabase();
const logs = captureLogs();

const CLIENT = { clientId: 'plugboard-hubspot-it', clientSecret: `hubspot-client-secret-${randomBytes(12).toString('hex')}` };
const REDIRECT_URI = 'http://localhost:3000/integrations/hubspot/callback';
const ACCOUNT_NAME = `HubSpot portal ${ACCOUNT.portalId} (${ACCOUNT.uiDomain})`;
const definition = hubspot as ConnectorDefinition & { oauth: OAuthSpec<string> };

let sandbox: OAuthSandbox;
/** Codes seen in this file: none may reach a log line. */
const codes: string[] = [];

beforeAll(async () => {
  // The definition's own hook: the same sandbox `npm start` runs without HUBSPOT_CLIENT_ID.
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

/** Test services whose HubSpot client is the sandbox, resolved exactly as `npm start` resolves it. */
function servicesWithSandbox(env: Record<string, string> = {}): AppServices {
  const base = testServices(db.orm, logs.logger, { OAUTH_HTTP_TIMEOUT_MS: '5000', ...env });
  const oauth = new Map(base.oauth);
  oauth.set('hubspot', resolveOAuthConfig(definition, base.env, { client: CLIENT, server: sandbox }));
  return { ...base, oauth };
}

type Caller = ReturnType<typeof callerFor>;

/** Connect (with the settings the form would post), approve at the sandbox, hand the callback to `exchange`. */
async function connect(caller: Caller, settings?: Record<string, string>) {
  const authorizeUrl = new URL((await caller.hubspot.connect(settings ? { settings } : undefined)).authorizeUrl);
  const callback = await approveOnConsentPage(authorizeUrl.toString());
  codes.push(callback.code);
  return { authorizeUrl, callback, result: await caller.hubspot.exchange(callback) };
}

async function connectedAdmin(settings?: Record<string, string>, env: Record<string, string> = {}) {
  const services = servicesWithSandbox(env);
  const { session } = await signedInUser(services, 'admin');
  const caller = callerFor(services, session);
  const connected = await connect(caller, settings);
  return { services, session, caller, scope: { tenantId: session.tenantId, connector: 'hubspot' as const }, ...connected };
}

async function rejection(call: Promise<unknown>): Promise<TRPCError> {
  const error = await call.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

const TOKEN_PATH = '/oauth/2026-03/token';
const REVOKE_PATH = '/oauth/2026-03/token/revoke';
const IDENTITY_PATH = '/account-info/2026-03/details';
const calls = (path: string) => sandbox.log.filter((r) => r.path === path);
const accessTokens = () => sandbox.tokens().filter((t) => t.kind === 'access');
const refreshTokens = () => sandbox.tokens().filter((t) => t.kind === 'refresh');
const installation = (tenantId: string) =>
  db
    .sql<{ status: string; health: string; health_reason: string | null; external_account_id: string | null; external_account_name: string | null }>(
      "select status, health, health_reason, external_account_id, external_account_name from connector_installations where tenant_id = $1 and type = 'hubspot'",
      [tenantId],
    )
    .then((rows) => rows[0]);
const grantRows = (tenantId: string) =>
  db.sql<{ status: string }>("select status from connector_grants where tenant_id = $1 and connector = 'hubspot' order by created_at", [tenantId]);
const storedKeys = async (tenantId: string) =>
  (await db.sql<{ key: string }>('select key from secret_values where tenant_id = $1 order by key', [tenantId])).map((r) => r.key);
const config = async (tenantId: string) =>
  Object.fromEntries((await db.sql<{ key: string; value: string }>('select key, value from config_values where tenant_id = $1', [tenantId])).map((r) => [r.key, r.value]));
/** A request to the sandbox's account details with `token`, as HubSpot's API would take it. */
const accountDetails = (token: string) => fetch(`${sandbox.url}${IDENTITY_PATH}`, { headers: { authorization: `Bearer ${token}` } });
/** What a HubSpot admin (or another install) does by revoking the refresh token themselves. */
const revokeAtHubSpot = (token: string) =>
  fetch(`${sandbox.url}${REVOKE_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, token, token_type_hint: 'refresh_token' }),
  });

describe('HubSpot: connect', () => {
  it('the install URL has HubSpot’s parameters; the 2026-03 exchange stores both tokens, and account details name the portal', async () => {
    const { services, session, caller, authorizeUrl, callback, result } = await connectedAdmin();
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${sandbox.url}/oauth/authorize`);
    expect(Object.fromEntries(authorizeUrl.searchParams)).toEqual({
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      state: callback.state,
      scope: 'oauth crm.objects.contacts.read',
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: 'S256',
    });
    // The sandbox checks the PKCE verifier against the challenge: a success proves it matched.
    expect(result).toEqual({ success: true, redirectTo: null, finishing: false });

    const [access, ...others] = accessTokens();
    expect(others).toEqual([]);
    expect((await services.secrets.get(session.tenantId, 'HUBSPOT_ACCESS_TOKEN'))?.reveal()).toBe(access?.token);
    expect((await services.secrets.get(session.tenantId, 'HUBSPOT_REFRESH_TOKEN'))?.reveal()).toBe(refreshTokens()[0]?.token);
    const values = await config(session.tenantId);
    // `bearer` and the `scopes` array of HubSpot's answer, recorded the RFC 6749 way.
    expect(values).toEqual({
      HUBSPOT_TOKEN_TYPE: 'Bearer',
      HUBSPOT_EXPIRES_AT: expect.any(String),
      HUBSPOT_SCOPES: 'oauth crm.objects.contacts.read',
      HUBSPOT_PORTAL_ID: String(ACCOUNT.portalId),
      HUBSPOT_UI_DOMAIN: ACCOUNT.uiDomain,
      HUBSPOT_REVOKE_ON_DISCONNECT: 'yes',
    });
    // Thirty-minute access tokens.
    const lifetime = Date.parse(values.HUBSPOT_EXPIRES_AT!) - Date.now();
    expect(lifetime).toBeGreaterThan(1_700_000);
    expect(lifetime).toBeLessThanOrEqual(1_800_000);
    expect(await installation(session.tenantId)).toMatchObject({ status: 'active', external_account_id: String(ACCOUNT.portalId), external_account_name: ACCOUNT_NAME });
    expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['active']);

    // Every parameter in a form body, the client secret included (no Basic header, nothing in the query).
    const [tokenCall] = calls(TOKEN_PATH);
    expect(tokenCall).toMatchObject({ method: 'POST', contentType: expect.stringMatching(/^application\/x-www-form-urlencoded/), authorization: null, status: 200 });
    expect(calls(IDENTITY_PATH).map((r) => [r.method, r.authorization, r.status])).toEqual([['GET', 'bearer', 200]]);

    const status = await caller.hubspot.status();
    expect(status).toMatchObject({
      state: 'connected',
      sandbox: true,
      workspace: { id: String(ACCOUNT.portalId), name: ACCOUNT_NAME },
      scopes: ['oauth', 'crm.objects.contacts.read'],
      revocable: true,
      connectedBy: session.email,
    });
    expect(status.learned).toEqual([
      { name: 'portalId', label: 'Portal id', value: String(ACCOUNT.portalId) },
      { name: 'uiDomain', label: 'HubSpot address', value: ACCOUNT.uiDomain },
    ]);
    expect(status.settings).toEqual([
      expect.objectContaining({ name: 'revokeOnDisconnect', value: 'yes', options: [expect.objectContaining({ value: 'yes' }), expect.objectContaining({ value: 'no' })] }),
    ]);
  });

  it('a setting HubSpot’s form does not offer is refused before anything is sent to HubSpot', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    expect((await rejection(caller.hubspot.connect({ settings: { revokeOnDisconnect: 'maybe' } }))).code).toBe('BAD_REQUEST');
    expect((await rejection(caller.hubspot.connect({ settings: { region: 'eu' } }))).code).toBe('BAD_REQUEST');
    expect(sandbox.log).toEqual([]);
  });
});

describe('HubSpot: the token lifecycle', () => {
  it('the sweep refreshes a token due to expire; HubSpot answers the same refresh token, which keeps working', async () => {
    const { services, scope } = await connectedAdmin();
    const [refresh] = refreshTokens();
    // Thirty minutes are not waited for: the stored expiry is brought to the past.
    await expireStoredToken(db, scope.tenantId, 'hubspot');
    await sweepOnce(services, logs.logger);

    const [first, second, ...more] = accessTokens();
    expect(more).toEqual([]);
    expect(calls(TOKEN_PATH).map((r) => [r.status, r.authorization])).toEqual([[200, null], [200, null]]);
    expect((await services.secrets.get(scope.tenantId, 'HUBSPOT_ACCESS_TOKEN'))?.reveal()).toBe(second?.token);
    expect(Date.parse((await config(scope.tenantId)).HUBSPOT_EXPIRES_AT!)).toBeGreaterThan(Date.now() + 1_700_000);
    // Not rotated: one refresh token, stored unchanged, still valid after use.
    expect(refreshTokens()).toEqual([refresh]);
    expect((await services.secrets.get(scope.tenantId, 'HUBSPOT_REFRESH_TOKEN'))?.reveal()).toBe(refresh?.token);
    expect(first?.revoked).toBe(false);
    expect((await refreshConnection(services, scope, logs.logger, { force: true })).refreshed).toBe(true);
    expect(accessTokens()).toHaveLength(3);
    expect((await issueToken(services, scope, logs.logger)).accessToken.reveal()).toBe(accessTokens()[2]?.token);
    expect(await installation(scope.tenantId)).toMatchObject({ health: 'healthy' });
  });

  it('a refresh token revoked at HubSpot: invalid_grant makes the connection needs_reconnect; connecting again heals it', async () => {
    const { services, session, caller, scope } = await connectedAdmin();
    expect((await revokeAtHubSpot(refreshTokens()[0]!.token)).status).toBe(200);

    await expect(refreshConnection(services, scope, logs.logger, { force: true })).resolves.toMatchObject({ health: 'needs_reconnect' });
    expect(calls(TOKEN_PATH).at(-1)?.status).toBe(400);
    expect(await installation(scope.tenantId)).toMatchObject({ health: 'needs_reconnect', health_reason: 'invalid_grant' });
    await expect(issueToken(services, scope, logs.logger)).rejects.toBeInstanceOf(NeedsReconnectError);
    expect(await caller.hubspot.status()).toMatchObject({ state: 'connected', health: 'needs_reconnect' });

    await connect(caller);
    expect(await installation(session.tenantId)).toMatchObject({ status: 'active', health: 'healthy', health_reason: null });
    expect((await issueToken(services, scope, logs.logger)).accessToken.reveal()).toBe(accessTokens().at(-1)?.token);
  });
});

describe('HubSpot: disconnect', () => {
  it('by default, revokes the refresh token at HubSpot (RFC 7009, form body): the grant ends and its tokens stop working; reconnect works', async () => {
    const { services, session, caller } = await connectedAdmin();
    const [access] = accessTokens();

    expect(await caller.hubspot.disconnect()).toEqual({ success: true, redirectTo: null, finishing: false });
    expect(await services.secrets.get(session.tenantId, 'HUBSPOT_ACCESS_TOKEN')).toBeNull();
    // Disconnect does not wait for HubSpot: the job does it.
    expect(calls(REVOKE_PATH)).toEqual([]);
    await runDueJobs({ url: db.url, services });

    expect(calls(REVOKE_PATH).map((r) => [r.method, r.status, r.authorization, r.contentType?.split(';')[0]])).toEqual([
      ['POST', 200, null, 'application/x-www-form-urlencoded'],
    ]);
    // Revoking the refresh token ended the whole grant, access token included.
    expect(sandbox.tokens().map((t) => [t.kind, t.revoked])).toEqual([['refresh', true], ['access', true]]);
    expect((await accountDetails(access!.token)).status).toBe(401);
    expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['revoked']);
    expect(await storedKeys(session.tenantId)).toEqual([]);
    expect(await config(session.tenantId)).toEqual({});
    expect(await installation(session.tenantId)).toMatchObject({ status: 'disconnected', external_account_name: ACCOUNT_NAME });

    const again = await connect(caller);
    expect(again.result).toMatchObject({ success: true });
    expect(await caller.hubspot.status()).toMatchObject({ state: 'connected', workspace: { id: String(ACCOUNT.portalId) }, health: 'healthy' });
    expect((await services.secrets.get(session.tenantId, 'HUBSPOT_ACCESS_TOKEN'))?.reveal()).toBe(accessTokens().at(-1)?.token);
  });

  it('with "Revoke at HubSpot on Disconnect" set to No: not revocable, and Disconnect only forgets the tokens, which HubSpot still honours', async () => {
    const { services, session, caller } = await connectedAdmin({ revokeOnDisconnect: 'no' });
    const [access] = accessTokens();
    const status = await caller.hubspot.status();
    expect(status).toMatchObject({ state: 'connected', revocable: false, revocation: 'turned_off' });
    expect(status.settings).toEqual([expect.objectContaining({ name: 'revokeOnDisconnect', value: 'no' })]);
    expect((await config(session.tenantId)).HUBSPOT_REVOKE_ON_DISCONNECT).toBe('no');

    await caller.hubspot.disconnect();
    await runDueJobs({ url: db.url, services });
    // No call to HubSpot: the refresh token may be another install's too.
    expect(calls(REVOKE_PATH)).toEqual([]);
    expect(sandbox.tokens().some((t) => t.revoked)).toBe(false);
    expect((await accountDetails(access!.token)).status).toBe(200);
    // Plugboard holds nothing any more: the grant is given up without revocation.
    expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['discarded']);
    expect(await storedKeys(session.tenantId)).toEqual([]);
    expect(await config(session.tenantId)).toEqual({});
    // Not connected: the page describes what Connect would make (the default, Yes).
    expect(await caller.hubspot.status()).toMatchObject({ state: 'disconnected', revocable: true });
  });

  it('a reconnect gives up the replaced grant the way its own setting says: revoked with Yes, left alone with No', async () => {
    const { services, session, caller } = await connectedAdmin({ revokeOnDisconnect: 'no' });
    const firstGrant = accessTokens()[0]!.grant;
    // Reconnect with Yes: the first grant (made with No) is not revoked at HubSpot.
    await connect(caller, { revokeOnDisconnect: 'yes' });
    await runDueJobs({ url: db.url, services });
    expect(calls(REVOKE_PATH)).toEqual([]);
    expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['discarded', 'active']);
    // Reconnect with No: the second grant (made with Yes) is revoked at HubSpot.
    const secondGrant = accessTokens().at(-1)!.grant;
    await connect(caller, { revokeOnDisconnect: 'no' });
    await runDueJobs({ url: db.url, services });
    expect(calls(REVOKE_PATH).map((r) => r.status)).toEqual([200]);
    const revokedGrants = new Set(sandbox.tokens().filter((t) => t.revoked).map((t) => t.grant));
    expect([...revokedGrants]).toEqual([secondGrant]);
    expect(revokedGrants.has(firstGrant)).toBe(false);
    expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['discarded', 'revoked', 'active']);
    expect(await caller.hubspot.status()).toMatchObject({ state: 'connected', revocable: false });
  });
});

describe('HubSpot: what the provider answers', () => {
  it('a token endpoint failure is provider_unavailable and HubSpot’s error body is never shown', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const authorizeUrl = (await caller.hubspot.connect()).authorizeUrl;
    const callback = await approveOnConsentPage(authorizeUrl);
    codes.push(callback.code);
    sandbox.faults.next('token', { status: 502 });
    const error = await rejection(caller.hubspot.exchange(callback));
    expect((error.cause as { reason?: string }).reason).toBe('provider_unavailable');
    expect(error.message).not.toMatch(/correlationId|Sandbox fault/);
    expect(await installation(session.tenantId)).toBeUndefined();
    expect(await storedKeys(session.tenantId)).toEqual([]);
  });

  it('a refused code answers HubSpot’s error body with the RFC 6749 code: token_rejected', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const callback = await approveOnConsentPage((await caller.hubspot.connect()).authorizeUrl);
    codes.push(callback.code);
    // The code is spent by someone else first.
    const spent = await fetch(`${sandbox.url}${TOKEN_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.code, redirect_uri: 'http://elsewhere.example/cb', ...{ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret } }),
    });
    expect(spent.status).toBe(400);
    expect(await spent.json()).toMatchObject({ error: 'invalid_grant', status: 'error', correlationId: expect.any(String) });
    const error = await rejection(caller.hubspot.exchange(callback));
    expect((error.cause as { reason?: string }).reason).toBe('token_rejected');
    expect(await installation(session.tenantId)).toBeUndefined();
  });
});
