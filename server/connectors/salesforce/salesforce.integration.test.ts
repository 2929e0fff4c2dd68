/**
 * Salesforce through the real procedures, real Postgres and real HTTP: three Salesforce
 * sandboxes stand in for the three places an admin can log in (login.salesforce.com,
 * test.salesforce.com and a My Domain), each minting tokens that name its own org instance.
 * PROVIDER_ORIGIN_OVERRIDES maps the real hosts to them, so the URLs the engine fills from the
 * `login` and `myDomain` settings, and from the learned `instance_url`, decide where each
 * request goes. The production org's instance is reached through a recording relay, to show
 * that identity is asked at the instance and nowhere else.
 */
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TRPCError } from '@trpc/server';
import { getErrorShape } from '@trpc/server/unstable-core-do-not-import';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testServices, useTestDatabase } from '../../../test/support/database.js';
import { approveOnConsentPage } from '../../../test/support/app-client.js';
import { callerFor, signedInUser } from '../../../test/support/factories.js';
import { runDueJobs } from '../../../test/support/jobs.js';
import { captureLogs } from '../../../test/support/logs.js';
import { startOAuthSandbox, type OAuthSandbox } from '../../sandbox/oauth-sandbox.js';
import type { AppServices } from '../../services.js';
import { sweepOnce } from '../../tokens/sweep.js';
import { refreshConnection } from '../../tokens/refresh.js';
import { appRouter } from '../../trpc/router.js';
import { salesforceSandboxProfile, type SalesforceSandboxOptions } from './sandbox-profile.js';

const db = useTestDatabase();
const logs = captureLogs();

const CLIENT = { clientId: 'plugboard-salesforce-it', clientSecret: `salesforce-client-secret-${randomBytes(12).toString('hex')}` };
const REDIRECT_URI = 'http://localhost:3000/integrations/salesforce/callback';

const ORGS = {
  production: { id: '00D5g000000PRODEAA', name: 'Acme Production' },
  sandbox: { id: '00D5g000000UATXEAA', name: 'Acme UAT' },
  myDomain: { id: '00D5g000000MYDOEAA', name: 'Globex' },
} as const;
const INSTANCES = {
  production: 'https://acme.my.salesforce.com',
  sandbox: 'https://acme--uat.sandbox.my.salesforce.com',
  myDomain: 'https://globex.my.salesforce.com',
} as const;
const USER = { id: '0055g000001USEREAA', username: 'admin@acme.example', name: 'Ada Admin' };

let production: OAuthSandbox;
let sandbox: OAuthSandbox;
let myDomain: OAuthSandbox;
/** The production org's instance: a relay to the production sandbox that records each path. */
let instance: { url: string; paths: string[]; server: Server };
/** Codes seen in this file: none may reach a log line. */
const codes: string[] = [];

function start(options: SalesforceSandboxOptions) {
  return startOAuthSandbox(salesforceSandboxProfile({ user: USER, ...options }), CLIENT);
}

/** A loopback relay to `target` that records the paths asked of it. */
async function startRelay(target: () => string) {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(`${req.method} ${(req.url ?? '').split('?')[0]}`);
    const to = new URL(req.url ?? '/', target());
    const forward = httpRequest(to, { method: req.method, headers: { ...req.headers, host: to.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(forward);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths, server };
}

beforeAll(async () => {
  production = await start({ org: ORGS.production, instanceUrl: INSTANCES.production, loginHost: 'login.salesforce.com' });
  sandbox = await start({ org: ORGS.sandbox, instanceUrl: INSTANCES.sandbox, loginHost: 'test.salesforce.com' });
  myDomain = await start({ org: ORGS.myDomain, instanceUrl: INSTANCES.myDomain, loginHost: 'globex.my.salesforce.com' });
  instance = await startRelay(() => production.url);
});
afterAll(async () => {
  await Promise.all([production?.close(), sandbox?.close(), myDomain?.close()]);
  instance?.server.closeAllConnections();
  await new Promise((resolve) => instance?.server.close(resolve));
});
beforeEach(async () => {
  for (const s of [production, sandbox, myDomain]) s.reset();
  instance.paths.length = 0;
  await db.sql('select graphile_worker.complete_jobs(array(select id from graphile_worker.jobs))');
});
afterEach(() => {
  const text = logs.text();
  for (const secret of [CLIENT.clientSecret, ...codes, ...[production, sandbox, myDomain].flatMap((s) => s.tokens().map((t) => t.token))]) {
    expect(text.includes(secret), 'a token, code or client secret reached the log').toBe(false);
  }
});

/** Every Salesforce host on its own stand-in, as in production but on loopback. */
function salesforceServices(env: Record<string, string> = {}): AppServices {
  return testServices(db.orm, logs.logger, {
    SALESFORCE_CLIENT_ID: CLIENT.clientId,
    SALESFORCE_CLIENT_SECRET: CLIENT.clientSecret,
    PROVIDER_ORIGIN_OVERRIDES: [
      `https://login.salesforce.com=${production.url}`,
      `${INSTANCES.production}=${instance.url}`,
      `https://test.salesforce.com=${sandbox.url}`,
      `${INSTANCES.sandbox}=${sandbox.url}`,
      `https://globex.my.salesforce.com=${myDomain.url}`,
    ].join(','),
    OAUTH_HTTP_TIMEOUT_MS: '5000',
    ...env,
  });
}

type Caller = ReturnType<typeof callerFor>;

/** connect with the settings → the authorize URL must be the chosen host's → consent → exchange. */
async function connectAt(caller: Caller, at: OAuthSandbox, settings?: Record<string, string>) {
  const authorizeUrl = new URL((await caller.salesforce.connect(settings ? { settings } : undefined)).authorizeUrl);
  expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${at.url}/services/oauth2/authorize`);
  const back = await approveOnConsentPage(authorizeUrl.toString());
  codes.push(back.code);
  expect(await caller.salesforce.exchange({ code: back.code, state: back.state })).toEqual({ success: true, redirectTo: null, finishing: false });
  return authorizeUrl;
}

const calls = (s: OAuthSandbox) => s.log.map((r) => `${r.method} ${r.path}`);

async function storedValues(tenantId: string) {
  const rows = await db.sql<{ key: string; value: string }>(
    "select key, value from config_values where tenant_id = $1 and key like 'SALESFORCE_%' order by key",
    [tenantId],
  );
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

async function installation(tenantId: string) {
  const [row] = await db.sql<{ health: string; status: string; expires_at: Date | null; token_version: number }>(
    "select health, status, expires_at, token_version from connector_installations where tenant_id = $1 and type = 'salesforce'",
    [tenantId],
  );
  return row;
}

/** The userinfo answer for a token, asked of the sandbox directly (as a backend would ask Salesforce). */
async function userinfoStatus(at: OAuthSandbox, token: string) {
  const answer = await fetch(`${at.url}/services/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } });
  await answer.body?.cancel();
  return answer.status;
}

async function rejection(call: Promise<unknown>) {
  const error = await call.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof TRPCError)) throw new Error('expected a TRPCError');
  return {
    error,
    shape: getErrorShape({ config: appRouter._def._config, error, type: 'mutation', path: 'salesforce.connect', input: undefined, ctx: undefined }),
  };
}

describe('Salesforce: where the admin logs in', () => {
  it('production (the default): the authorize URL is login.salesforce.com with the documented parameters; tokens, settings and instance_url are stored', async () => {
    const services = salesforceServices();
    const admin = await signedInUser(services, 'admin');
    const caller = callerFor(services, admin.session);
    const authorizeUrl = await connectAt(caller, production);
    const params = Object.fromEntries(authorizeUrl.searchParams);
    expect(params).toMatchObject({
      response_type: 'code',
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      scope: 'api refresh_token id',
      prompt: 'login consent',
      code_challenge_method: 'S256',
    });
    expect(params.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.state).toBeTruthy();

    // The code exchange at the login host; identity at the org's instance, never at the login host.
    expect(calls(production)).toEqual(expect.arrayContaining(['POST /services/oauth2/token', 'GET /services/oauth2/userinfo']));
    expect(instance.paths).toEqual(['GET /services/oauth2/userinfo']);
    expect(calls(sandbox)).toEqual([]);
    expect(calls(myDomain)).toEqual([]);

    const access = production.tokens().find((t) => t.kind === 'access');
    expect(production.tokens().map((t) => t.kind).sort()).toEqual(['access', 'refresh']);
    const stored = await storedValues(admin.session.tenantId);
    expect(stored).toEqual({
      SALESFORCE_INSTANCE_URL: INSTANCES.production,
      SALESFORCE_LOGIN: 'production',
      SALESFORCE_SCOPES: 'api refresh_token id',
      SALESFORCE_TOKEN_TYPE: 'Bearer',
    });
    // The tokens are in the secret store (never among the plain values), and no expiry was invented.
    expect(JSON.stringify(await db.sql('select * from config_values where tenant_id = $1', [admin.session.tenantId]))).not.toContain(access!.token);
    expect(await services.secrets.get(admin.session.tenantId, 'SALESFORCE_ACCESS_TOKEN').then((v) => v?.reveal())).toBe(access!.token);
    expect((await installation(admin.session.tenantId))?.expires_at).toBeNull();

    const status = await caller.salesforce.status();
    expect(status).toMatchObject({ state: 'connected', workspace: { id: ORGS.production.id, name: `${ORGS.production.id} — ${USER.username}` } });
    expect(status.learned).toEqual([{ name: 'instanceUrl', label: 'Instance URL', value: INSTANCES.production }]);
    expect(status.settings.map((s) => [s.name, s.value, s.required])).toEqual([
      ['login', 'production', true],
      ['myDomain', null, false],
    ]);
  });

  it('sandbox: everything happens at test.salesforce.com and the sandbox instance', async () => {
    const services = salesforceServices();
    const admin = await signedInUser(services, 'admin');
    const caller = callerFor(services, admin.session);
    await connectAt(caller, sandbox, { login: 'sandbox', myDomain: '' });
    expect(calls(sandbox)).toEqual(expect.arrayContaining(['POST /services/oauth2/token', 'GET /services/oauth2/userinfo']));
    expect(calls(production)).toEqual([]);
    expect(await storedValues(admin.session.tenantId)).toMatchObject({ SALESFORCE_LOGIN: 'sandbox', SALESFORCE_INSTANCE_URL: INSTANCES.sandbox });
    expect((await storedValues(admin.session.tenantId)).SALESFORCE_MY_DOMAIN).toBeUndefined();
    expect((await caller.salesforce.status()).workspace).toEqual(expect.objectContaining({ id: ORGS.sandbox.id }));
  });

  it('My Domain: the typed name (any case, spaces around) selects <name>.my.salesforce.com; disconnect revokes there, and reconnect works', async () => {
    const services = salesforceServices();
    const admin = await signedInUser(services, 'admin');
    const caller = callerFor(services, admin.session);
    await connectAt(caller, myDomain, { login: 'my_domain', myDomain: '  Globex ' });
    expect(calls(production)).toEqual([]);
    expect(await storedValues(admin.session.tenantId)).toMatchObject({
      SALESFORCE_LOGIN: 'my_domain',
      SALESFORCE_MY_DOMAIN: 'globex',
      SALESFORCE_INSTANCE_URL: INSTANCES.myDomain,
    });
    const access = myDomain.tokens().find((t) => t.kind === 'access');
    const refresh = myDomain.tokens().find((t) => t.kind === 'refresh');
    expect(await userinfoStatus(myDomain, access!.token)).toBe(200);

    // Disconnect: the revocation job posts the refresh token (`token=`, no client authentication)
    // at the My Domain host, which ends the access token too.
    await caller.salesforce.disconnect();
    await runDueJobs({ url: db.url, services });
    expect(myDomain.log.filter((r) => r.path === '/services/oauth2/revoke').map((r) => [r.method, r.authorization, r.contentType, r.status])).toEqual([
      ['POST', null, 'application/x-www-form-urlencoded', 200],
    ]);
    expect(myDomain.tokens().find((t) => t.token === refresh!.token)?.revoked).toBe(true);
    expect(await userinfoStatus(myDomain, access!.token)).toBe(401);
    expect(await storedValues(admin.session.tenantId)).toEqual({});
    expect(await services.secrets.get(admin.session.tenantId, 'SALESFORCE_ACCESS_TOKEN')).toBeNull();
    expect((await caller.salesforce.status()).state).not.toBe('connected');

    // Reconnect, same host: a new grant that works.
    await connectAt(caller, myDomain, { login: 'my_domain', myDomain: 'globex' });
    const again = myDomain.tokens().filter((t) => t.kind === 'access').at(-1)!;
    expect(again.token).not.toBe(access!.token);
    expect(await userinfoStatus(myDomain, again.token)).toBe(200);
    expect((await caller.salesforce.status())).toMatchObject({ state: 'connected', workspace: { id: ORGS.myDomain.id } });
  });

  it.each([
    ['a host name', { login: 'my_domain', myDomain: 'evil.com/' }, /letters, digits and single hyphens/],
    ['the whole address', { login: 'my_domain', myDomain: 'globex.my.salesforce.com' }, /letters, digits and single hyphens/],
    ['credentials', { login: 'my_domain', myDomain: 'a@b' }, /letters, digits and single hyphens/],
    ['a trailing hyphen', { login: 'my_domain', myDomain: 'globex-' }, /letters, digits and single hyphens/],
    ['three hyphens', { login: 'my_domain', myDomain: 'acme---uat' }, /letters, digits and single hyphens/],
    ['nothing', { login: 'my_domain', myDomain: '' }, /Type your My Domain name/],
    ['a name with another choice', { login: 'production', myDomain: 'globex' }, /Leave the My Domain name empty/],
  ])('refuses %s for My Domain with a field error, and stores nothing', async (_what, settings, message) => {
    const services = salesforceServices();
    const admin = await signedInUser(services, 'admin');
    const caller = callerFor(services, admin.session);
    const { error, shape } = await rejection(caller.salesforce.connect({ settings }));
    expect(error.code).toBe('BAD_REQUEST');
    const fieldErrors = (shape.data as { fieldErrors?: Record<string, string[]> }).fieldErrors ?? {};
    expect(Object.keys(fieldErrors)).toEqual(['myDomain']);
    expect(fieldErrors.myDomain?.join(' ')).toMatch(message);
    // The message never repeats the value.
    if (settings.myDomain) expect(JSON.stringify(shape)).not.toContain(settings.myDomain);
    expect(await db.sql("select 1 from oauth_states where tenant_id = $1", [admin.session.tenantId])).toEqual([]);
    expect(await storedValues(admin.session.tenantId)).toEqual({});
    expect([...calls(production), ...calls(sandbox), ...calls(myDomain)]).toEqual([]);
  });

  it('an unknown login choice is refused on its field', async () => {
    const services = salesforceServices();
    const caller = callerFor(services, (await signedInUser(services, 'admin')).session);
    const { shape } = await rejection(caller.salesforce.connect({ settings: { login: 'staging' } }));
    expect(Object.keys((shape.data as { fieldErrors?: Record<string, string[]> }).fieldErrors ?? {})).toEqual(['login']);
  });
});

describe('Salesforce: tokens without an expiry', () => {
  it('a token answer whose instance_url is not a Salesforce https host fails the connection; nothing is stored', async () => {
    const evil = await startOAuthSandbox(
      { ...salesforceSandboxProfile({ org: ORGS.production }), tokenAnswer: (t) => ({ ...t, instance_url: 'https://evil.example' }) },
      CLIENT,
    );
    try {
      const services = testServices(db.orm, logs.logger, {
        SALESFORCE_CLIENT_ID: CLIENT.clientId,
        SALESFORCE_CLIENT_SECRET: CLIENT.clientSecret,
        PROVIDER_ORIGIN_OVERRIDES: `https://login.salesforce.com=${evil.url}`,
        OAUTH_HTTP_TIMEOUT_MS: '5000',
      });
      const admin = await signedInUser(services, 'admin');
      const caller = callerFor(services, admin.session);
      const back = await approveOnConsentPage((await caller.salesforce.connect()).authorizeUrl);
      codes.push(back.code);
      const outcome = await caller.salesforce.exchange({ code: back.code, state: back.state }).catch((error: unknown) => error);
      expect(outcome).not.toEqual(expect.objectContaining({ success: true }));
      expect(evil.log.map((r) => r.path)).not.toContain('/services/oauth2/userinfo');
      expect(await storedValues(admin.session.tenantId)).toEqual({});
      expect(await services.secrets.get(admin.session.tenantId, 'SALESFORCE_ACCESS_TOKEN')).toBeNull();
      for (const t of evil.tokens()) expect(logs.text()).not.toContain(t.token);
    } finally {
      await evil.close();
    }
  });

  it('the daily check finds a grant revoked in Salesforce: the refresh is refused (invalid_grant) and the connection needs a reconnect', async () => {
    const services = salesforceServices({ TOKEN_VERIFY_INTERVAL_HOURS: '24' });
    const admin = await signedInUser(services, 'admin');
    const caller = callerFor(services, admin.session);
    await connectAt(caller, production);
    const tenantId = admin.session.tenantId;

    // Verified just now: nothing is due.
    expect((await sweepOnce(services, logs.logger)).claimed).toBe(0);

    // A day later, still valid: the check asks identity at the instance and stays healthy.
    await db.sql("update connector_installations set verified_at = now() - interval '25 hours' where tenant_id = $1", [tenantId]);
    instance.paths.length = 0;
    expect(await sweepOnce(services, logs.logger)).toMatchObject({ claimed: 1, verified: 1 });
    expect(instance.paths).toEqual(['GET /services/oauth2/userinfo']);
    expect((await installation(tenantId))?.health).toBe('healthy');

    // The admin revokes the app in Salesforce (Connected Apps OAuth Usage): the whole grant ends.
    const refresh = production.tokens().find((t) => t.kind === 'refresh')!;
    const revoked = await fetch(`${production.url}/services/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refresh.token }),
    });
    expect(revoked.status).toBe(200);

    await db.sql("update connector_installations set verified_at = now() - interval '25 hours' where tenant_id = $1", [tenantId]);
    const before = production.log.length;
    expect(await sweepOnce(services, logs.logger)).toMatchObject({ claimed: 1, failed: 1 });
    const after = production.log.slice(before).map((r) => `${r.method} ${r.path} ${r.status}`);
    // Identity rejected (401), then the refresh the check tries is refused (400 invalid_grant).
    expect(after).toEqual(['GET /services/oauth2/userinfo 401', 'POST /services/oauth2/token 400']);
    expect(await installation(tenantId)).toMatchObject({ health: 'needs_reconnect', status: 'active' });
    expect((await caller.salesforce.status()).health).toBe('needs_reconnect');
  });

  it('an ended session is refreshed: the answer has a new access token and instance_url again, no new refresh token (no rotation)', async () => {
    const services = salesforceServices();
    const admin = await signedInUser(services, 'admin');
    const caller = callerFor(services, admin.session);
    await connectAt(caller, production);
    const scope = { tenantId: admin.session.tenantId, connector: 'salesforce' as const };
    const access = production.tokens().find((t) => t.kind === 'access');
    const refresh = production.tokens().find((t) => t.kind === 'refresh');

    const outcome = await refreshConnection(services, scope, logs.logger, { force: true });
    expect(outcome).toMatchObject({ refreshed: true, health: 'healthy' });
    const minted = production.tokens().slice(2);
    expect(minted.map((t) => t.kind)).toEqual(['access']);
    const next = await services.secrets.get(scope.tenantId, 'SALESFORCE_ACCESS_TOKEN');
    expect(next?.reveal()).toBe(minted[0]?.token);
    expect(next?.reveal()).not.toBe(access!.token);
    // The same refresh token still works: it was kept, not erased.
    expect(production.tokens().find((t) => t.token === refresh!.token)?.revoked).toBe(false);
    expect(await refreshConnection(services, scope, logs.logger, { force: true })).toMatchObject({ refreshed: true });
    expect(await storedValues(scope.tenantId)).toMatchObject({ SALESFORCE_INSTANCE_URL: INSTANCES.production });
    expect((await installation(scope.tenantId))?.expires_at).toBeNull();
  });

  it('with refresh token rotation on, each refresh answers a new refresh token; reusing a rotated one ends the whole grant', async () => {
    const rotating = await start({ org: ORGS.production, instanceUrl: INSTANCES.production, rotateRefreshTokens: true });
    try {
      const services = testServices(db.orm, logs.logger, {
        SALESFORCE_CLIENT_ID: CLIENT.clientId,
        SALESFORCE_CLIENT_SECRET: CLIENT.clientSecret,
        PROVIDER_ORIGIN_OVERRIDES: `https://login.salesforce.com=${rotating.url},${INSTANCES.production}=${rotating.url}`,
        OAUTH_HTTP_TIMEOUT_MS: '5000',
      });
      const admin = await signedInUser(services, 'admin');
      const caller = callerFor(services, admin.session);
      await connectAt(caller, rotating);
      const scope = { tenantId: admin.session.tenantId, connector: 'salesforce' as const };
      const refreshTokens = () => rotating.tokens().filter((t) => t.kind === 'refresh');
      const first = refreshTokens()[0]!;
      expect(await refreshConnection(services, scope, logs.logger, { force: true })).toMatchObject({ refreshed: true });
      // The stored refresh token is the new one: the next refresh uses it and works.
      expect(await refreshConnection(services, scope, logs.logger, { force: true })).toMatchObject({ refreshed: true, health: 'healthy' });
      expect(refreshTokens()).toHaveLength(3);
      expect(new Set(refreshTokens().map((t) => t.token)).size).toBe(3);

      // REFRESH_FLOW: a rotated-out refresh token is refused, and Salesforce then invalidates
      // the current refresh token and its access tokens: the connection needs a reconnect.
      const reuse = await fetch(`${rotating.url}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first.token, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret }),
      });
      expect(reuse.status).toBe(400);
      expect(((await reuse.json()) as { error: string }).error).toBe('invalid_grant');
      expect(await refreshConnection(services, scope, logs.logger, { force: true })).toMatchObject({ refreshed: false, health: 'needs_reconnect' });
      for (const t of rotating.tokens()) expect(logs.text()).not.toContain(t.token);
    } finally {
      await rotating.close();
    }
  });
});
