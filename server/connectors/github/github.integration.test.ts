/**
 * GitHub as a GitHub App, end to end through the real procedures: real Postgres, the GitHub
 * stand-in started by the definition's own `sandbox` hook, its installation page submitted over
 * HTTP, the app's JWT checked by the stand-in, renewal by the real lifecycle sweep, and the
 * revocation job run by the real worker. Nothing GitHub-specific exists outside the definition.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { TRPCError } from '@trpc/server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callerFor, signedInUser } from '../../../test/support/factories.js';
import { testServices, useTestDatabase } from '../../../test/support/database.js';
import { runDueJobs } from '../../../test/support/jobs.js';
import { expireStoredToken } from '../../../test/support/linear-connection.js';
import { captureLogs } from '../../../test/support/logs.js';
import { resolveOAuthConfig, type OAuthClientConfig } from '../../oauth/config.js';
import { type OAuthFlowError } from '../../oauth/flow.js';
import { type OAuthStateError } from '../../oauth/state.js';
import { SecretValue } from '../../secrets/secret-value.js';
import type { AppServices } from '../../services.js';
import { issueToken, NeedsReconnectError } from '../../tokens/issue.js';
import { sweepOnce } from '../../tokens/sweep.js';
import type { ConnectorDefinition, OAuthSpec } from '../types.js';
import { github } from './definition.js';
import { GITHUB_SANDBOX_ACCOUNTS, GITHUB_SANDBOX_SLUG, type GitHubSandbox } from './sandbox.js';

const db = useTestDatabase();
const logs = captureLogs();

const CLIENT = { clientId: 'Iv23li-plugboard-it', clientSecret: `github-client-secret-${randomBytes(12).toString('hex')}` };
const REDIRECT_URI = 'http://localhost:3000/integrations/github/callback';
const definition = github as ConnectorDefinition & { oauth: OAuthSpec<string> };
const [ORG, USER, MEMBER_ORG] = GITHUB_SANDBOX_ACCOUNTS;

let sandbox: GitHubSandbox;
/** Codes seen in this file: none may reach a log line. */
const codes: string[] = [];

beforeAll(async () => {
  // The definition's own hook: the same stand-in `npm start` runs without GITHUB_CLIENT_ID.
  sandbox = (await definition.oauth.sandbox?.({ ...CLIENT, redirectUri: REDIRECT_URI })) as GitHubSandbox;
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(async () => {
  sandbox.reset();
  await db.sql('select graphile_worker.complete_jobs(array(select id from graphile_worker.jobs))');
  // Each test's sweep sees only its own connections as due.
  await db.sql("update connector_installations set status = 'disconnected'");
});
afterEach(() => {
  const text = logs.text();
  const pemBody = sandbox.app.privateKey.split('\n').filter((line) => line && !line.startsWith('-----'));
  for (const secret of [CLIENT.clientSecret, ...codes, ...sandbox.tokens().map((t) => t.token), ...pemBody]) {
    expect(text.includes(secret), 'a token, code, client secret or private key reached the log').toBe(false);
  }
  // Every JWT starts with the base64url of `{"`: none may be logged either.
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
});

/** Test services whose GitHub client is the stand-in, resolved exactly as `npm start` resolves it. */
function servicesWithSandbox(env: Record<string, string> = {}, change: (config: OAuthClientConfig) => OAuthClientConfig = (c) => c): AppServices {
  const base = testServices(db.orm, logs.logger, { OAUTH_HTTP_TIMEOUT_MS: '5000', ...env });
  const oauth = new Map(base.oauth);
  oauth.set('github', change(resolveOAuthConfig(definition, base.env, { client: CLIENT, server: sandbox })));
  return { ...base, oauth };
}

type Caller = ReturnType<typeof callerFor>;
type Callback = { code?: string; state: string; installation_id?: string; setup_action?: 'install' | 'update' | 'request' };

/** Opens the installation page the app sent us to and submits it: where GitHub sends the browser. */
async function installAt(authorizeUrl: string, account: string, decision: 'install' | 'cancel' = 'install'): Promise<URL> {
  const page = await fetch(authorizeUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('Install Plugboard on your GitHub account');
  const installation = /name="installation" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const answer = await fetch(`${sandbox.url}/apps/${GITHUB_SANDBOX_SLUG}/installations/new/decision`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ installation, account, decision }),
  });
  expect(answer.status).toBe(302);
  const location = new URL(answer.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
  return location;
}

/** The callback's parameters as the callback route hands them to `exchange`. */
function callbackOf(back: URL): Callback {
  const get = (name: string) => back.searchParams.get(name) ?? undefined;
  const code = get('code');
  if (code) codes.push(code);
  return { code, state: get('state') ?? '', installation_id: get('installation_id'), setup_action: get('setup_action') as Callback['setup_action'] };
}

async function install(caller: Caller, account: string = ORG.login): Promise<{ authorizeUrl: URL; callback: Callback }> {
  const authorizeUrl = new URL((await caller.github.connect()).authorizeUrl);
  const callback = callbackOf(await installAt(authorizeUrl.toString(), account));
  expect(callback.state).toBe(authorizeUrl.searchParams.get('state'));
  return { authorizeUrl, callback };
}

async function connected(services: AppServices) {
  const { session } = await signedInUser(services, 'admin');
  const caller = callerFor(services, session);
  const { callback } = await install(caller);
  expect(await caller.github.exchange(callback)).toEqual({ success: true, redirectTo: null, finishing: false });
  return { session, caller, scope: { tenantId: session.tenantId, connector: 'github' as const }, installationId: callback.installation_id ?? '' };
}

async function rejection(call: Promise<unknown>): Promise<TRPCError> {
  const error = await call.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

const calls = () => sandbox.log.map((r) => `${r.method} ${r.path.replace(/\d{5,}/g, '{id}')} ${r.status ?? ''}`);
const installationTokens = () => sandbox.tokens().filter((t) => t.kind === 'installation');
const userTokens = () => sandbox.tokens().filter((t) => t.kind === 'user');
/** Whether GitHub still accepts a token: the stand-in's GET /installation/repositories (or /user). */
const works = async (token: string, path = '/installation/repositories') =>
  (await fetch(`${sandbox.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).status === 200;
const installationRows = (tenantId: string) =>
  db.sql<{ status: string; health: string; health_reason: string | null; external_account_id: string | null; external_account_name: string | null }>(
    "select status, health, health_reason, external_account_id, external_account_name from connector_installations where tenant_id = $1 and type = 'github'",
    [tenantId],
  );
const grantRows = (tenantId: string) =>
  db.sql<{ status: string }>("select status from connector_grants where tenant_id = $1 and connector = 'github' order by created_at", [tenantId]);
const storedKeys = async (tenantId: string) =>
  (await db.sql<{ key: string }>('select key from secret_values where tenant_id = $1 order by key', [tenantId])).map((r) => r.key);
const configOf = async (tenantId: string) =>
  Object.fromEntries((await db.sql<{ key: string; value: string }>('select key, value from config_values where tenant_id = $1', [tenantId])).map((r) => [r.key, r.value]));

describe('GitHub App installation through the generic engine and the stand-in', () => {
  it('connect: the installation page, the user verified then dropped, an installation token stored, the account named', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);

    const { authorizeUrl, callback } = await install(caller);
    // GitHub's installation URL with our state, and nothing else (no client id, scope or PKCE).
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${sandbox.url}/apps/${GITHUB_SANDBOX_SLUG}/installations/new`);
    expect([...authorizeUrl.searchParams.keys()]).toEqual(['state']);
    expect(callback).toMatchObject({ code: expect.any(String), installation_id: expect.stringMatching(/^\d+$/), setup_action: 'install' });

    expect(await caller.github.exchange(callback)).toEqual({ success: true, redirectTo: null, finishing: false });

    expect(calls()).toEqual([
      'GET /apps/plugboard-sandbox/installations/new 200',
      'POST /apps/plugboard-sandbox/installations/new/decision 302',
      'POST /login/oauth/access_token 200',
      'GET /user/installations 200',
      `DELETE /applications/${CLIENT.clientId}/token 204`,
      'POST /app/installations/{id}/access_tokens 201',
      'GET /app/installations/{id} 200',
    ]);
    // The code exchange: a form with the client secret in the body; the app calls: a bearer JWT.
    const exchange = sandbox.log[2];
    expect(exchange?.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    expect(exchange?.authorization).toBeNull();
    expect(sandbox.log[4]?.authorization).toBe('basic');
    expect(sandbox.log[5]?.authorization).toBe('bearer');
    // JSON only when asked for (the stand-in answers a form otherwise), and the REST version pinned.
    expect(exchange?.headers.accept).toMatch(/application\/json/);
    for (const call of sandbox.log.slice(3)) expect(call.headers['x-github-api-version'], call.path).toBe('2022-11-28');

    // The user's token was only a proof: deleted at GitHub and stored nowhere.
    const [user] = userTokens();
    expect(user?.revoked).toBe(true);
    expect(await works(user?.token ?? '', '/user')).toBe(false);
    const [minted, ...others] = installationTokens();
    expect(others).toEqual([]);
    expect(String(minted?.installation)).toBe(callback.installation_id);
    expect((await services.secrets.get(session.tenantId, 'GITHUB_ACCESS_TOKEN'))?.reveal()).toBe(minted?.token);
    expect(await works(minted?.token ?? '')).toBe(true);
    // No refresh token exists for an installation: only the access token, under the connection's key and its grant's.
    expect((await storedKeys(session.tenantId)).filter((k) => !k.startsWith('GITHUB_GRANT_'))).toEqual(['GITHUB_ACCESS_TOKEN']);
    const config = await configOf(session.tenantId);
    const settingsUrl = `https://github.com/organizations/${ORG.login}/settings/installations/${callback.installation_id}`;
    expect(config).toEqual({
      GITHUB_TOKEN_TYPE: 'Bearer',
      GITHUB_EXPIRES_AT: expect.any(String),
      GITHUB_SCOPES: 'issues:read metadata:read pull_requests:read',
      GITHUB_INSTALLATION_ID: callback.installation_id,
      GITHUB_INSTALLATION_URL: settingsUrl,
    });
    const lifetime = Date.parse(config.GITHUB_EXPIRES_AT ?? '') - Date.now();
    expect(lifetime).toBeGreaterThan(3500_000);
    expect(lifetime).toBeLessThanOrEqual(3600_000);
    expect(await installationRows(session.tenantId)).toEqual([
      { status: 'active', health: 'healthy', health_reason: null, external_account_id: String(ORG.id), external_account_name: ORG.login },
    ]);
    expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['active']);

    const status = await caller.github.status();
    expect(status).toMatchObject({ state: 'connected', workspace: { id: String(ORG.id), name: ORG.login }, revocable: true, scopes: ['issues:read', 'metadata:read', 'pull_requests:read'] });
    expect(status.learned).toEqual([
      { name: 'installationId', label: 'Installation id', value: callback.installation_id },
      { name: 'settingsUrl', label: 'Installation settings', value: settingsUrl },
    ]);
    expect(status.removedAtProvider).toEqual({ text: expect.stringMatching(/uninstall it there/), url: settingsUrl });
  });

  it('an installation the user cannot access (a spoofed installation_id) is refused; nothing is minted or stored', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { callback } = await install(caller);
    const foreign = String(sandbox.installElsewhere());

    const error = await rejection(caller.github.exchange({ ...callback, installation_id: foreign }));
    expect(error.code).toBe('FORBIDDEN');
    expect((error.cause as OAuthFlowError).reason).toBe('account_not_verified');
    expect(error.message).toMatch(/does not belong to an account you can access/);
    expect(installationTokens()).toEqual([]);
    // The user's token is dropped all the same.
    expect(userTokens().map((t) => t.revoked)).toEqual([true]);
    expect(calls().slice(2)).toEqual([
      'POST /login/oauth/access_token 200',
      'GET /user/installations 200',
      `DELETE /applications/${CLIENT.clientId}/token 204`,
    ]);
    expect(await installationRows(session.tenantId)).toEqual([]);
    expect(await grantRows(session.tenantId)).toEqual([]);
    expect(await storedKeys(session.tenantId)).toEqual([]);
    expect(await configOf(session.tenantId)).toEqual({});
  });

  it("the user's installations are read page by page until the one named is found", async () => {
    const services = servicesWithSandbox();
    sandbox.addUserInstallations(150);
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { callback } = await install(caller, USER.login);
    await caller.github.exchange(callback);
    expect(calls().filter((c) => c.startsWith('GET /user/installations'))).toEqual(['GET /user/installations 200', 'GET /user/installations 200']);
    expect((await installationRows(session.tenantId))[0]).toMatchObject({ status: 'active', external_account_name: USER.login });
    expect((await configOf(session.tenantId)).GITHUB_INSTALLATION_URL).toBe(`https://github.com/settings/installations/${callback.installation_id}`);
  });

  it('setup_action=request (an owner must approve): a clear message, the state spent, nothing called or stored', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { callback } = await install(caller, MEMBER_ORG.login);
    expect(callback).toEqual({ code: undefined, state: expect.any(String), installation_id: undefined, setup_action: 'request' });

    const error = await rejection(caller.github.exchange(callback));
    expect(error.code).toBe('PRECONDITION_FAILED');
    expect((error.cause as OAuthFlowError).reason).toBe('approval_pending');
    expect(error.message).toMatch(/organization owner must approve/);
    expect(calls().slice(2)).toEqual([]);
    expect(sandbox.tokens()).toEqual([]);
    expect(await installationRows(session.tenantId)).toEqual([]);
    expect(await storedKeys(session.tenantId)).toEqual([]);
    // The attempt is over: the same callback again is an unknown state.
    const replay = await rejection(caller.github.exchange(callback));
    expect((replay.cause as OAuthStateError).reason).toBe('state_unknown');
  });

  it('the stand-in refuses a JWT signed with another key, or expired: connecting with the wrong key stores nothing', async () => {
    const wrongKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const services = servicesWithSandbox({}, (config) => ({ ...config, app: { privateKey: new SecretValue(wrongKey), appId: null } }));
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { callback } = await install(caller);

    const error = await rejection(caller.github.exchange(callback));
    expect((error.cause as OAuthFlowError).reason).toBe('token_rejected');
    expect(calls().slice(-1)).toEqual(['POST /app/installations/{id}/access_tokens 401']);
    expect(installationTokens()).toEqual([]);
    expect(await installationRows(session.tenantId)).toEqual([]);
    expect(await storedKeys(session.tenantId)).toEqual([]);

    // Straight at the stand-in: the right key but expired, the right key and iss accepted.
    const key = await importPKCS8(sandbox.app.privateKey, 'RS256');
    const now = Math.floor(Date.now() / 1000);
    const sign = (iat: number, exp: number) => new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setIssuer(CLIENT.clientId).setIssuedAt(iat).setExpirationTime(exp).sign(key);
    const mint = async (jwt: string) =>
      (await fetch(`${sandbox.url}/app/installations/${callback.installation_id}/access_tokens`, { method: 'POST', headers: { authorization: `Bearer ${jwt}` } })).status;
    expect(await mint(await sign(now - 900, now - 300))).toBe(401);
    expect(await mint(await sign(now - 30, now + 3600))).toBe(401);
    expect(await mint(await sign(now - 30, now + 540))).toBe(201);
  });

  it('renewal: the lifecycle sweep mints the next installation token before expiry, with the JWT and no refresh token', async () => {
    const services = servicesWithSandbox();
    const { scope, installationId } = await connected(services);
    const before = (await services.secrets.get(scope.tenantId, 'GITHUB_ACCESS_TOKEN'))?.reveal();
    const [version] = await db.sql<{ token_version: number }>("select token_version from connector_installations where tenant_id = $1 and type = 'github'", [scope.tenantId]);
    await expireStoredToken(db, scope.tenantId, 'github');

    const report = await sweepOnce(services, logs.logger);
    expect(report).toMatchObject({ claimed: 1, refreshed: 1, failed: 0 });
    expect(calls().slice(-1)).toEqual(['POST /app/installations/{id}/access_tokens 201']);
    const after = (await services.secrets.get(scope.tenantId, 'GITHUB_ACCESS_TOKEN'))?.reveal();
    expect(after).not.toBe(before);
    expect(after).toBe(installationTokens().at(-1)?.token);
    expect(installationTokens().map((t) => String(t.installation))).toEqual([installationId, installationId]);
    const [row] = await db.sql<{ expires_at: Date; token_version: number; health: string; last_refreshed_at: Date | null }>(
      "select expires_at, token_version, health, last_refreshed_at from connector_installations where tenant_id = $1 and type = 'github'",
      [scope.tenantId],
    );
    expect(row?.expires_at.getTime()).toBeGreaterThan(Date.now() + 3500_000);
    expect(row).toMatchObject({ token_version: (version?.token_version ?? 0) + 1, health: 'healthy', last_refreshed_at: expect.any(Date) });
    expect((await configOf(scope.tenantId)).GITHUB_INSTALLATION_ID).toBe(installationId);

    // The token API serves it, and a service's 401 makes it mint another.
    const issued = await issueToken(services, scope, logs.logger);
    expect(issued.accessToken.reveal()).toBe(after);
    expect(issued.settings).toMatchObject({ installationId });
    const rejected = await issueToken(services, scope, logs.logger, { rejected: true });
    expect(rejected.accessToken.reveal()).toBe(installationTokens().at(-1)?.token);
    expect(installationTokens()).toHaveLength(3);
  });

  it('renewal answered 404 (the app was uninstalled on GitHub): needs_reconnect, recorded, and the token API says so', async () => {
    const services = servicesWithSandbox();
    const { scope, installationId } = await connected(services);
    sandbox.uninstall(Number(installationId));
    await expireStoredToken(db, scope.tenantId, 'github');

    expect(await sweepOnce(services, logs.logger)).toMatchObject({ claimed: 1, refreshed: 0, failed: 1 });
    expect(calls().slice(-1)).toEqual(['POST /app/installations/{id}/access_tokens 404']);
    expect((await installationRows(scope.tenantId))[0]).toMatchObject({ status: 'active', health: 'needs_reconnect', health_reason: 'http_404' });
    const events = await db.sql<{ action: string; detail: string | null }>(
      "select action, detail from connector_events where tenant_id = $1 and connector = 'github' order by created_at",
      [scope.tenantId],
    );
    expect(events.map((e) => [e.action, e.detail])).toEqual([['connected', null], ['needs_reconnect', 'http_404']]);
    await expect(issueToken(services, scope, logs.logger)).rejects.toBeInstanceOf(NeedsReconnectError);
  });

  it('disconnect deletes the installation token at GitHub (the job), the page says uninstalling happens there; reconnect works', async () => {
    const services = servicesWithSandbox();
    const { session, caller, scope } = await connected(services);
    const token = installationTokens()[0]?.token ?? '';

    expect(await caller.github.disconnect()).toEqual({ success: true, redirectTo: null, finishing: false });
    expect(await services.secrets.get(scope.tenantId, 'GITHUB_ACCESS_TOKEN')).toBeNull();
    // Disconnect does not wait for GitHub: the job does it.
    expect(await works(token)).toBe(true);
    await runDueJobs({ url: db.url, services });
    expect(sandbox.log.filter((r) => r.path === '/installation/token').map((r) => [r.method, r.status, r.authorization])).toEqual([['DELETE', 204, 'bearer']]);
    expect(installationTokens()[0]?.revoked).toBe(true);
    expect(await works(token)).toBe(false);
    expect((await grantRows(scope.tenantId)).map((g) => g.status)).toEqual(['revoked']);
    expect(await storedKeys(scope.tenantId)).toEqual([]);
    expect(await configOf(scope.tenantId)).toEqual({});
    expect(await installationRows(scope.tenantId)).toEqual([
      { status: 'disconnected', health: 'healthy', health_reason: null, external_account_id: String(ORG.id), external_account_name: ORG.login },
    ]);
    // The app is still installed on GitHub: uninstalling is the admin's step there.
    expect(sandbox.installations().map((i) => i.removed)).toEqual([false]);

    // Reconnect: the same account again is an update of the installation GitHub already has.
    const { callback } = await install(caller);
    expect(callback.setup_action).toBe('update');
    expect(await caller.github.exchange(callback)).toEqual({ success: true, redirectTo: null, finishing: false });
    const fresh = installationTokens().at(-1)?.token ?? '';
    expect((await services.secrets.get(session.tenantId, 'GITHUB_ACCESS_TOKEN'))?.reveal()).toBe(fresh);
    expect(await works(fresh)).toBe(true);
    expect((await installationRows(scope.tenantId))[0]).toMatchObject({ status: 'active', health: 'healthy' });
    expect(await caller.github.status()).toMatchObject({ state: 'connected', workspace: { name: ORG.login } });
  });

  it('the stand-in answers the code exchange as a form unless JSON is asked for, errors included, with HTTP 200', async () => {
    const form = await fetch(`${sandbox.url}/login/oauth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, code: 'never-issued' }),
    });
    expect(form.status).toBe(200);
    expect(form.headers.get('content-type')).toMatch(/^application\/x-www-form-urlencoded/);
    expect(new URLSearchParams(await form.text()).get('error')).toBe('bad_verification_code');
  });

  it('the code exchange refuses a spent code with HTTP 200 and error=bad_verification_code: token_rejected, nothing stored', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const first = await install(caller);
    await caller.github.exchange(first.callback);
    // A second attempt whose callback carries the first (spent) code.
    const second = await install(caller);
    const error = await rejection(caller.github.exchange({ ...second.callback, code: first.callback.code }));
    expect((error.cause as OAuthFlowError).reason).toBe('token_rejected');
    expect(sandbox.log.filter((r) => r.path === '/login/oauth/access_token').map((r) => r.status)).toEqual([200, 200]);
    expect(installationTokens()).toHaveLength(1);
    expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['active']);
  });
});
