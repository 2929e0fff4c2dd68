/**
 * The Intercom OAuth flow when something goes wrong: bad or stolen states, a provider that
 * refuses, fails, stalls or garbles, a secret backend or database that fails half-way, and a
 * revocation that fails. Real Postgres, the Intercom sandbox over HTTP, the loopback SSM endpoint.
 * The happy path lives in intercom-flow.integration.test.ts; the harness below is the same.
 *
 * Whatever fails, the invariant is the same: either the whole connection lands (token, token
 * type, active installation, event) or none of it does, and no token, code or client secret
 * reaches a log, an output or an error (checked after every test).
 */
import { randomBytes } from 'node:crypto';
import { type TRPCError } from '@trpc/server';
import { describe, expect, it, vi } from 'vitest';
import { signIn } from '../auth/sessions.js';
import type { AppServices } from '../services.js';
import { callerFor, signedInUser, TEST_PASSWORD } from '../../test/support/factories.js';
import { OAuthStateError } from './state.js';
import {
  REDIRECT_URI,
  authorize,
  configRows,
  connect,
  db,
  endpoint,
  eventRows,
  firstLogLine,
  installationRows,
  logs,
  output,
  parameterName,
  reasonOf,
  rejection,
  rememberCode,
  sandbox,
  servicesFor,
  stateCount,
} from '../../test/support/intercom-flow.js';

const tokenCalls = () => sandbox.log.filter((r) => r.method === 'POST' && r.path === '/auth/eagle/token');
const uninstallCalls = () => sandbox.log.filter((r) => r.path === '/auth/uninstall');

const meCalls = () => sandbox.log.filter((r) => r.path === '/me');

function stateReasonOf(error: TRPCError): string {
  expect(error.cause).toBeInstanceOf(OAuthStateError);
  return (error.cause as OAuthStateError).reason;
}

/** None of the four parts of a connection exists for the tenant, in either backend. */
async function expectNothingStored(services: AppServices, tenantId: string): Promise<void> {
  expect(await services.secrets.get(tenantId, 'INTERCOM_ACCESS_TOKEN')).toBeNull();
  expect(await configRows(tenantId)).toEqual([]);
  expect(await installationRows(tenantId)).toEqual([]);
  expect(await eventRows(tenantId)).toEqual([]);
  expect(await db.sql('select 1 from secret_values where tenant_id = $1', [tenantId])).toEqual([]);
  expect(endpoint.parameters.has(parameterName(tenantId))).toBe(false);
}

/** An active installation always has its token and token type; an inactive one has neither. */
async function expectConsistent(services: AppServices, tenantId: string): Promise<void> {
  const [row] = await installationRows(tenantId);
  const token = await services.secrets.get(tenantId, 'INTERCOM_ACCESS_TOKEN');
  const tokenType = await services.secrets.get(tenantId, 'INTERCOM_TOKEN_TYPE');
  if (row?.status === 'active') {
    expect(token).not.toBeNull();
    expect(tokenType).toBe('Bearer');
  } else {
    expect(token).toBeNull();
    expect(tokenType).toBeNull();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Runs `fn` while Postgres refuses every insert or update of this tenant's connector_installations
 * rows: a test-only trigger, created and dropped here, that fails the database half of the flow
 * after the token has been written to the secret backend.
 */
async function withInstallationWritesFailing<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
  if (!UUID.test(tenantId)) throw new Error(`not a uuid: ${tenantId}`);
  const name = `test_refuse_installation_${randomBytes(4).toString('hex')}`;
  await db.sql(
    `create function ${name}() returns trigger language plpgsql as $$
       begin raise exception 'test trigger: connector_installations write refused'; end $$`,
  );
  await db.sql(
    `create trigger ${name} before insert or update on connector_installations
       for each row when (new.tenant_id = '${tenantId}'::uuid) execute function ${name}()`,
  );
  try {
    return await fn();
  } finally {
    await db.sql(`drop trigger if exists ${name} on connector_installations`);
    await db.sql(`drop function if exists ${name}()`);
  }
}

// ---- tests -----------------------------------------------------------------------------------

describe('a state that is not this session’s live attempt is rejected with BAD_REQUEST and nothing is stored', () => {
  it('unknown', async () => {
    const services = servicesFor();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const state = randomBytes(32).toString('base64url');
    const code = rememberCode(sandbox.issueCode(REDIRECT_URI, state));

    const error = await rejection(caller.intercom.exchange({ code, state }), 'intercom.exchange');
    expect(error.code).toBe('BAD_REQUEST');
    expect(stateReasonOf(error)).toBe('state_unknown');
    expect(error.message).toBe('This connection attempt is not valid. Please start again.');
    expect(tokenCalls()).toEqual([]);
    await expectNothingStored(services, session.tenantId);
  });

  it('expired', async () => {
    const services = servicesFor();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { state, code } = await authorize(caller);
    await db.sql("update oauth_states set expires_at = now() - interval '1 second' where tenant_id = $1", [session.tenantId]);

    const error = await rejection(caller.intercom.exchange({ code, state }), 'intercom.exchange');
    expect(error.code).toBe('BAD_REQUEST');
    expect(stateReasonOf(error)).toBe('state_expired');
    expect(error.message).toBe('This connection attempt expired. Please start again.');
    expect(await stateCount(session.tenantId)).toBe(0); // swept on the way
    expect(tokenCalls()).toEqual([]);
    await expectNothingStored(services, session.tenantId);
  });

  it('replayed, even by two callbacks racing each other', async () => {
    const services = servicesFor();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { state, code } = await authorize(caller);
    const second = rememberCode(sandbox.issueCode(REDIRECT_URI, state));

    const results = await Promise.allSettled([
      caller.intercom.exchange({ code, state }),
      caller.intercom.exchange({ code: second, state }),
    ]);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    const raced = await rejection(Promise.reject(rejected[0]?.reason), 'intercom.exchange');
    expect(raced.code).toBe('BAD_REQUEST');
    expect(stateReasonOf(raced)).toBe('state_unknown');
    expect(tokenCalls()).toHaveLength(1);
    const [token] = sandbox.tokens();

    // Replayed afterwards: refused before the provider is called; the first connection stands.
    const replay = await rejection(caller.intercom.exchange({ code: second, state }), 'intercom.exchange');
    expect(replay.code).toBe('BAD_REQUEST');
    expect(tokenCalls()).toHaveLength(1);
    expect(sandbox.tokens()).toEqual([token]);
    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(token?.token);
    expect((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected']);
  });

  it('from another session of the same user (the owner can still finish)', async () => {
    const services = servicesFor();
    const { session } = await signedInUser(services, 'admin');
    const elsewhere = await signIn(services.orm.em.fork(), { email: session.email, password: TEST_PASSWORD }, 1);
    if (!elsewhere) throw new Error('second sign-in failed');
    expect(elsewhere.user.userId).toBe(session.userId);
    expect(elsewhere.user.sessionId).not.toBe(session.sessionId);
    const { state, code } = await authorize(callerFor(services, session));

    const error = await rejection(callerFor(services, elsewhere.user).intercom.exchange({ code, state }), 'intercom.exchange');
    expect(error.code).toBe('BAD_REQUEST');
    expect(stateReasonOf(error)).toBe('state_mismatch');
    expect(tokenCalls()).toEqual([]);
    await expectNothingStored(services, session.tenantId);
    // A stranger cannot burn someone else's attempt.
    expect(await stateCount(session.tenantId)).toBe(1);
    expect(output(await callerFor(services, session).intercom.exchange({ code, state }))).toEqual({ success: true, redirectTo: null, finishing: false });
  });

  it('from another admin of the same tenant', async () => {
    const services = servicesFor();
    const owner = await signedInUser(services, 'admin');
    const colleague = await signedInUser(services, 'admin', owner.session.tenantSlug);
    const { state, code } = await authorize(callerFor(services, owner.session));

    const error = await rejection(callerFor(services, colleague.session).intercom.exchange({ code, state }), 'intercom.exchange');
    expect(error.code).toBe('BAD_REQUEST');
    expect(stateReasonOf(error)).toBe('state_mismatch');
    expect(tokenCalls()).toEqual([]);
    await expectNothingStored(services, owner.session.tenantId);
    expect(await stateCount(owner.session.tenantId)).toBe(1);
  });

  it('from another tenant', async () => {
    const services = servicesFor();
    const victim = await signedInUser(services, 'admin');
    const attacker = await signedInUser(services, 'admin');
    const { state, code } = await authorize(callerFor(services, victim.session));

    const error = await rejection(callerFor(services, attacker.session).intercom.exchange({ code, state }), 'intercom.exchange');
    expect(error.code).toBe('BAD_REQUEST');
    expect(stateReasonOf(error)).toBe('state_mismatch');
    expect(tokenCalls()).toEqual([]);
    await expectNothingStored(services, victim.session.tenantId);
    await expectNothingStored(services, attacker.session.tenantId);
    expect(await stateCount(victim.session.tenantId)).toBe(1);
  });
});

describe('the token endpoint fails: a clear error, nothing stored, the attempt used up', () => {
  it.each([
    { name: '401', fault: { status: 401 }, code: 'BAD_REQUEST', reason: 'token_rejected', message: /rejected the authorization/ },
    { name: '500', fault: { status: 500 }, code: 'BAD_GATEWAY', reason: 'provider_unavailable', message: /did not answer in time/ },
    { name: 'malformed JSON', fault: { malformedJson: true }, code: 'BAD_GATEWAY', reason: 'provider_malformed', message: /could not read/ },
    {
      name: 'a 200 without a token',
      fault: { status: 200, body: '{"token_type":"Bearer"}' },
      code: 'BAD_GATEWAY',
      reason: 'provider_malformed',
      message: /could not read/,
    },
  ] as const)('$name', async ({ fault, code: trpcCode, reason, message }) => {
    const services = servicesFor();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { state, code } = await authorize(caller);
    sandbox.faults.next('token', fault);

    const error = await rejection(caller.intercom.exchange({ code, state }), 'intercom.exchange');
    expect(error.code).toBe(trpcCode);
    expect(reasonOf(error)).toBe(reason);
    expect(error.message).toMatch(message);
    expect(tokenCalls()).toHaveLength(1);
    expect(meCalls()).toEqual([]);
    expect(sandbox.tokens()).toEqual([]);
    await expectNothingStored(services, session.tenantId);
    expect(await stateCount(session.tenantId)).toBe(0);
    // The failure is logged by status only.
    expect(logs.lines.slice(firstLogLine).join('\n')).toContain('provider call failed');
  });

  it('times out after OAUTH_HTTP_TIMEOUT_MS; a token Intercom mints after we gave up is never stored', async () => {
    const services = servicesFor('local', { OAUTH_HTTP_TIMEOUT_MS: '300' });
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { state, code } = await authorize(caller);
    sandbox.faults.next('token', { delayMs: 1200 });

    const started = performance.now();
    const error = await rejection(caller.intercom.exchange({ code, state }), 'intercom.exchange');
    const elapsed = performance.now() - started;
    expect(error.code).toBe('BAD_GATEWAY');
    expect(reasonOf(error)).toBe('provider_unavailable');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1100);
    expect(meCalls()).toEqual([]);
    await expectNothingStored(services, session.tenantId);

    // The sandbox answers the abandoned request late (it minted a token nobody received).
    await vi.waitFor(() => expect(sandbox.tokens()).toHaveLength(1), { timeout: 5000, interval: 25 });
    await expectNothingStored(services, session.tenantId);
  });
});

describe('/me fails after the code was exchanged: nothing stored and the fresh token is revoked', () => {
  it.each([
    { name: '500', fault: { status: 500 }, reason: 'provider_unavailable' },
    { name: '403', fault: { status: 403 }, reason: 'identify_failed' },
    { name: 'malformed JSON', fault: { malformedJson: true }, reason: 'provider_malformed' },
  ] as const)('$name', async ({ fault, reason }) => {
    const services = servicesFor('ssm');
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { state, code } = await authorize(caller);
    sandbox.faults.next('me', fault);

    const error = await rejection(caller.intercom.exchange({ code, state }), 'intercom.exchange');
    expect(error.code).toBe('BAD_GATEWAY');
    expect(reasonOf(error)).toBe(reason);
    expect(sandbox.tokens()).toEqual([{ token: expect.any(String), revoked: true }]);
    expect(uninstallCalls().map((r) => r.status)).toEqual([200]);
    expect(endpoint.requestsFor('PutParameter')).toEqual([]);
    await expectNothingStored(services, session.tenantId);
  });
});

describe('the secret backend fails mid-exchange', () => {
  it('SSM PutParameter failing: storage_failed, no installation, no token, the new grant revoked', async () => {
    const services = servicesFor('ssm');
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { state, code } = await authorize(caller);
    endpoint.faults.failAlways({ status: 400, type: 'AccessDeniedException', message: 'not authorized to perform ssm:PutParameter' }, 'PutParameter');

    const error = await rejection(caller.intercom.exchange({ code, state }), 'intercom.exchange');
    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    expect(reasonOf(error)).toBe('storage_failed');
    expect(error.message).toBe('We could not store the connection securely. Nothing was changed; please try again.');
    expect(endpoint.requestsFor('PutParameter').length).toBeGreaterThanOrEqual(1);
    expect(sandbox.tokens()).toEqual([{ token: expect.any(String), revoked: true }]);
    endpoint.faults.clear();
    await expectNothingStored(services, session.tenantId);
    expect(output(await caller.intercom.status()).state).toBe('not_connected');
  });

  it('SSM PutParameter failing on a reconnect: the existing connection is left exactly as it was', async () => {
    const services = servicesFor('ssm');
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const first = await connect(caller);
    const { state, code } = await authorize(caller);
    endpoint.faults.failAlways({ status: 500 }, 'PutParameter');

    const error = await rejection(caller.intercom.exchange({ code, state }), 'intercom.exchange');
    expect(reasonOf(error)).toBe('storage_failed');
    endpoint.faults.clear();
    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(first);
    expect((await installationRows(session.tenantId))[0]?.status).toBe('active');
    expect((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected']);
    expect(sandbox.tokens()).toEqual([
      { token: first, revoked: false },
      { token: expect.any(String), revoked: true },
    ]);
    await expectConsistent(services, session.tenantId);
  });

  it('SSM GetParameter failing on a reconnect (the previous token cannot be kept): storage_failed, nothing overwritten', async () => {
    const services = servicesFor('ssm');
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const first = await connect(caller);
    const { state, code } = await authorize(caller);
    endpoint.faults.failAlways({ status: 400, type: 'AccessDeniedException' }, 'GetParameter');

    const error = await rejection(caller.intercom.exchange({ code, state }), 'intercom.exchange');
    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    expect(reasonOf(error)).toBe('storage_failed');
    expect(error.message).not.toMatch(/ssm|GetParameter|api-key/i);
    endpoint.faults.clear();
    // Without the previous token nothing could be restored, so nothing was overwritten.
    expect(endpoint.requestsFor('PutParameter')).toHaveLength(1);
    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(first);
    expect((await installationRows(session.tenantId))[0]?.status).toBe('active');
    expect((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected']);
    expect(sandbox.tokens()).toEqual([
      { token: first, revoked: false },
      { token: expect.any(String), revoked: true },
    ]);
  });
});

describe.each(['local', 'ssm'] as const)('the database half fails after the token was written (%s backend)', (backend) => {
  it('first connect: the token write is undone and the new grant revoked', async () => {
    const services = servicesFor(backend);
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { state, code } = await authorize(caller);

    const error = await withInstallationWritesFailing(session.tenantId, () =>
      rejection(caller.intercom.exchange({ code, state }), 'intercom.exchange'),
    );
    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    expect(reasonOf(error)).toBe('storage_failed');
    expect(error.message).toBe('We could not save the connection. Nothing was changed; please try again.');
    // The token type was written in the same transaction: rolled back with it.
    await expectNothingStored(services, session.tenantId);
    expect(sandbox.tokens()).toEqual([{ token: expect.any(String), revoked: true }]);
    if (backend === 'ssm') {
      expect(endpoint.requestsFor('PutParameter')).toHaveLength(1);
      expect(endpoint.requestsFor('DeleteParameters').map((r) => r.body?.Names)).toEqual([[parameterName(session.tenantId)]]);
    }
    const logged = logs.lines.slice(firstLogLine).join('\n');
    expect(logged).toContain('recording the installation failed; undoing the token write');
    // Database errors are logged by name and SQL state: the driver's message would repeat
    // the statement with its values (emails, workspace names, ids).
    expect(logged).not.toContain(session.email);
    expect(logged).not.toContain('insert into');

    // Once the database is healthy again, the admin simply connects.
    await connect(caller);
    await expectConsistent(services, session.tenantId);
    expect((await installationRows(session.tenantId))[0]?.status).toBe('active');
  });

  it('reconnect over an active installation: the previous token is put back, the row is untouched', async () => {
    const services = servicesFor(backend);
    const owner = await signedInUser(services, 'admin');
    const colleague = await signedInUser(services, 'admin', owner.session.tenantSlug);
    const first = await connect(callerFor(services, owner.session));
    const before = await installationRows(owner.session.tenantId);
    const caller = callerFor(services, colleague.session);
    const { state, code } = await authorize(caller);

    const error = await withInstallationWritesFailing(owner.session.tenantId, () =>
      rejection(caller.intercom.exchange({ code, state }), 'intercom.exchange'),
    );
    expect(reasonOf(error)).toBe('storage_failed');
    expect((await services.secrets.get(owner.session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(first);
    expect(await configRows(owner.session.tenantId)).toEqual([{ key: 'INTERCOM_TOKEN_TYPE', value: 'Bearer' }]);
    expect(await installationRows(owner.session.tenantId)).toEqual(before);
    expect(before[0]?.installed_by_id).toBe(owner.session.userId);
    expect((await eventRows(owner.session.tenantId)).map((e) => e.action)).toEqual(['connected']);
    expect(sandbox.tokens()).toEqual([
      { token: first, revoked: false },
      { token: expect.any(String), revoked: true },
    ]);
    if (backend === 'ssm') {
      // Overwritten, then overwritten back: never deleted.
      expect(endpoint.requestsFor('PutParameter').map((r) => r.body?.Overwrite)).toEqual([true, true, true]);
      expect(endpoint.requestsFor('DeleteParameters')).toEqual([]);
      expect(endpoint.parameters.get(parameterName(owner.session.tenantId))?.value).toBe(first);
    }
    await expectConsistent(services, owner.session.tenantId);
    expect(output(await caller.intercom.status())).toMatchObject({ connected: true, connectedBy: owner.session.email });
  });

  it('reconnect after a disconnect: the new token is removed again and the installation stays disconnected', async () => {
    const services = servicesFor(backend);
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    await connect(caller);
    await caller.intercom.disconnect();
    const before = await installationRows(session.tenantId);
    const { state, code } = await authorize(caller);

    const error = await withInstallationWritesFailing(session.tenantId, () =>
      rejection(caller.intercom.exchange({ code, state }), 'intercom.exchange'),
    );
    expect(reasonOf(error)).toBe('storage_failed');
    expect(await installationRows(session.tenantId)).toEqual(before);
    expect(before[0]?.status).toBe('disconnected');
    expect(await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN')).toBeNull();
    expect(await configRows(session.tenantId)).toEqual([]);
    expect((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected', 'disconnected']);
    expect(sandbox.tokens().map((t) => t.revoked)).toEqual([true, true]);
    await expectConsistent(services, session.tenantId);
  });
});

describe('revocation is best effort on disconnect', () => {
  it('Intercom failing the revoke (500) does not block the disconnect', async () => {
    const services = servicesFor('ssm');
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const token = await connect(caller);
    sandbox.faults.next('uninstall', { status: 500 });

    expect(output(await caller.intercom.disconnect())).toEqual({ success: true, redirectTo: null, finishing: false });
    expect(uninstallCalls().map((r) => r.status)).toEqual([500]);
    expect(sandbox.tokens()).toEqual([{ token, revoked: false }]);
    expect(await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN')).toBeNull();
    expect(await configRows(session.tenantId)).toEqual([]);
    expect((await installationRows(session.tenantId))[0]).toMatchObject({ status: 'disconnected', disconnected_by_id: session.userId });
    expect((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected', 'disconnected']);
    expect(logs.lines.slice(firstLogLine).join('\n')).toContain('revoking the token at the provider failed; continuing');
  });

  it('a token the admin already uninstalled in Intercom (revoke answers 401) is fine', async () => {
    const services = servicesFor();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const token = await connect(caller);
    // The admin removed the app from Intercom's side first.
    const direct = await fetch(`${sandbox.apiUrl}/auth/uninstall`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(direct.status).toBe(200);
    await direct.body?.cancel();

    expect(output(await caller.intercom.disconnect())).toEqual({ success: true, redirectTo: null, finishing: false });
    expect(uninstallCalls().map((r) => r.status)).toEqual([200, 401]);
    expect(await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN')).toBeNull();
    expect((await installationRows(session.tenantId))[0]?.status).toBe('disconnected');
    const revokeLine = logs.lines.slice(firstLogLine).find((l) => l.includes('token revoked at the provider'));
    expect(JSON.parse(revokeLine ?? '{}')).toMatchObject({ outcome: 'already_revoked' });
  });

  it('the secret backend failing the delete fails the disconnect and leaves the installation whole', async () => {
    const services = servicesFor('ssm');
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const token = await connect(caller);
    endpoint.faults.failAlways({ status: 400, type: 'AccessDeniedException' }, 'DeleteParameters');

    const error = await rejection(caller.intercom.disconnect(), 'intercom.disconnect');
    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    endpoint.faults.clear();
    expect((await installationRows(session.tenantId))[0]?.status).toBe('active');
    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(token);
    expect(await configRows(session.tenantId)).toEqual([{ key: 'INTERCOM_TOKEN_TYPE', value: 'Bearer' }]);
    expect((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected']);
    // Nothing changed, so the token was not revoked either: the connection still works.
    expect(sandbox.tokens().find((t) => t.token === token)?.revoked).toBe(false);
    await expectConsistent(services, session.tenantId);
  });
});
