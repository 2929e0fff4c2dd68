/**
 * Lost grants: the OAuth connect and disconnect flow under concurrency, timeouts and partial
 * failures. Real Postgres, the Intercom sandbox over HTTP (it records every token it issued and
 * whether it was revoked), the real AWS SDK against the loopback SSM endpoint with latency and
 * late answers. Every scenario ends with the at-rest integrity check (test/support/integrity.ts):
 *
 * - I1: the installation is active ⇔ its access token is in the secret backend ⇔ that token is
 *   the one live grant Plugboard holds for it.
 * - I2: every grant the provider issued is held (I1), revoked, or queued for a durable revocation.
 *
 * Each scenario prints `[integrity] <scenario>: orphans=N halfStates=M`. The flow these run
 * against does not hold the invariants yet, so the suite only runs with INTEGRITY_REPRO=1; the
 * change that makes the flow hold them removes the gate.
 * The process-level cases (a server killed mid-flow, two instances) are in
 * integrity-processes.integration.test.ts.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import type { SessionUser } from '../auth/sessions.js';
import type { AppServices } from '../services.js';
import { SsmSecretBackend } from '../secrets/ssm-backend.js';
import { withConnectionWritesFailing } from '../../test/support/db-faults.js';
import { callerFor, makeTenant, signedInUser } from '../../test/support/factories.js';
import { checkIntegrity, heldInSsm, type IntegrityReport } from '../../test/support/integrity.js';
import { addToTally, expectIntact, expectTallyIntact, newTally } from '../../test/support/integrity-expect.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  authorize,
  connect,
  db,
  endpoint,
  logs,
  output,
  sandbox,
  servicesFor,
  type Caller,
} from '../../test/support/intercom-flow.js';
import { testServices } from '../../test/support/database.js';

const ACCESS_TOKEN = /\/api-key\/INTERCOM_ACCESS_TOKEN$/;

/** The integrity report for these tenants, over the grants issued since `issuedFrom`. */
function integrity(tenantIds: string[], issuedFrom = 0): Promise<IntegrityReport> {
  return checkIntegrity({
    sql: db.sql,
    tenantIds,
    heldToken: heldInSsm(endpoint),
    issued: sandbox.tokens().slice(issuedFrom),
  });
}

/** A tenant with `admins` signed-in admins. */
async function tenantWithAdmins(services: AppServices, admins: number): Promise<{ tenantId: string; sessions: SessionUser[] }> {
  const slug = (await makeTenant(services.orm.em.fork())).slug;
  const sessions: SessionUser[] = [];
  for (let i = 0; i < admins; i += 1) sessions.push((await signedInUser(services, 'admin', slug)).session);
  return { tenantId: sessions[0]?.tenantId ?? '', sessions };
}

/** Settles every call and records what callers saw (for the leak check); never a token. */
async function settle(calls: Promise<unknown>[]): Promise<PromiseSettledResult<unknown>[]> {
  const results = await Promise.allSettled(calls);
  for (const r of results) output(r.status === 'fulfilled' ? r.value : String(r.reason));
  return results;
}

/** The SSM backend of the server, with the SDK giving up on an answer after `requestTimeoutMs`. */
function servicesWithSsmTimeout(requestTimeoutMs: number): AppServices {
  const client = new SSMClient({
    endpoint: endpoint.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
    requestHandler: { requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true },
  });
  return testServices(
    db.orm,
    logs.logger,
    {
      INTERCOM_CLIENT_ID: CLIENT_ID,
      INTERCOM_CLIENT_SECRET: CLIENT_SECRET,
      INTERCOM_OAUTH_URL: sandbox.oauthUrl,
      INTERCOM_API_URL: sandbox.apiUrl,
      OAUTH_HTTP_TIMEOUT_MS: '5000',
    },
    new SsmSecretBackend({ client, sleep: () => Promise.resolve() }),
  );
}

async function reconnect(caller: Caller): Promise<unknown> {
  const { state, code } = await authorize(caller);
  return caller.intercom.exchange({ code, state });
}

describe.skipIf(!process.env.INTEGRITY_REPRO)('lost grants (run with INTEGRITY_REPRO=1)', () => {
  it('Reconnect racing Disconnect by two admins, SSM latency 0–300 ms, 50 times', { timeout: 240_000 }, async () => {
    const services = servicesFor('ssm');
    const tally = newTally();
    for (let i = 0; i < 50; i += 1) {
      const issuedFrom = sandbox.tokens().length;
      const { tenantId, sessions } = await tenantWithAdmins(services, 2);
      const [a, b] = sessions.map((s) => callerFor(services, s)) as [Caller, Caller];
      await connect(a);
      const { state, code } = await authorize(a);
      endpoint.faults.latency({ minMs: 0, maxMs: 300 });
      await settle([a.intercom.exchange({ code, state }), b.intercom.disconnect()]);
      endpoint.faults.clear();
      addToTally(tally, await integrity([tenantId], issuedFrom));
    }
    expectTallyIntact(tally, 'reconnect vs disconnect x50');
  });

  for (const attempts of [5, 20]) {
    it(`${attempts} parallel completions of separately started attempts by one tenant`, { timeout: 60_000 }, async () => {
      const services = servicesFor('ssm');
      const issuedFrom = sandbox.tokens().length;
      const { tenantId, sessions } = await tenantWithAdmins(services, 1);
      const caller = callerFor(services, sessions[0] as SessionUser);
      const started = [];
      for (let i = 0; i < attempts; i += 1) started.push(await authorize(caller));
      endpoint.faults.latency({ minMs: 0, maxMs: 100 });
      await settle(started.map(({ code, state }) => caller.intercom.exchange({ code, state })));
      endpoint.faults.clear();
      expectIntact(await integrity([tenantId], issuedFrom), `${attempts} parallel completions`);
    });
  }

  it('SSM applies the token write but answers after the client timed out, on first connect', { timeout: 60_000 }, async () => {
    const services = servicesWithSsmTimeout(300);
    const { tenantId, sessions } = await tenantWithAdmins(services, 1);
    const caller = callerFor(services, sessions[0] as SessionUser);
    endpoint.faults.lateAnswerNext(4, 1000, 'PutParameter', ACCESS_TOKEN);
    await settle([reconnect(caller)]);
    endpoint.faults.clear();
    expect(endpoint.requests.some((r) => r.fault === 'late'), 'the late answer was served').toBe(true);
    expectIntact(await integrity([tenantId]), 'SSM late answer on first connect');
  });

  it('SSM applies the token write but answers after the client timed out, on reconnect', { timeout: 60_000 }, async () => {
    const services = servicesWithSsmTimeout(300);
    const { tenantId, sessions } = await tenantWithAdmins(services, 1);
    const caller = callerFor(services, sessions[0] as SessionUser);
    await connect(caller);
    endpoint.faults.lateAnswerNext(4, 1000, 'PutParameter', ACCESS_TOKEN);
    await settle([reconnect(caller)]);
    endpoint.faults.clear();
    expect(endpoint.requests.some((r) => r.fault === 'late'), 'the late answer was served').toBe(true);
    expectIntact(await integrity([tenantId]), 'SSM late answer on reconnect');
  });

  it('the provider fails the revocation on Disconnect (HTTP 500)', async () => {
    const services = servicesFor('ssm');
    const { tenantId, sessions } = await tenantWithAdmins(services, 1);
    const caller = callerFor(services, sessions[0] as SessionUser);
    await connect(caller);
    sandbox.faults.next('uninstall', { status: 500 });
    await settle([caller.intercom.disconnect()]);
    expectIntact(await integrity([tenantId]), 'revoke fails on disconnect');
  });

  it('reading the token for revocation fails on Disconnect, after every retry', async () => {
    const services = servicesFor('ssm');
    const { tenantId, sessions } = await tenantWithAdmins(services, 1);
    const caller = callerFor(services, sessions[0] as SessionUser);
    await connect(caller);
    endpoint.faults.failNext(4, { status: 500 }, 'GetParameter');
    await settle([caller.intercom.disconnect()]);
    endpoint.faults.clear();
    expectIntact(await integrity([tenantId]), 'token read fails on disconnect');
  });

  it('Reconnect: the database commit fails, then putting the previous token back fails', async () => {
    const services = servicesFor('ssm');
    const { tenantId, sessions } = await tenantWithAdmins(services, 1);
    const caller = callerFor(services, sessions[0] as SessionUser);
    await connect(caller);
    const { state, code } = await authorize(caller);
    // Once the new token is written, every further token write fails (the undo, with its retries).
    let armed = false;
    endpoint.hooks.onApplied = (request) => {
      if (!armed && request.operation === 'PutParameter' && ACCESS_TOKEN.test(String(request.body?.Name))) {
        armed = true;
        endpoint.faults.failNext(4, { status: 500 }, 'PutParameter');
      }
    };
    const [result] = await withConnectionWritesFailing(db.sql, tenantId, () =>
      settle([caller.intercom.exchange({ code, state })]),
    );
    delete endpoint.hooks.onApplied;
    endpoint.faults.clear();
    expect(result?.status, 'the commit must fail for this scenario to mean anything').toBe('rejected');
    expectIntact(await integrity([tenantId]), 'double fault on reconnect');
  });
});
