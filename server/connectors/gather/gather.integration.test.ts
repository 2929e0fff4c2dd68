/**
 * Gather through the API-key mode, end to end: real Postgres, the procedures as an admin calls
 * them, Gather's stand-in over HTTP, the ledger, the scheduled sweep and the token service.
 */
import { TRPCError } from '@trpc/server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorEvent, ConnectorGrant, ConnectorInstallation } from '../../../db/entities/index.js';
import { callerFor, signedInUser } from '../../../test/support/factories.js';
import { testServices, useTestDatabase } from '../../../test/support/database.js';
import { runDueJobs } from '../../../test/support/jobs.js';
import { captureLogs } from '../../../test/support/logs.js';
import { resolveApiKeyConfig, type ApiKeyConnector } from '../../apikey/config.js';
import type { AppServices } from '../../services.js';
import { issueToken } from '../../tokens/issue.js';
import { sweepOnce } from '../../tokens/sweep.js';
import { gather } from './definition.js';
import { GATHER_SANDBOX_SPACE as SPACE, startGatherSandbox, type GatherSandbox } from './sandbox.js';

const db = useTestDatabase();
const logs = captureLogs();
const definition = gather as ApiKeyConnector;
let sandbox: GatherSandbox;
/** Space ids as an admin copies them from the address bar: forward slash. */
const SPACE_AS_TYPED = SPACE.replace('\\', '/');

beforeAll(async () => {
  sandbox = await startGatherSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(() => sandbox.reset());
afterEach(() => {
  const text = logs.text();
  for (const key of sandbox.keys()) expect(text.includes(key), 'an API key reached the log').toBe(false);
});

function servicesWith(apiUrl?: string): AppServices {
  const base = testServices(db.orm, logs.logger, { OAUTH_HTTP_TIMEOUT_MS: '3000' });
  const oauth = new Map(base.oauth);
  const server = apiUrl ? { ...sandbox, apiUrl } : sandbox;
  oauth.set('gather', resolveApiKeyConfig(definition, base.env, server));
  return { ...base, oauth };
}

async function admin(services: AppServices) {
  const { session } = await signedInUser(services, 'admin');
  return { session, caller: callerFor(services, session) };
}

async function refusal(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

async function storedRows(tenantId: string) {
  const em = db.orm.em.fork();
  return {
    installation: await em.findOne(ConnectorInstallation, { tenant: tenantId, type: 'gather' }),
    grants: await em.find(ConnectorGrant, { tenant: tenantId, connector: 'gather' }),
    events: await em.find(ConnectorEvent, { tenant: tenantId, connector: 'gather' }),
  };
}

describe('Gather with an API key', () => {
  it('a good key connects, names the space, and the token service returns the key', async () => {
    const services = servicesWith();
    const { session, caller } = await admin(services);
    const key = sandbox.issueKey();
    const before = await caller.gather.status();
    expect(before.apiKey).toMatchObject({ label: 'API key' });
    expect(before.state).toBe('not_connected');

    await expect(caller.gather.connectWithKey({ apiKey: key, settings: { spaceId: SPACE_AS_TYPED } })).resolves.toMatchObject({ success: true });
    // One check call, with the documented header and the backslash form of the space id.
    expect(sandbox.log).toEqual([expect.objectContaining({ path: '/api/getEmailGuestlist', spaceId: SPACE, apiKey: true, status: 200 })]);

    const status = await caller.gather.status();
    expect(status).toMatchObject({ connected: true, state: 'connected', health: 'healthy', revocable: false, revocation: 'not_offered' });
    expect(status.workspace).toEqual({ id: SPACE, name: 'Plugboard Office' });
    expect(status.settings).toEqual([expect.objectContaining({ name: 'spaceId', value: SPACE })]);
    expect(status.removedAtProvider?.text).toMatch(/delete it at gather\.town\/apiKeys/);
    expect(JSON.stringify(status)).not.toContain(key);

    const issued = await issueToken(services, { tenantId: session.tenantId, connector: 'gather' }, logs.logger);
    expect(issued.accessToken.reveal()).toBe(key);
    expect(issued.tokenType).toBe('apiKey');
    expect(issued.settings).toMatchObject({ spaceId: SPACE });
    expect(await services.secrets.get(session.tenantId, 'GATHER_SPACE_ID')).toBe(SPACE);
    const { grants, events } = await storedRows(session.tenantId);
    expect(grants.map((g) => g.status)).toEqual(['active']);
    expect(events.map((e) => e.action)).toEqual(['connected']);
  });

  it('a wrong key stores nothing and says so', async () => {
    const services = servicesWith();
    const { session, caller } = await admin(services);
    const wrong = 'gk_not-a-key-gather-knows';
    const error = await refusal(caller.gather.connectWithKey({ apiKey: wrong, settings: { spaceId: SPACE } }));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(/did not accept this API key/);
    expect(error.message).not.toContain(wrong);
    const rows = await storedRows(session.tenantId);
    expect(rows).toEqual({ installation: null, grants: [], events: [] });
    expect(await services.secrets.get(session.tenantId, 'GATHER_API_KEY')).toBeNull();
    expect(logs.text()).not.toContain(wrong);
  });

  it('a key without rights on the space is refused the same way', async () => {
    const services = servicesWith();
    const { session, caller } = await admin(services);
    const error = await refusal(caller.gather.connectWithKey({ apiKey: sandbox.issueKey(), settings: { spaceId: 'zzzz9999/Other Space' } }));
    expect(error.message).toMatch(/did not accept/);
    expect((await storedRows(session.tenantId)).grants).toEqual([]);
  });

  it('Gather unreachable (5xx or no answer) stores nothing and says Gather could not be reached', async () => {
    const services = servicesWith();
    const { session, caller } = await admin(services);
    sandbox.nextFault({ status: 503 });
    const error = await refusal(caller.gather.connectWithKey({ apiKey: sandbox.issueKey(), settings: { spaceId: SPACE } }));
    expect(error.code).toBe('BAD_GATEWAY');
    expect(error.message).toMatch(/Gather could not be reached/);

    const closed = await startGatherSandbox();
    const deadUrl = closed.apiUrl;
    await closed.close();
    const offline = servicesWith(deadUrl);
    const again = await refusal(callerFor(offline, session).gather.connectWithKey({ apiKey: sandbox.issueKey(), settings: { spaceId: SPACE } }));
    expect(again.message).toMatch(/Gather could not be reached/);
    expect(await storedRows(session.tenantId)).toEqual({ installation: null, grants: [], events: [] });
  });

  it('refuses bad input with field errors, before calling Gather', async () => {
    const services = servicesWith();
    const { caller } = await admin(services);
    const cases: [unknown, string][] = [
      [{ apiKey: '', settings: { spaceId: SPACE } }, 'apiKey'],
      [{ apiKey: 'x'.repeat(2000), settings: { spaceId: SPACE } }, 'apiKey'],
      [{ apiKey: 'x'.repeat(300), settings: { spaceId: SPACE } }, 'apiKey'],
      [{ apiKey: 'has a space', settings: { spaceId: SPACE } }, 'apiKey'],
      [{ apiKey: 'gk_ok', settings: { spaceId: 'no-separator' } }, 'spaceId'],
      [{ apiKey: 'gk_ok', settings: { spaceId: '' } }, 'spaceId'],
      [{ apiKey: 'gk_ok', settings: {} }, 'spaceId'],
      [{ apiKey: 'gk_ok', settings: { spaceId: 'abcd/a/b' } }, 'spaceId'],
    ];
    for (const [input, field] of cases) {
      const error = await refusal(caller.gather.connectWithKey(input as never));
      expect(error.code, JSON.stringify(input).slice(0, 80)).toBe('BAD_REQUEST');
      // The caller sees the issues (over HTTP: `fieldErrors` by field name); never the input.
      const issues = String(error.cause);
      expect(issues, field).toContain(`"${field}"`);
      expect(issues).not.toContain('x'.repeat(300));
    }
    expect(sandbox.log).toEqual([]);
  });

  it('a member cannot connect', async () => {
    const services = servicesWith();
    const { session } = await signedInUser(services, 'member');
    const error = await refusal(callerFor(services, session).gather.connectWithKey({ apiKey: sandbox.issueKey(), settings: { spaceId: SPACE } }));
    expect(error.code).toBe('FORBIDDEN');
    expect(sandbox.log).toEqual([]);
  });

  it('the scheduled verification turns a key deleted at Gather into needs_reconnect', async () => {
    const services = servicesWith();
    const { session, caller } = await admin(services);
    const key = sandbox.issueKey();
    await caller.gather.connectWithKey({ apiKey: key, settings: { spaceId: SPACE } });
    const due = () =>
      db.sql(`update connector_installations set verified_at = now() - interval '3 days' where type = 'gather' and tenant_id = $1`, [session.tenantId]);
    // Other tests' connections are not due.
    await db.sql(`update connector_installations set verified_at = now() where type = 'gather' and tenant_id <> $1`, [session.tenantId]);
    await due();
    expect(await sweepOnce(services, logs.logger)).toMatchObject({ verified: 1, failed: 0 });
    sandbox.deleteKey(key);
    await due();
    expect(await sweepOnce(services, logs.logger)).toMatchObject({ failed: 1 });
    const status = await caller.gather.status();
    expect(status).toMatchObject({ connected: true, health: 'needs_reconnect', healthReason: 'identity_rejected' });
    expect((await storedRows(session.tenantId)).events.map((e) => e.action)).toContain('needs_reconnect');
    await expect(issueToken(services, { tenantId: session.tenantId, connector: 'gather' }, logs.logger)).rejects.toThrow();
  });

  it('replacing the key (reconnect) makes the new key live and gives up the old grant', async () => {
    const services = servicesWith();
    const { session, caller } = await admin(services);
    const first = sandbox.issueKey();
    const second = sandbox.issueKey();
    await caller.gather.connectWithKey({ apiKey: first, settings: { spaceId: SPACE } });
    await caller.gather.connectWithKey({ apiKey: second, settings: { spaceId: SPACE_AS_TYPED } });
    await runDueJobs({ url: db.url, services });
    const issued = await issueToken(services, { tenantId: session.tenantId, connector: 'gather' }, logs.logger);
    expect(issued.accessToken.reveal()).toBe(second);
    const { grants, events } = await storedRows(session.tenantId);
    expect(grants.map((g) => g.status).sort()).toEqual(['active', 'discarded']);
    expect(events.map((e) => e.action).sort()).toEqual(['connected', 'reconnected']);
  });

  it('disconnect forgets the key (Gather cannot revoke it) and a new key connects again', async () => {
    const services = servicesWith();
    const { session, caller } = await admin(services);
    await caller.gather.connectWithKey({ apiKey: sandbox.issueKey(), settings: { spaceId: SPACE } });
    await caller.gather.disconnect();
    await runDueJobs({ url: db.url, services });
    expect(await services.secrets.get(session.tenantId, 'GATHER_API_KEY')).toBeNull();
    expect(await services.secrets.get(session.tenantId, 'GATHER_SPACE_ID')).toBeNull();
    const status = await caller.gather.status();
    expect(status).toMatchObject({ connected: false, state: 'disconnected', revocable: false });
    const { grants } = await storedRows(session.tenantId);
    expect(grants.map((g) => g.status)).toEqual(['discarded']);
    // Only the check call reached Gather: there is nothing to revoke there.
    expect(sandbox.log.map((r) => r.path)).toEqual(['/api/getEmailGuestlist']);

    await caller.gather.connectWithKey({ apiKey: sandbox.issueKey(), settings: { spaceId: SPACE } });
    expect((await caller.gather.status()).connected).toBe(true);
  });
});
