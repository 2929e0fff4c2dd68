/**
 * Jira through the real procedures, against the generic sandbox playing Atlassian: a JSON token
 * request, and a choice after consent (the grant reaches two sites; the admin who connected
 * picks one, only then is the installation active, and the site's cloud id is stored).
 */
import { randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signIn } from '../../auth/sessions.js';
import { callerFor, signedInUser, TEST_PASSWORD, makeUser } from '../../../test/support/factories.js';
import { testServices, useTestDatabase } from '../../../test/support/database.js';
import { approveOnConsentPage } from '../../../test/support/app-client.js';
import { runDueJobs } from '../../../test/support/jobs.js';
import { captureLogs } from '../../../test/support/logs.js';
import { reconcile } from '../../connections/reconciler.js';
import { resolveOAuthConfig } from '../../oauth/config.js';
import { startOAuthSandbox, type OAuthSandbox } from '../../sandbox/oauth-sandbox.js';
import type { AppServices } from '../../services.js';
import type { ConnectorDefinition, OAuthSpec } from '../types.js';
import { jira } from './definition.js';
import { JIRA_SANDBOX_SITES as SITES, jiraSandboxProfile } from './sandbox-profile.js';

const db = useTestDatabase();
const logs = captureLogs();
const CLIENT = { clientId: 'plugboard-jira-it', clientSecret: `jira-client-secret-${randomBytes(12).toString('hex')}` };
const definition = jira as ConnectorDefinition & { oauth: OAuthSpec<string> };

let sandbox: OAuthSandbox;
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
afterEach(() => {
  const text = logs.text();
  for (const secret of [CLIENT.clientSecret, ...sandbox.tokens().map((t) => t.token)]) {
    expect(text.includes(secret), 'a token or the client secret reached the log').toBe(false);
  }
});

function servicesWith(server: OAuthSandbox = sandbox, env: Record<string, string> = {}): AppServices {
  const base = testServices(db.orm, logs.logger, { OAUTH_HTTP_TIMEOUT_MS: '5000', ...env });
  const oauth = new Map(base.oauth);
  oauth.set('jira', resolveOAuthConfig(definition, base.env, { client: CLIENT, server }));
  return { ...base, oauth };
}
type Caller = ReturnType<typeof callerFor>;

/** Connect, approve on the sandbox's consent page, and hand the callback to `exchange`. */
async function connectAndApprove(caller: Caller) {
  const authorizeUrl = new URL((await caller.jira.connect()).authorizeUrl);
  expect(authorizeUrl.searchParams.get('audience')).toBe('api.atlassian.com');
  expect(authorizeUrl.searchParams.get('scope')).toBe('read:jira-work read:jira-user offline_access');
  return caller.jira.exchange(await approveOnConsentPage(authorizeUrl.toString()));
}

async function rejection(call: Promise<unknown>): Promise<TRPCError> {
  const error = await call.then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

const choiceIdOf = (redirectTo: string | null) => /\/integrations\/jira\/choose\/([0-9a-f-]{36})$/.exec(redirectTo ?? '')?.[1] ?? '';
const grants = (tenantId: string) =>
  db.sql<{ status: string; settings: Record<string, string> | null }>(
    "select status, settings from connector_grants where tenant_id = $1 and connector = 'jira' order by created_at",
    [tenantId],
  );
const installations = (tenantId: string) =>
  db.sql<{ status: string }>("select status from connector_installations where tenant_id = $1 and type = 'jira'", [tenantId]);
const config = async (tenantId: string) =>
  Object.fromEntries((await db.sql<{ key: string; value: string }>('select key, value from config_values where tenant_id = $1', [tenantId])).map((r) => [r.key, r.value]));

describe('Jira: a choice after consent', () => {
  it('two sites: nothing is active until the admin picks one; then the site is the account and its cloud id is stored', async () => {
    const services = servicesWith();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);

    const result = await connectAndApprove(caller);
    expect(result).toMatchObject({ success: true, finishing: false, redirectTo: expect.stringMatching(/^\/integrations\/jira\/choose\//) });
    // The token request was JSON with the client secret in it (Atlassian's documented shape).
    const tokenCall = sandbox.log.find((r) => r.path === '/oauth/token');
    expect(tokenCall).toMatchObject({ contentType: expect.stringMatching(/^application\/json/), authorization: null, status: 200 });

    const id = choiceIdOf(result.redirectTo);
    expect(await caller.jira.choice({ id })).toEqual({
      accounts: SITES.map((s) => ({ id: s.id, name: s.name, approvedBy: null })),
      expiresAt: expect.any(String),
    });
    expect(await installations(session.tenantId)).toEqual([]);
    expect((await grants(session.tenantId)).map((g) => g.status)).toEqual(['pending']);
    expect(await services.secrets.get(session.tenantId, 'JIRA_ACCESS_TOKEN')).toBeNull();
    expect(await caller.jira.status()).toMatchObject({ state: 'not_connected' });

    expect(await caller.jira.choose({ id, account: SITES[1].id })).toEqual({ success: true, redirectTo: null, finishing: false });
    const status = await caller.jira.status();
    expect(status).toMatchObject({ state: 'connected', workspace: { id: SITES[1].id, name: SITES[1].name } });
    expect(status.learned).toEqual([
      { name: 'cloudId', label: 'Site cloud id', value: SITES[1].id },
      { name: 'siteUrl', label: 'Site', value: SITES[1].url },
    ]);
    const access = sandbox.tokens().find((t) => t.kind === 'access');
    expect((await services.secrets.get(session.tenantId, 'JIRA_ACCESS_TOKEN'))?.reveal()).toBe(access?.token);
    expect((await services.secrets.get(session.tenantId, 'JIRA_REFRESH_TOKEN'))?.reveal()).toBe(sandbox.tokens().find((t) => t.kind === 'refresh')?.token);
    expect(await config(session.tenantId)).toMatchObject({ JIRA_CLOUD_ID: SITES[1].id, JIRA_SITE_URL: SITES[1].url, JIRA_TOKEN_TYPE: 'Bearer' });
    expect(await grants(session.tenantId)).toEqual([{ status: 'active', settings: { cloudId: SITES[1].id, siteUrl: SITES[1].url } }]);

    // Single use: the same choice cannot be made again.
    expect((await rejection(caller.jira.choose({ id, account: SITES[0].id }))).code).toBe('NOT_FOUND');

    // Disconnect forgets everything, learned values included; Atlassian cannot revoke (discarded).
    expect(status).toMatchObject({ revocable: false, revocation: 'not_offered' });
    await caller.jira.disconnect();
    await runDueJobs({ url: db.url, services });
    expect(await config(session.tenantId)).toEqual({});
    expect(await db.sql('select key from secret_values where tenant_id = $1', [session.tenantId])).toEqual([]);
    expect((await grants(session.tenantId)).map((g) => g.status)).toEqual(['discarded']);
  });

  it('the choice belongs to the session that connected: another session of the same admin, or another admin, cannot see or make it', async () => {
    const services = servicesWith();
    const { session } = await signedInUser(services, 'admin');
    const id = choiceIdOf((await connectAndApprove(callerFor(services, session))).redirectTo);

    const again = await signIn(services.orm.em.fork(), { email: session.email, password: TEST_PASSWORD }, 1);
    const colleague = await makeUser(services.orm.em.fork(), session.tenantSlug, 'admin');
    const other = await signIn(services.orm.em.fork(), { email: colleague.email, password: TEST_PASSWORD }, 1);
    for (const stranger of [again!.user, other!.user]) {
      const caller = callerFor(services, stranger);
      expect((await rejection(caller.jira.choice({ id }))).code).toBe('NOT_FOUND');
      expect((await rejection(caller.jira.choose({ id, account: SITES[0].id }))).code).toBe('NOT_FOUND');
      expect((await rejection(caller.jira.cancelChoice({ id }))).code).toBe('NOT_FOUND');
    }
    // A member of the tenant may not choose either (admins only), even their own.
    const member = await signedInUser(services, 'member', session.tenantSlug);
    expect((await rejection(callerFor(services, member.session).jira.choice({ id }))).code).toBe('FORBIDDEN');
    // Untouched: the admin who connected still can.
    expect(await callerFor(services, session).jira.choose({ id, account: SITES[0].id })).toMatchObject({ success: true });
  });

  it('an account that was not offered is refused and the choice stays open; two concurrent picks make one connection', async () => {
    const services = servicesWith();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const id = choiceIdOf((await connectAndApprove(caller)).redirectTo);

    expect((await rejection(caller.jira.choose({ id, account: 'some-other-site' }))).code).toBe('BAD_REQUEST');
    expect((await rejection(caller.jira.choose({ id: 'not-a-uuid', account: SITES[0].id }))).code).toBe('BAD_REQUEST');

    const picks = await Promise.allSettled([0, 1, 0, 1].map((i) => caller.jira.choose({ id, account: SITES[i]!.id })));
    expect(picks.filter((p) => p.status === 'fulfilled')).toHaveLength(1);
    for (const p of picks) if (p.status === 'rejected') expect((p.reason as TRPCError).code).toBe('NOT_FOUND');
    expect((await grants(session.tenantId)).map((g) => g.status)).toEqual(['active']);
    expect(await installations(session.tenantId)).toEqual([{ status: 'active' }]);
  });

  it('cancel: nothing is connected and the grant is given up at once (Atlassian has no revocation endpoint: discarded)', async () => {
    const services = servicesWith();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const id = choiceIdOf((await connectAndApprove(caller)).redirectTo);

    expect(await caller.jira.cancelChoice({ id })).toEqual({ success: true, redirectTo: null, finishing: false });
    expect((await grants(session.tenantId)).map((g) => g.status)).toEqual(['revoking']);
    await runDueJobs({ url: db.url, services });
    expect((await grants(session.tenantId)).map((g) => g.status)).toEqual(['discarded']);
    const keys = await db.sql<{ key: string }>('select key from secret_values where tenant_id = $1', [session.tenantId]);
    expect(keys).toEqual([]);
    expect(await installations(session.tenantId)).toEqual([]);
    expect((await rejection(caller.jira.choose({ id, account: SITES[0].id }))).code).toBe('NOT_FOUND');
  });

  it('a choice never made expires with its grant: the reconciler gives the grant up and a late pick is refused', async () => {
    const services = servicesWith(sandbox, { PENDING_GRANT_TIMEOUT_SECONDS: '1' });
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const id = choiceIdOf((await connectAndApprove(caller)).redirectTo);
    await new Promise((resolve) => setTimeout(resolve, 1_200));

    expect((await rejection(caller.jira.choice({ id }))).code).toBe('NOT_FOUND');
    await reconcile(services);
    await runDueJobs({ url: db.url, services });
    expect((await grants(session.tenantId)).map((g) => g.status)).toEqual(['discarded']);
    expect((await rejection(caller.jira.choose({ id, account: SITES[0].id }))).code).toBe('NOT_FOUND');
    expect(await installations(session.tenantId)).toEqual([]);
  });
});

describe('Jira: what identity answers', () => {
  it('one site: connected at once, no choice', async () => {
    const one = await startOAuthSandbox({ ...jiraSandboxProfile, identity: { ...jiraSandboxProfile.identity, answer: [{ ...SITES[0], scopes: ['read:jira-work'] }] } }, CLIENT);
    try {
      const services = servicesWith(one);
      const { session } = await signedInUser(services, 'admin');
      const caller = callerFor(services, session);
      expect(await connectAndApprove(caller)).toEqual({ success: true, redirectTo: null, finishing: false });
      expect(await caller.jira.status()).toMatchObject({ state: 'connected', workspace: { id: SITES[0].id, name: SITES[0].name } });
    } finally {
      await one.close();
    }
  });

  it('no Jira site, or a site address that is not Atlassian, fails the connection and gives the grant up', async () => {
    const cases = [
      { answer: [{ ...SITES[0], scopes: ['read:confluence-content.all'] }], reason: 'identify_failed' },
      { answer: [{ ...SITES[0], url: 'https://evil.example', scopes: ['read:jira-work'] }], reason: 'provider_malformed' },
    ];
    for (const { answer, reason } of cases) {
      const server = await startOAuthSandbox({ ...jiraSandboxProfile, identity: { ...jiraSandboxProfile.identity, answer } }, CLIENT);
      try {
        const services = servicesWith(server);
        const { session } = await signedInUser(services, 'admin');
        const error = await rejection(connectAndApprove(callerFor(services, session)));
        expect((error.cause as { reason?: string }).reason).toBe(reason);
        expect(error.message).not.toContain('evil');
        expect((await grants(session.tenantId)).map((g) => g.status)).toEqual(['revoking']);
        expect(await installations(session.tenantId)).toEqual([]);
      } finally {
        await server.close();
      }
    }
  });
});
