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
import { reconcile } from '../connections/reconciler.js';
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
  grantKey,
  grantRows,
  installationRows,
  intentRows,
  logs,
  output,
  parameterName,
  queuedJobs,
  reasonOf,
  rejection,
  rememberCode,
  runJobs,
  sandbox,
  servicesFor,
  stateCount,
  storedKeys,
} from '../../test/support/intercom-flow.js';

const tokenCalls = () => sandbox.log.filter((r) => r.method === 'POST' && r.path === '/auth/eagle/token');
const uninstallCalls = () => sandbox.log.filter((r) => r.path === '/auth/uninstall');

const meCalls = () => sandbox.log.filter((r) => r.path === '/me');

function stateReasonOf(error: TRPCError): string {
  expect(error.cause).toBeInstanceOf(OAuthStateError);
  return (error.cause as OAuthStateError).reason;
}

/**
 * None of the four parts of a connection exists for the tenant, in either backend, no key of
 * any grant is left, and every grant the provider issued is settled (none held, none pending).
 */
async function expectNothingStored(services: AppServices, tenantId: string): Promise<void> {
  expect(await services.secrets.get(tenantId, 'INTERCOM_ACCESS_TOKEN')).toBeNull();
  expect(await configRows(tenantId)).toEqual([]);
  expect(await installationRows(tenantId)).toEqual([]);
  expect(await eventRows(tenantId)).toEqual([]);
  expect(await storedKeys(tenantId)).toEqual([]);
  expect(endpoint.parameters.has(parameterName(tenantId))).toBe(false);
  for (const grant of await grantRows(tenantId)) expect(grant.status).toBe('revoked');
  expect(await intentRows(tenantId)).toEqual([]);
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

describe('/me fails after the code was exchanged: nothing connected, and the fresh grant is revoked by a job', () => {
  it.each([
    { name: '500', fault: { status: 500 }, reason: 'provider_unavailable' },
    { name: '403', fault: { status: 403 }, reason: 'identify_failed' },
    { name: 'malformed JSON', fault: { malformedJson: true }, reason: 'provider_malformed' },
  ] as const)('$name', async ({ fault, reason }) => {
    const services = servicesFor('ssm');
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { state, code } = await authorize(caller);
    sandbox.faults.next('identity', fault);

    const error = await rejection(caller.intercom.exchange({ code, state }), 'intercom.exchange');
    expect(error.code).toBe('BAD_GATEWAY');
    expect(reasonOf(error)).toBe(reason);
    // The answer did not wait for Intercom: the grant is recorded, its token under its own key
    // only (written before /me was asked), and its revocation queued.
    expect(uninstallCalls()).toEqual([]);
    expect(sandbox.tokens()).toEqual([{ token: expect.any(String), revoked: false }]);
    const [grant] = await grantRows(session.tenantId);
    expect(grant).toMatchObject({ status: 'revoking', revoke_attempts: 0 });
    expect(endpoint.requestsFor('PutParameter').map((r) => r.body?.Name)).toEqual([
      `/${session.tenantId}/api-key/${grantKey(grant?.id ?? '')}`,
    ]);
    expect(await storedKeys(session.tenantId)).toEqual([grantKey(grant?.id ?? '')]);
    expect(await queuedJobs()).toEqual([expect.objectContaining({ task_identifier: 'revoke_grant', key: `revoke_grant:${grant?.id}` })]);
    expect(await installationRows(session.tenantId)).toEqual([]);
    expect(await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN')).toBeNull();

    await runJobs(services);
    expect(uninstallCalls().map((r) => r.status)).toEqual([200]);
    expect(sandbox.tokens()).toEqual([{ token: expect.any(String), revoked: true }]);
    expect(await grantRows(session.tenantId)).toEqual([expect.objectContaining({ id: grant?.id, status: 'revoked' })]);
    expect(await queuedJobs()).toEqual([]);
    await expectNothingStored(services, session.tenantId);
  });
});

describe('the secret backend fails mid-exchange', () => {
  it('SSM PutParameter failing: storage_failed, no installation, no token, the unstored grant revoked at once', async () => {
    const services = servicesFor('ssm');
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { state, code } = await authorize(caller);
    endpoint.faults.failAlways({ status: 400, type: 'AccessDeniedException', message: 'not authorized to perform ssm:PutParameter' }, 'PutParameter');

    const error = await rejection(caller.intercom.exchange({ code, state }), 'intercom.exchange');
    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    expect(reasonOf(error)).toBe('storage_failed');
    expect(error.message).toBe('We could not store the connection securely. Nothing was changed; please try again.');
    // Only the grant's own key was attempted (identify runs alongside, and its answer is unused).
    const [grant] = await grantRows(session.tenantId);
    expect(endpoint.requestsFor('PutParameter').map((r) => r.body?.Name)).toEqual([
      `/${session.tenantId}/api-key/${grantKey(grant?.id ?? '')}`,
    ]);
    expect(meCalls().length).toBeLessThanOrEqual(1);
    // Its only copy was in memory, so it was revoked inline, and the refusal was certain: settled.
    expect(uninstallCalls().map((r) => r.status)).toEqual([200]);
    expect(sandbox.tokens()).toEqual([{ token: expect.any(String), revoked: true }]);
    expect(await grantRows(session.tenantId)).toEqual([expect.objectContaining({ status: 'revoked', revoke_attempts: 0 })]);
    expect(await queuedJobs()).toEqual([]);
    endpoint.faults.clear();
    await expectNothingStored(services, session.tenantId);
    expect(output(await caller.intercom.status()).state).toBe('not_connected');
  });

  /** Connects, then has a reconnect's grant-key write answered with 500 every time. */
  async function reconnectWithGrantWriteFailing() {
    const services = servicesFor('ssm');
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const first = await connect(caller);
    const [firstGrant] = await grantRows(session.tenantId);
    const { state, code } = await authorize(caller);
    endpoint.faults.failAlways({ status: 500 }, 'PutParameter');
    const error = await rejection(caller.intercom.exchange({ code, state }), 'intercom.exchange');
    endpoint.faults.clear();
    return { services, session, caller, first, firstKey: grantKey(firstGrant?.id ?? ''), firstGrantId: firstGrant?.id, error };
  }

  it('SSM PutParameter failing (500) on a reconnect: the existing connection is left exactly as it was', async () => {
    const { services, session, first, firstKey, firstGrantId, error } = await reconnectWithGrantWriteFailing();
    expect(reasonOf(error)).toBe('storage_failed');
    expect(error.message).toBe('We could not store the connection securely. Nothing was changed; please try again.');
    expect(meCalls()).toHaveLength(2); // the first connect's, and the one alongside the failed store
    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(first);
    expect((await installationRows(session.tenantId))[0]?.status).toBe('active');
    expect((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected']);
    // The new grant's only copy was in memory: revoked inline.
    expect(sandbox.tokens()).toEqual([
      { token: first, revoked: false },
      { token: expect.any(String), revoked: true },
    ]);
    const grants = await grantRows(session.tenantId);
    expect(grants[0]).toMatchObject({ id: firstGrantId, status: 'active' });
    // Revoked inline, so settled at once; the key a late write may have left is deleted too.
    expect(grants[1]?.status).toBe('revoked');
    expect(await queuedJobs()).toEqual([]);
    expect(await storedKeys(session.tenantId)).toEqual(['INTERCOM_ACCESS_TOKEN', firstKey].sort());
    await expectConsistent(services, session.tenantId);
  });

  it('SSM PutParameter failing (500) on a reconnect: the job settles the inline-revoked grant as revoked, with no failure event', async () => {
    const { services, session, first, firstKey } = await reconnectWithGrantWriteFailing();
    await runJobs(services);
    // The provider confirmed the revocation inline and no copy of the token exists anywhere:
    // the ledger must say `revoked`, and the activity list must not say a revocation failed.
    expect.soft((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['active', 'revoked']);
    expect.soft((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected']);
    expect(uninstallCalls().map((r) => r.status)).toEqual([200]);
    expect(sandbox.tokens().map((t) => t.revoked)).toEqual([false, true]);
    expect(await storedKeys(session.tenantId)).toEqual(['INTERCOM_ACCESS_TOKEN', firstKey].sort());
    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(first);
    expect(await queuedJobs()).toEqual([]);
  });

  it('SSM GetParameter failing once on a reconnect (the key cannot be checked): storage_failed, nothing overwritten, the new grant revoked by a job', async () => {
    const services = servicesFor('ssm');
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const first = await connect(caller);
    const { state, code } = await authorize(caller);
    endpoint.faults.failNext(1, { status: 400, type: 'AccessDeniedException' }, 'GetParameter');

    const error = await rejection(caller.intercom.exchange({ code, state }), 'intercom.exchange');
    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    expect(reasonOf(error)).toBe('storage_failed');
    expect(error.message).toBe('We could not save the change. Nothing was changed; please try again.');
    expect(error.message).not.toMatch(/ssm|GetParameter|api-key/i);
    const grants = await grantRows(session.tenantId);
    const newKey = grantKey(grants[1]?.id ?? '');
    // Nothing overwritten: two writes for the first connect, then only the new grant's own key.
    expect(endpoint.requestsFor('PutParameter').map((r) => r.body?.Name)).toEqual([
      `/${session.tenantId}/api-key/${grantKey(grants[0]?.id ?? '')}`,
      parameterName(session.tenantId),
      `/${session.tenantId}/api-key/${newKey}`,
    ]);
    expect(endpoint.parameters.get(parameterName(session.tenantId))).toMatchObject({ value: first, version: 1 });
    expect((await installationRows(session.tenantId))[0]?.status).toBe('active');
    expect((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected']);
    expect(grants.map((g) => g.status)).toEqual(['active', 'revoking']);
    expect(await queuedJobs()).toEqual([expect.objectContaining({ task_identifier: 'revoke_grant', key: `revoke_grant:${grants[1]?.id}` })]);
    expect(await intentRows(session.tenantId)).toEqual([]);
    expect(uninstallCalls()).toEqual([]);

    await runJobs(services);
    expect(sandbox.tokens()).toEqual([
      { token: first, revoked: false },
      { token: expect.any(String), revoked: true },
    ]);
    expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['active', 'revoked']);
    expect(endpoint.parameters.has(`/${session.tenantId}/api-key/${newKey}`)).toBe(false);
    expect(await storedKeys(session.tenantId)).toEqual(['INTERCOM_ACCESS_TOKEN', grantKey(grants[0]?.id ?? '')].sort());
    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(first);
    await expectConsistent(services, session.tenantId);
  });

  it('SSM GetParameter refused for good on a reconnect: nothing overwritten, and the answer says nothing changed', async () => {
    const services = servicesFor('ssm');
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const first = await connect(caller);
    const { state, code } = await authorize(caller);
    endpoint.faults.failAlways({ status: 400, type: 'AccessDeniedException' }, 'GetParameter');

    const error = await rejection(caller.intercom.exchange({ code, state }), 'intercom.exchange');
    endpoint.faults.clear();
    // Whatever the answer, nothing was overwritten: only the new grant's own key was written.
    expect(endpoint.requestsFor('PutParameter')).toHaveLength(3);
    expect(endpoint.parameters.get(parameterName(session.tenantId))).toMatchObject({ value: first, version: 1 });
    expect((await installationRows(session.tenantId))[0]?.status).toBe('active');
    expect((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected']);
    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    expect(error.message).not.toMatch(/ssm|GetParameter|api-key/i);
    // The read failed before any write, so "nothing was changed" is certain, and the new grant
    // is not wanted: it should be queued for revocation now, not left pending for the reconciler.
    expect.soft(reasonOf(error)).toBe('storage_failed');
    expect.soft((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['active', 'revoking']);
    // Nothing was written, so no intent needs to outlive the request.
    expect.soft(await intentRows(session.tenantId)).toEqual([]);

    // Either way, once reads work again the reconciler's pass and the jobs leave it settled:
    // the first connection intact, the new grant revoked, no intent, no key of it left.
    await reconcile(services);
    await runJobs(services);
    expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['active', 'revoked']);
    expect(await intentRows(session.tenantId)).toEqual([]);
    expect(sandbox.tokens()).toEqual([
      { token: first, revoked: false },
      { token: expect.any(String), revoked: true },
    ]);
    const [firstGrant] = await grantRows(session.tenantId);
    expect(await storedKeys(session.tenantId)).toEqual(['INTERCOM_ACCESS_TOKEN', grantKey(firstGrant?.id ?? '')].sort());
    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(first);
    await expectConsistent(services, session.tenantId);
  });
});

describe.each(['local', 'ssm'] as const)('the database half fails after the token was written (%s backend)', (backend) => {
  it('first connect: the access-token key is put back to absent, the new grant queued and revoked by a job', async () => {
    const services = servicesFor(backend);
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { state, code } = await authorize(caller);

    const error = await withInstallationWritesFailing(session.tenantId, () =>
      rejection(caller.intercom.exchange({ code, state }), 'intercom.exchange'),
    );
    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    expect(reasonOf(error)).toBe('storage_failed');
    expect(error.message).toBe('We could not save the change. Nothing was changed; please try again.');
    // The token type was written in the same transaction: rolled back with it. The access-token
    // key was repaired back to absent; the grant's own key stays for its revocation.
    const [grant] = await grantRows(session.tenantId);
    const ownKey = grantKey(grant?.id ?? '');
    expect(await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN')).toBeNull();
    expect(await configRows(session.tenantId)).toEqual([]);
    expect(await installationRows(session.tenantId)).toEqual([]);
    expect(await eventRows(session.tenantId)).toEqual([]);
    expect(await intentRows(session.tenantId)).toEqual([]);
    expect(await storedKeys(session.tenantId)).toEqual([ownKey]);
    expect(grant?.status).toBe('revoking');
    expect(await queuedJobs()).toEqual([expect.objectContaining({ task_identifier: 'revoke_grant', key: `revoke_grant:${grant?.id}` })]);
    expect(uninstallCalls()).toEqual([]);
    expect(sandbox.tokens()).toEqual([{ token: expect.any(String), revoked: false }]);
    if (backend === 'ssm') {
      expect(endpoint.requestsFor('PutParameter').map((r) => r.body?.Name)).toEqual([
        `/${session.tenantId}/api-key/${ownKey}`,
        parameterName(session.tenantId),
      ]);
      expect(endpoint.requestsFor('DeleteParameters').map((r) => r.body?.Names)).toEqual([[parameterName(session.tenantId)]]);
    }
    const logged = logs.lines.slice(firstLogLine).join('\n');
    expect(logged).toContain('changing the connection failed; restoring the previous state');
    // Database errors are logged by name and SQL state: the driver's message would repeat
    // the statement with its values (emails, workspace names, ids).
    expect(logged).not.toContain(session.email);
    expect(logged).not.toContain('insert into');

    await runJobs(services);
    expect(uninstallCalls().map((r) => r.status)).toEqual([200]);
    expect(sandbox.tokens()).toEqual([{ token: expect.any(String), revoked: true }]);
    expect(await queuedJobs()).toEqual([]);
    await expectNothingStored(services, session.tenantId);

    // Once the database is healthy again, the admin simply connects.
    await connect(caller);
    await expectConsistent(services, session.tenantId);
    expect((await installationRows(session.tenantId))[0]?.status).toBe('active');
  });

  it('reconnect over an active installation: the previous token is put back, the row is untouched, the new grant revoked by a job', async () => {
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
    expect(error.message).toBe('We could not save the change. Nothing was changed; please try again.');
    expect((await services.secrets.get(owner.session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(first);
    expect(await configRows(owner.session.tenantId)).toEqual([
      { key: 'INTERCOM_REGION', value: 'us' },
      { key: 'INTERCOM_TOKEN_TYPE', value: 'Bearer' },
    ]);
    expect(await installationRows(owner.session.tenantId)).toEqual(before);
    expect(before[0]?.installed_by_id).toBe(owner.session.userId);
    expect((await eventRows(owner.session.tenantId)).map((e) => e.action)).toEqual(['connected']);
    expect(await intentRows(owner.session.tenantId)).toEqual([]);
    const grants = await grantRows(owner.session.tenantId);
    expect(grants.map((g) => g.status)).toEqual(['active', 'revoking']);
    const [oldKey, newKey] = grants.map((g) => grantKey(g.id));
    expect(await storedKeys(owner.session.tenantId)).toEqual(['INTERCOM_ACCESS_TOKEN', oldKey, newKey].sort());
    expect(uninstallCalls()).toEqual([]);
    expect(await queuedJobs()).toEqual([expect.objectContaining({ task_identifier: 'revoke_grant', key: `revoke_grant:${grants[1]?.id}` })]);
    if (backend === 'ssm') {
      // The new grant's key, the access-token key overwritten, then overwritten back: never deleted.
      expect(endpoint.requestsFor('PutParameter').map((r) => [r.body?.Name, r.body?.Overwrite])).toEqual([
        [`/${owner.session.tenantId}/api-key/${oldKey}`, true],
        [parameterName(owner.session.tenantId), true],
        [`/${owner.session.tenantId}/api-key/${newKey}`, true],
        [parameterName(owner.session.tenantId), true],
        [parameterName(owner.session.tenantId), true],
      ]);
      expect(endpoint.requestsFor('DeleteParameters')).toEqual([]);
      expect(endpoint.parameters.get(parameterName(owner.session.tenantId))?.value).toBe(first);
    }

    await runJobs(services);
    expect(sandbox.tokens()).toEqual([
      { token: first, revoked: false },
      { token: expect.any(String), revoked: true },
    ]);
    expect((await grantRows(owner.session.tenantId)).map((g) => g.status)).toEqual(['active', 'revoked']);
    expect(await storedKeys(owner.session.tenantId)).toEqual(['INTERCOM_ACCESS_TOKEN', oldKey].sort());
    expect((await services.secrets.get(owner.session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(first);
    await expectConsistent(services, owner.session.tenantId);
    expect(output(await caller.intercom.status())).toMatchObject({ connected: true, connectedBy: owner.session.email });
  });

  it('reconnect after a disconnect: the new token is removed again, the installation stays disconnected, the new grant revoked by a job', async () => {
    const services = servicesFor(backend);
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    await connect(caller);
    await caller.intercom.disconnect();
    await runJobs(services);
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
    const grants = await grantRows(session.tenantId);
    expect(grants.map((g) => g.status)).toEqual(['revoked', 'revoking']);
    expect(await storedKeys(session.tenantId)).toEqual([grantKey(grants[1]?.id ?? '')]);
    expect(sandbox.tokens().map((t) => t.revoked)).toEqual([true, false]);

    await runJobs(services);
    expect(sandbox.tokens().map((t) => t.revoked)).toEqual([true, true]);
    expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['revoked', 'revoked']);
    expect(await storedKeys(session.tenantId)).toEqual([]);
    await expectConsistent(services, session.tenantId);
  });
});

describe('revocation runs in a job after disconnect', () => {
  it('Intercom failing the revoke (500) does not block the disconnect; the job keeps the grant and retries', async () => {
    const services = servicesFor('ssm', { REVOKE_RETRY_BASE_SECONDS: '1' });
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const token = await connect(caller);
    const [grant] = await grantRows(session.tenantId);
    const ownKey = grantKey(grant?.id ?? '');
    sandbox.faults.next('revoke', { status: 500 });

    expect(output(await caller.intercom.disconnect())).toEqual({ success: true, redirectTo: null, finishing: false });
    expect(uninstallCalls()).toEqual([]);
    expect(await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN')).toBeNull();
    expect(await configRows(session.tenantId)).toEqual([]);
    expect((await installationRows(session.tenantId))[0]).toMatchObject({ status: 'disconnected', disconnected_by_id: session.userId });
    expect((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected', 'disconnected']);

    const ranAt = Date.now();
    await runJobs(services);
    expect(uninstallCalls().map((r) => r.status)).toEqual([500]);
    expect(sandbox.tokens()).toEqual([{ token, revoked: false }]);
    // Still revoking, the attempt counted with a safe reason, its token kept for the retry, and
    // a new job queued for later (not due now: running the queue again does nothing).
    expect(await grantRows(session.tenantId)).toEqual([
      expect.objectContaining({ id: grant?.id, status: 'revoking', revoke_attempts: 1, last_error: 'provider_http_500' }),
    ]);
    expect(await storedKeys(session.tenantId)).toEqual([ownKey]);
    const [retry, ...others] = await queuedJobs();
    expect(others).toEqual([]);
    expect(retry).toMatchObject({ task_identifier: 'revoke_grant', key: `revoke_grant:${grant?.id}` });
    expect(retry?.run_at.getTime()).toBeGreaterThan(ranAt);
    expect(logs.lines.slice(firstLogLine).join('\n')).toContain('revoking a grant failed; will retry');
    await runJobs(services);
    expect(uninstallCalls()).toHaveLength(1);

    // Once it is due, the retry revokes the token and settles the grant.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, (retry?.run_at.getTime() ?? 0) - Date.now()) + 100));
    await runJobs(services);
    expect(uninstallCalls().map((r) => r.status)).toEqual([500, 200]);
    expect(sandbox.tokens()).toEqual([{ token, revoked: true }]);
    expect(await grantRows(session.tenantId)).toEqual([expect.objectContaining({ status: 'revoked', revoke_attempts: 1 })]);
    expect(await storedKeys(session.tenantId)).toEqual([]);
    expect(await queuedJobs()).toEqual([]);
    expect((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected', 'disconnected']);
  });

  it('a token the admin already uninstalled in Intercom (revoke answers 401) settles as revoked', async () => {
    const services = servicesFor();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const token = await connect(caller);
    // The admin removed the app from Intercom's side first.
    const direct = await fetch(`${sandbox.apiUrl}/auth/uninstall`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(direct.status).toBe(200);
    await direct.body?.cancel();

    expect(output(await caller.intercom.disconnect())).toEqual({ success: true, redirectTo: null, finishing: false });
    expect(uninstallCalls().map((r) => r.status)).toEqual([200]);
    expect(await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN')).toBeNull();
    expect((await installationRows(session.tenantId))[0]?.status).toBe('disconnected');

    await runJobs(services);
    expect(uninstallCalls().map((r) => r.status)).toEqual([200, 401]);
    expect(await grantRows(session.tenantId)).toEqual([expect.objectContaining({ status: 'revoked', revoke_attempts: 0, last_error: null })]);
    expect(await storedKeys(session.tenantId)).toEqual([]);
    expect(await queuedJobs()).toEqual([]);
    const revokeLine = logs.lines.slice(firstLogLine).find((l) => l.includes('grant revoked'));
    expect(JSON.parse(revokeLine ?? '{}')).toMatchObject({ outcome: 'already_revoked' });
  });

  it('the secret backend failing the delete fails the disconnect and leaves the installation whole', async () => {
    const services = servicesFor('ssm');
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const token = await connect(caller);
    const [grant] = await grantRows(session.tenantId);
    endpoint.faults.failAlways({ status: 400, type: 'AccessDeniedException' }, 'DeleteParameters');

    const error = await rejection(caller.intercom.disconnect(), 'intercom.disconnect');
    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    expect(reasonOf(error)).toBe('storage_failed');
    expect(error.message).toBe('We could not save the change. Nothing was changed; please try again.');
    endpoint.faults.clear();
    expect((await installationRows(session.tenantId))[0]?.status).toBe('active');
    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(token);
    expect(await configRows(session.tenantId)).toEqual([
      { key: 'INTERCOM_REGION', value: 'us' },
      { key: 'INTERCOM_TOKEN_TYPE', value: 'Bearer' },
    ]);
    expect((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected']);
    expect(await grantRows(session.tenantId)).toEqual([expect.objectContaining({ id: grant?.id, status: 'active' })]);
    expect(await storedKeys(session.tenantId)).toEqual(['INTERCOM_ACCESS_TOKEN', grantKey(grant?.id ?? '')].sort());
    expect(await intentRows(session.tenantId)).toEqual([]);
    // Nothing changed, so nothing was queued and the token was not revoked: the connection still works.
    expect(await queuedJobs()).toEqual([]);
    await runJobs(services);
    expect(uninstallCalls()).toEqual([]);
    expect(sandbox.tokens().find((t) => t.token === token)?.revoked).toBe(false);
    await expectConsistent(services, session.tenantId);
  });
});

describe('disconnect refuses when the stored token cannot be read (it could never be revoked)', () => {
  const REFUSAL =
    'The stored token could not be read, so it could not be revoked. Nothing was changed. Check the secret backend and try again.';

  it('local backend: a ciphertext that fails authentication', async () => {
    const services = servicesFor('local');
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const token = await connect(caller);
    const [grant] = await grantRows(session.tenantId);
    // Flip one byte of the access-token row: AES-GCM refuses to decrypt it.
    const flip = `update secret_values set ciphertext = set_byte(ciphertext, 0, get_byte(ciphertext, 0) # 255)
                   where tenant_id = $1 and key = 'INTERCOM_ACCESS_TOKEN'`;
    await db.sql(flip, [session.tenantId]);
    const [corrupted] = await db.sql<{ ciphertext: Buffer; version: number }>(
      "select ciphertext, version from secret_values where tenant_id = $1 and key = 'INTERCOM_ACCESS_TOKEN'",
      [session.tenantId],
    );
    await expect(services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN')).rejects.toThrow(/Cannot decrypt/);

    const error = await rejection(caller.intercom.disconnect(), 'intercom.disconnect');
    expect(error.code).toBe('PRECONDITION_FAILED');
    expect(reasonOf(error)).toBe('token_unreadable');
    expect(error.message).toBe(REFUSAL);

    // Nothing changed: still active, the stored value untouched, the grant still held, no job.
    expect((await installationRows(session.tenantId))[0]?.status).toBe('active');
    const [after] = await db.sql<{ ciphertext: Buffer; version: number }>(
      "select ciphertext, version from secret_values where tenant_id = $1 and key = 'INTERCOM_ACCESS_TOKEN'",
      [session.tenantId],
    );
    expect(after?.ciphertext.equals(corrupted?.ciphertext ?? Buffer.alloc(0))).toBe(true);
    expect(after?.version).toBe(corrupted?.version);
    expect(await configRows(session.tenantId)).toEqual([
      { key: 'INTERCOM_REGION', value: 'us' },
      { key: 'INTERCOM_TOKEN_TYPE', value: 'Bearer' },
    ]);
    expect((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected']);
    expect(await grantRows(session.tenantId)).toEqual([expect.objectContaining({ id: grant?.id, status: 'active' })]);
    expect(await storedKeys(session.tenantId)).toEqual(['INTERCOM_ACCESS_TOKEN', grantKey(grant?.id ?? '')].sort());
    expect(await intentRows(session.tenantId)).toEqual([]);
    expect(await queuedJobs()).toEqual([]);
    expect(uninstallCalls()).toEqual([]);
    expect(output(await caller.intercom.status())).toMatchObject({ connected: true, state: 'connected' });
    expect(logs.lines.slice(firstLogLine).join('\n')).toContain('disconnect refused');

    // Repaired (the byte flipped back), the very same token is there and disconnect works.
    await db.sql(flip, [session.tenantId]);
    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(token);
    expect(output(await caller.intercom.disconnect())).toEqual({ success: true, redirectTo: null, finishing: false });
    await runJobs(services);
    expect(sandbox.tokens()).toEqual([{ token, revoked: true }]);
  });

  it('SSM: GetParameter refused', async () => {
    const services = servicesFor('ssm');
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const token = await connect(caller);
    const [grant] = await grantRows(session.tenantId);
    const deletesBefore = endpoint.requestsFor('DeleteParameters').length;
    endpoint.faults.failAlways({ status: 400, type: 'AccessDeniedException', message: 'not authorized to perform ssm:GetParameter' }, 'GetParameter');

    const error = await rejection(caller.intercom.disconnect(), 'intercom.disconnect');
    endpoint.faults.clear();
    expect(error.code).toBe('PRECONDITION_FAILED');
    expect(reasonOf(error)).toBe('token_unreadable');
    expect(error.message).toBe(REFUSAL);
    expect(endpoint.requestsFor('DeleteParameters')).toHaveLength(deletesBefore);
    expect(endpoint.parameters.get(parameterName(session.tenantId))).toMatchObject({ value: token, version: 1 });
    expect((await installationRows(session.tenantId))[0]?.status).toBe('active');
    expect((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected']);
    expect(await grantRows(session.tenantId)).toEqual([expect.objectContaining({ id: grant?.id, status: 'active' })]);
    expect(await storedKeys(session.tenantId)).toEqual(['INTERCOM_ACCESS_TOKEN', grantKey(grant?.id ?? '')].sort());
    expect(await intentRows(session.tenantId)).toEqual([]);
    expect(await queuedJobs()).toEqual([]);
    expect(uninstallCalls()).toEqual([]);
    expect(sandbox.tokens()).toEqual([{ token, revoked: false }]);
    await expectConsistent(services, session.tenantId);
  });
});
