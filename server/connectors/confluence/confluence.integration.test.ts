/**
 * Confluence through the real procedures, against the generic sandbox playing Atlassian (the
 * protocol Jira shares): a JSON token request, a choice after consent among the sites where the
 * grant holds Confluence scopes, rotating refresh tokens, no revocation endpoint, and an
 * installation of its own beside Jira's for the same tenant.
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
import { atlassianSandboxProfile } from '../atlassian/sandbox-profile.js';
import { jira } from '../jira/definition.js';
import type { ConnectorDefinition, OAuthSpec } from '../types.js';
import { confluence } from './definition.js';
import { CONFLUENCE_SANDBOX_JIRA_ONLY_SITE as JIRA_ONLY, CONFLUENCE_SANDBOX_SITES as SITES, confluenceSandboxProfile } from './sandbox-profile.js';

const db = useTestDatabase();
const logs = captureLogs();
const CLIENT = { clientId: 'plugboard-confluence-it', clientSecret: `confluence-client-secret-${randomBytes(12).toString('hex')}` };
const definition = confluence as ConnectorDefinition & { oauth: OAuthSpec<string> };
const jiraDefinition = jira as ConnectorDefinition & { oauth: OAuthSpec<string> };
const IDENTITY_PATH = '/oauth/token/accessible-resources';

let sandbox: OAuthSandbox;
const others: OAuthSandbox[] = [];
beforeAll(async () => {
  // The definition's own hook: the same sandbox `npm start` runs without CONFLUENCE_CLIENT_ID.
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

function servicesWith(server: OAuthSandbox = sandbox, jiraServer?: OAuthSandbox): AppServices {
  const base = testServices(db.orm, logs.logger, { OAUTH_HTTP_TIMEOUT_MS: '5000' });
  const oauth = new Map(base.oauth);
  oauth.set('confluence', resolveOAuthConfig(definition, base.env, { client: CLIENT, server }));
  if (jiraServer) oauth.set('jira', resolveOAuthConfig(jiraDefinition, base.env, { client: CLIENT, server: jiraServer }));
  return { ...base, oauth };
}
async function startWith(sites: Parameters<typeof atlassianSandboxProfile>[0]): Promise<OAuthSandbox> {
  const server = await startOAuthSandbox(atlassianSandboxProfile(sites), CLIENT);
  others.push(server);
  return server;
}
type Caller = ReturnType<typeof callerFor>;

async function connectAndApprove(caller: Caller) {
  const authorizeUrl = new URL((await caller.confluence.connect()).authorizeUrl);
  expect(authorizeUrl.searchParams.get('audience')).toBe('api.atlassian.com');
  expect(authorizeUrl.searchParams.get('prompt')).toBe('consent');
  expect(authorizeUrl.searchParams.get('scope')).toBe('read:confluence-space.summary read:confluence-content.summary offline_access');
  return caller.confluence.exchange(await approveOnConsentPage(authorizeUrl.toString()));
}

const choiceIdOf = (redirectTo: string | null) => /\/integrations\/confluence\/choose\/([0-9a-f-]{36})$/.exec(redirectTo ?? '')?.[1] ?? '';
const grants = (tenantId: string, connector = 'confluence') =>
  db.sql<{ status: string }>('select status from connector_grants where tenant_id = $1 and connector = $2 order by created_at', [tenantId, connector]);
const installation = (tenantId: string, type = 'confluence') =>
  db
    .sql<{ status: string; health: string; health_reason: string | null }>(
      'select status, health, health_reason from connector_installations where tenant_id = $1 and type = $2',
      [tenantId, type],
    )
    .then((rows) => rows[0]);
const config = async (tenantId: string) =>
  Object.fromEntries((await db.sql<{ key: string; value: string }>('select key, value from config_values where tenant_id = $1', [tenantId])).map((r) => [r.key, r.value]));
const storedKeys = async (tenantId: string) =>
  (await db.sql<{ key: string }>('select key from secret_values where tenant_id = $1 order by key', [tenantId])).map((r) => r.key);
const live = (kind: 'access' | 'refresh', server = sandbox) => server.tokens().filter((t) => t.kind === kind && !t.revoked);
const works = async (server: OAuthSandbox, token: string | undefined) =>
  (await fetch(`${server.url}${IDENTITY_PATH}`, { headers: { authorization: `Bearer ${token ?? ''}` } })).status;

/** One admin connected to a one-site sandbox: connected at once. */
async function connectedAdmin(server?: OAuthSandbox) {
  const one = server ?? (await startWith([SITES[0]]));
  const services = servicesWith(one);
  const { session } = await signedInUser(services, 'admin');
  const caller = callerFor(services, session);
  expect(await connectAndApprove(caller)).toEqual({ success: true, redirectTo: null, finishing: false });
  return { server: one, services, session, caller, scope: { tenantId: session.tenantId, connector: 'confluence' as const } };
}

describe('Confluence: connect', () => {
  it('several sites: the choice offers only the Confluence sites; the picked one is the account, its cloud id and address are stored', async () => {
    const services = servicesWith();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);

    const result = await connectAndApprove(caller);
    expect(result).toMatchObject({ success: true, finishing: false, redirectTo: expect.stringMatching(/^\/integrations\/confluence\/choose\//) });
    // Atlassian's documented token request: JSON, the client secret in it, no Basic header.
    expect(sandbox.log.find((r) => r.path === '/oauth/token')).toMatchObject({ contentType: expect.stringMatching(/^application\/json/), authorization: null, status: 200 });

    const id = choiceIdOf(result.redirectTo);
    const offered = await caller.confluence.choice({ id });
    // Never the first by default, and never the Jira-only site the same account reaches.
    expect(offered.accounts).toEqual(SITES.map((s) => ({ id: s.id, name: s.name, approvedBy: null })));
    expect(offered.accounts.map((a) => a.id)).not.toContain(JIRA_ONLY.id);
    expect(await installation(session.tenantId)).toBeUndefined();
    expect(await services.secrets.get(session.tenantId, 'CONFLUENCE_ACCESS_TOKEN')).toBeNull();

    expect(await caller.confluence.choose({ id, account: SITES[1].id })).toEqual({ success: true, redirectTo: null, finishing: false });
    const status = await caller.confluence.status();
    expect(status).toMatchObject({ state: 'connected', workspace: { id: SITES[1].id, name: SITES[1].name }, revocable: false, revocation: 'not_offered' });
    expect(status.learned).toEqual([
      { name: 'cloudId', label: 'Site cloud id', value: SITES[1].id },
      { name: 'siteUrl', label: 'Site', value: SITES[1].url },
    ]);
    expect((await services.secrets.get(session.tenantId, 'CONFLUENCE_ACCESS_TOKEN'))?.reveal()).toBe(live('access')[0]?.token);
    expect((await services.secrets.get(session.tenantId, 'CONFLUENCE_REFRESH_TOKEN'))?.reveal()).toBe(live('refresh')[0]?.token);
    const values = await config(session.tenantId);
    expect(values).toMatchObject({
      CONFLUENCE_CLOUD_ID: SITES[1].id,
      CONFLUENCE_SITE_URL: SITES[1].url,
      CONFLUENCE_TOKEN_TYPE: 'Bearer',
      CONFLUENCE_SCOPES: 'read:confluence-space.summary read:confluence-content.summary offline_access',
    });
    expect(Date.parse(values.CONFLUENCE_EXPIRES_AT!) - Date.now()).toBeGreaterThan(3_500_000);
    expect(Date.parse(values.CONFLUENCE_EXPIRES_AT!) - Date.now()).toBeLessThanOrEqual(3_600_000);
  });

  it('one site: connected at once, no choice', async () => {
    const { caller, session } = await connectedAdmin();
    expect(await caller.confluence.status()).toMatchObject({ state: 'connected', workspace: { id: SITES[0].id, name: SITES[0].name } });
    expect(await installation(session.tenantId)).toMatchObject({ status: 'active', health: 'healthy' });
  });

  it('an account whose sites hold no Confluence scope fails the connection and the grant is given up', async () => {
    const services = servicesWith(await startWith([JIRA_ONLY]));
    const { session } = await signedInUser(services, 'admin');
    const error = await connectAndApprove(callerFor(services, session)).then(() => null, (caught: unknown) => caught as { cause?: { reason?: string } });
    expect(error?.cause?.reason).toBe('identify_failed');
    expect((await grants(session.tenantId)).map((g) => g.status)).toEqual(['revoking']);
    expect(await installation(session.tenantId)).toBeUndefined();
  });
});

describe('Confluence: the token lifecycle', () => {
  it('a due token is refreshed by the sweep; the refresh token rotates and the old one fails with invalid_grant', async () => {
    const { server, services, scope } = await connectedAdmin();
    const [oldRefresh] = live('refresh', server);
    await expireStoredToken(db, scope.tenantId, 'confluence');
    await sweepOnce(services, logs.logger);

    const [newAccess] = live('access', server).slice(-1);
    const [newRefresh] = live('refresh', server);
    expect(newRefresh?.token).not.toBe(oldRefresh?.token);
    expect((await services.secrets.get(scope.tenantId, 'CONFLUENCE_ACCESS_TOKEN'))?.reveal()).toBe(newAccess?.token);
    expect((await services.secrets.get(scope.tenantId, 'CONFLUENCE_REFRESH_TOKEN'))?.reveal()).toBe(newRefresh?.token);
    expect(Date.parse((await config(scope.tenantId)).CONFLUENCE_EXPIRES_AT!)).toBeGreaterThan(Date.now() + 3_500_000);
    // The refresh request is JSON too.
    expect(server.log.filter((r) => r.path === '/oauth/token').map((r) => [r.status, r.authorization, r.contentType?.split(';')[0]])).toEqual([
      [200, null, 'application/json'],
      [200, null, 'application/json'],
    ]);
    // Rotation: the spent refresh token is refused.
    const cfg = services.oauth.get('confluence') as Parameters<typeof refreshTokens>[0];
    await expect(refreshTokens(cfg, new SecretValue(oldRefresh?.token ?? ''), 5000)).rejects.toMatchObject({ oauthError: 'invalid_grant' });
    expect((await issueToken(services, scope, logs.logger)).accessToken.reveal()).toBe(newAccess?.token);
  });

  it('invalid_grant on refresh makes the connection needs_reconnect; connecting again heals it', async () => {
    const { server, services, caller, scope } = await connectedAdmin();
    // Someone else spends the stored refresh token (a restored backup, another instance).
    const stored = await services.secrets.get(scope.tenantId, 'CONFLUENCE_REFRESH_TOKEN');
    await refreshTokens(services.oauth.get('confluence') as Parameters<typeof refreshTokens>[0], stored as SecretValue, 5000);

    await expect(refreshConnection(services, scope, logs.logger, { force: true })).resolves.toMatchObject({ health: 'needs_reconnect' });
    expect(await installation(scope.tenantId)).toMatchObject({ health: 'needs_reconnect', health_reason: 'invalid_grant' });
    await expect(issueToken(services, scope, logs.logger)).rejects.toBeInstanceOf(NeedsReconnectError);

    await connectAndApprove(caller);
    expect(await installation(scope.tenantId)).toMatchObject({ status: 'active', health: 'healthy', health_reason: null });
    expect((await issueToken(services, scope, logs.logger)).accessToken.reveal()).toBe(live('access', server).at(-1)?.token);
  });
});

describe('Confluence: disconnect', () => {
  it('Atlassian cannot revoke: the page says so, Disconnect forgets everything, and no revocation is attempted', async () => {
    const { server, services, caller, scope } = await connectedAdmin();
    expect(await caller.confluence.status()).toMatchObject({ revocable: false, revocation: 'not_offered' });
    await caller.confluence.disconnect();
    await runDueJobs({ url: db.url, services });
    expect(await storedKeys(scope.tenantId)).toEqual([]);
    expect(await config(scope.tenantId)).toEqual({});
    expect((await grants(scope.tenantId)).map((g) => g.status)).toEqual(['discarded']);
    expect(await installation(scope.tenantId)).toMatchObject({ status: 'disconnected' });
    // Nothing was sent anywhere but the token and identity endpoints.
    expect(new Set(server.log.map((r) => r.path))).toEqual(new Set(['/authorize', '/authorize/decision', '/oauth/token', IDENTITY_PATH]));

    // Reconnect works.
    await connectAndApprove(caller);
    expect(await caller.confluence.status()).toMatchObject({ state: 'connected' });
  });

  it('Jira and Confluence of one tenant are independent: disconnecting one leaves the other connected, its token working', async () => {
    // One Atlassian account, one site holding both products' scopes.
    const both = await startWith([{ ...SITES[0], scopes: ['read:confluence-space.summary', 'read:confluence-content.summary', 'read:jira-work', 'read:jira-user'] }]);
    const services = servicesWith(both, both);
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);

    expect(await connectAndApprove(caller)).toMatchObject({ success: true, redirectTo: null });
    const jiraUrl = new URL((await caller.jira.connect()).authorizeUrl);
    expect(await caller.jira.exchange(await approveOnConsentPage(jiraUrl.toString()))).toMatchObject({ success: true, redirectTo: null });

    const tokenOf = async (key: 'JIRA_ACCESS_TOKEN' | 'CONFLUENCE_ACCESS_TOKEN') => (await services.secrets.get(session.tenantId, key))?.reveal();
    const jiraToken = await tokenOf('JIRA_ACCESS_TOKEN');
    const confluenceToken = await tokenOf('CONFLUENCE_ACCESS_TOKEN');
    expect(jiraToken).toBeTruthy();
    expect(confluenceToken).toBeTruthy();
    expect(jiraToken).not.toBe(confluenceToken);

    await caller.confluence.disconnect();
    await runDueJobs({ url: db.url, services });
    expect(await caller.confluence.status()).toMatchObject({ state: 'disconnected' });
    expect(await caller.jira.status()).toMatchObject({ state: 'connected', workspace: { id: SITES[0].id } });
    expect(await tokenOf('CONFLUENCE_ACCESS_TOKEN')).toBeUndefined();
    expect(await tokenOf('JIRA_ACCESS_TOKEN')).toBe(jiraToken);
    expect(await works(both, jiraToken)).toBe(200);
    expect((await config(session.tenantId)).JIRA_CLOUD_ID).toBe(SITES[0].id);
    expect((await grants(session.tenantId, 'jira')).map((g) => g.status)).toEqual(['active']);

    // And the other way round.
    await connectAndApprove(caller);
    const reconnected = await tokenOf('CONFLUENCE_ACCESS_TOKEN');
    await caller.jira.disconnect();
    await runDueJobs({ url: db.url, services });
    expect(await caller.jira.status()).toMatchObject({ state: 'disconnected' });
    expect(await caller.confluence.status()).toMatchObject({ state: 'connected' });
    expect(await tokenOf('CONFLUENCE_ACCESS_TOKEN')).toBe(reconnected);
    expect(await works(both, reconnected)).toBe(200);
  });
});

it('the profile the definition starts is the Confluence one', () => {
  expect(confluenceSandboxProfile.identity.path).toBe(IDENTITY_PATH);
});
