/**
 * "Check connection" through the real procedure: real Postgres, the generic sandbox playing
 * Linear (expiring, rotating tokens) and Intercom (tokens that never expire) over HTTP, the
 * consent page clicked over HTTP. A check refreshes an expiring token (which proves the grant
 * still works) or makes an identity call with one that does not expire, and records what the
 * provider answered as the connection's health.
 */
import { randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { intercom } from '../connectors/intercom/definition.js';
import { linear } from '../connectors/linear/definition.js';
import { LINEAR_SANDBOX_ORGANIZATION as ORG } from '../connectors/linear/sandbox-profile.js';
import type { ConnectorDefinition, OAuthSpec } from '../connectors/types.js';
import { resolveOAuthConfig } from '../oauth/config.js';
import type { OAuthSandbox } from '../sandbox/oauth-sandbox.js';
import type { AppServices } from '../services.js';
import { approveOnConsentPage } from '../../test/support/app-client.js';
import { callerFor, signedInUser } from '../../test/support/factories.js';
import { testServices, useTestDatabase } from '../../test/support/database.js';
import { captureLogs } from '../../test/support/logs.js';

const db = useTestDatabase();
const logs = captureLogs();

const CLIENT = { clientId: 'plugboard-check-it', clientSecret: `check-client-secret-${randomBytes(12).toString('hex')}` };
const withOAuth = (d: unknown) => d as ConnectorDefinition & { oauth: OAuthSpec<string> };
const definitions = { linear: withOAuth(linear), intercom: withOAuth(intercom) };

let sandbox: OAuthSandbox;
let intercomSandbox: OAuthSandbox;

beforeAll(async () => {
  sandbox = (await definitions.linear.oauth.sandbox?.(CLIENT)) as OAuthSandbox;
  intercomSandbox = (await definitions.intercom.oauth.sandbox?.(CLIENT)) as OAuthSandbox;
});
afterAll(async () => {
  await sandbox?.close();
  await intercomSandbox?.close();
});
beforeEach(() => {
  sandbox.reset();
  intercomSandbox.reset();
});
afterEach(() => {
  const text = logs.text();
  for (const secret of [CLIENT.clientSecret, ...[...sandbox.tokens(), ...intercomSandbox.tokens()].map((t) => t.token)]) {
    expect(text.includes(secret), 'a token or client secret reached the log').toBe(false);
  }
});

/** Test services whose Linear and Intercom clients are the sandboxes, resolved as `npm start` resolves them. */
function servicesWithSandbox(): AppServices {
  const base = testServices(db.orm, logs.logger, { OAUTH_HTTP_TIMEOUT_MS: '5000' });
  const oauth = new Map(base.oauth);
  oauth.set('linear', resolveOAuthConfig(definitions.linear, base.env, { client: CLIENT, server: sandbox }));
  oauth.set('intercom', resolveOAuthConfig(definitions.intercom, base.env, { client: CLIENT, server: intercomSandbox }));
  return { ...base, oauth };
}

type Caller = ReturnType<typeof callerFor>;

/** Connect → approve at the sandbox's consent page → exchange: a live connection. */
async function connect(caller: Caller, connector: 'linear' | 'intercom' = 'linear'): Promise<void> {
  await caller[connector].exchange(await approveOnConsentPage((await caller[connector].connect()).authorizeUrl));
}
const connectLinear = (caller: Caller) => connect(caller, 'linear');

async function rejection(call: Promise<unknown>): Promise<TRPCError> {
  const error = await call.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

const tokenCalls = () => sandbox.log.filter((r) => r.path === '/oauth/token').map((r) => r.status);
const healthEvents = (tenantId: string) =>
  db.sql<{ action: string; detail: string | null; actor_email: string }>(
    "select action, detail, actor_email from connector_events where tenant_id = $1 and action in ('refresh_failing', 'needs_reconnect', 'recovered') order by created_at, id",
    [tenantId],
  );

describe('check: an on-demand health check of the connection', () => {
  it('healthy: the expiring token is refreshed now, and the status says healthy with the new expiry', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    await connectLinear(caller);
    const before = await caller.linear.status();
    const oldToken = (await services.secrets.get(session.tenantId, 'LINEAR_ACCESS_TOKEN'))?.reveal();

    const status = await caller.linear.check();

    expect(status).toMatchObject({ state: 'connected', health: 'healthy', healthReason: null, scopes: ['read'], workspace: { name: ORG.name } });
    // The exchange, then the forced refresh: the provider was really asked.
    expect(tokenCalls()).toEqual([200, 200]);
    const newToken = (await services.secrets.get(session.tenantId, 'LINEAR_ACCESS_TOKEN'))?.reveal();
    expect(newToken).toBeTruthy();
    expect(newToken).not.toBe(oldToken);
    expect(Date.parse(status.expiresAt ?? '')).toBeGreaterThanOrEqual(Date.parse(before.expiresAt ?? ''));
    // Healthy before and after: no change, so no event.
    expect(await healthEvents(session.tenantId)).toEqual([]);
  });

  it('needs_reconnect: after the grant is revoked at the sandbox, the check says so with the reason, and the catalog shows it', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    await connectLinear(caller);
    const token = (await services.secrets.get(session.tenantId, 'LINEAR_ACCESS_TOKEN'))?.reveal() ?? '';
    // Linear's bearer-style revoke ends the whole grant, refresh token included.
    const revoked = await fetch(`${sandbox.url}/oauth/revoke`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(revoked.status).toBe(200);
    expect((await caller.catalog.get({ id: 'linear' })).status).toBe('connected');

    const status = await caller.linear.check();

    expect(status).toMatchObject({ state: 'connected', connected: true, health: 'needs_reconnect', healthReason: 'invalid_grant' });
    expect(tokenCalls()).toEqual([200, 400]);
    expect(await healthEvents(session.tenantId)).toEqual([{ action: 'needs_reconnect', detail: 'invalid_grant', actor_email: 'Plugboard' }]);
    expect((await caller.linear.events({ limit: 10 }))[0]).toMatchObject({ action: 'needs_reconnect', detail: 'invalid_grant', actorEmail: 'Plugboard' });
    expect((await caller.catalog.get({ id: 'linear' })).status).toBe('needs_reconnect');
    expect((await caller.catalog.list()).find((c) => c.id === 'linear')?.status).toBe('needs_reconnect');

    // Checking again changes nothing and asks nobody: only a reconnect can fix it.
    expect(await caller.linear.check()).toMatchObject({ health: 'needs_reconnect', healthReason: 'invalid_grant' });
    expect(tokenCalls()).toEqual([200, 400]);
    expect(await healthEvents(session.tenantId)).toHaveLength(1);
  });

  it('refresh_failing: a provider outage is a reason to retry, not to reconnect; the next check recovers', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    await connectLinear(caller);

    sandbox.faults.next('token', { status: 503 });
    expect(await caller.linear.check()).toMatchObject({ health: 'refresh_failing', healthReason: 'http_503' });
    expect((await caller.catalog.get({ id: 'linear' })).status).toBe('connected');

    expect(await caller.linear.check()).toMatchObject({ health: 'healthy', healthReason: null });
    expect(await healthEvents(session.tenantId)).toEqual([
      { action: 'refresh_failing', detail: 'http_503', actor_email: 'Plugboard' },
      { action: 'recovered', detail: null, actor_email: 'Plugboard' },
    ]);
  });

  it('refuses members (FORBIDDEN) and a connector that is not connected (PRECONDITION_FAILED), asking the provider nothing', async () => {
    const services = servicesWithSandbox();
    const { session: admin } = await signedInUser(services, 'admin');
    const adminCaller = callerFor(services, admin);

    const notConnected = await rejection(adminCaller.linear.check());
    expect(notConnected.code).toBe('PRECONDITION_FAILED');
    expect(notConnected.message).toBe('Linear is not connected, so there is nothing to check. Connect it first.');

    await connectLinear(adminCaller);
    const tenantSlug = (await db.sql<{ slug: string }>('select slug from tenants where id = $1', [admin.tenantId]))[0]?.slug;
    const { session: member } = await signedInUser(services, 'member', tenantSlug);
    const forbidden = await rejection(callerFor(services, member).linear.check());
    expect(forbidden.code).toBe('FORBIDDEN');
    // A member still sees the status.
    expect(await callerFor(services, member).linear.status()).toMatchObject({ health: 'healthy' });
    expect(tokenCalls()).toEqual([200]);
  });

  it('a token that never expires (Intercom) is checked with an identity call; a revoked one needs a reconnect', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    await connect(caller, 'intercom');
    const identityCalls = () => intercomSandbox.log.filter((r) => r.path === '/me').map((r) => r.status);
    expect(identityCalls()).toEqual([200]);

    expect(await caller.intercom.check()).toMatchObject({ health: 'healthy', expiresAt: null });
    expect(identityCalls()).toEqual([200, 200]);
    expect(intercomSandbox.log.filter((r) => r.path === '/auth/eagle/token')).toHaveLength(1);

    const token = (await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal() ?? '';
    const revoked = await fetch(`${intercomSandbox.url}/auth/uninstall`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(revoked.status).toBe(200);

    expect(await caller.intercom.check()).toMatchObject({ health: 'needs_reconnect', healthReason: 'identity_rejected' });
    expect(identityCalls()).toEqual([200, 200, 401]);
    expect((await caller.catalog.get({ id: 'intercom' })).status).toBe('needs_reconnect');
  });
});
