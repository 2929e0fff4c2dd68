/**
 * Lost grants that only whole processes show: a server killed with SIGKILL between the SSM
 * write and the database commit, and two instances of the server on one database serving two
 * admins at once. The real server (test/support/app-process.ts) in production mode, over HTTP,
 * against this file's database, the loopback SSM endpoint and the Intercom sandbox; each instance
 * runs its own job worker (reconcile every 2 s, revocation retries 1 s apart). Every scenario
 * waits for the workers to finish the revocation and repair jobs, then checks the invariants
 * (see integrity-races.integration.test.ts) and the operator's check, and prints
 * `[integrity] <scenario>: orphans=N halfStates=M queued=Q`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { approveOnConsentPage, type AppClient } from '../../test/support/app-client.js';
import type { AppProcess } from '../../test/support/app-process.js';
import {
  atRest,
  db,
  endpoint,
  integrity,
  leakedToken,
  RECONCILE_INTERVAL_SECONDS,
  sandbox,
  startApp,
  tenantWithAdmins,
} from '../../test/support/app-world.js';
import { SETTLING_TASKS, type IntegrityReport } from '../../test/support/integrity.js';
import { addToTally, expectIntact, expectTallyIntact, newTally, recordFigures } from '../../test/support/integrity-expect.js';

const ACCESS_TOKEN = /\/api-key\/INTERCOM_ACCESS_TOKEN$/;

const intents = (tenantId: string) =>
  db.sql<{ operation: string }>('select operation from connection_intents where tenant_id = $1', [tenantId]);

const grantStatuses = async (tenantId: string) =>
  (await db.sql<{ status: string }>('select status from connector_grants where tenant_id = $1 order by created_at', [tenantId])).map(
    (g) => g.status,
  );

function figures(label: string, report: IntegrityReport): void {
  recordFigures(label, { orphans: report.orphans.length, halfStates: report.halfStates.length, queued: report.queued });
}

/**
 * Starts a Connect on `app`, and has SSM apply its access-token write but hold the answer while
 * `app` is killed with SIGKILL: the process dies after the secret write, before its commit.
 */
async function killedAfterTheSecretWrite(app: AppProcess, admin: AppClient): Promise<void> {
  const callback = await approveOnConsentPage(await admin.startConnect());
  let killed: Promise<unknown> | undefined;
  endpoint.faults.lateAnswerNext(1, 30_000, 'PutParameter', ACCESS_TOKEN);
  endpoint.hooks.onApplied = (request) => {
    if (request.fault === 'late') killed = app.kill('SIGKILL');
  };
  const outcome = await admin.exchange(callback).then(
    () => 'answered',
    () => 'connection lost',
  );
  delete endpoint.hooks.onApplied;
  endpoint.faults.clear();
  expect(outcome, 'the server must die mid-request for this scenario to mean anything').toBe('connection lost');
  expect(await killed).toMatchObject({ signal: 'SIGKILL' });
}

/** What the dead process left behind: its intent, its grant pending, the token in the key with no installation. */
async function expectLeftBehind(tenantId: string, issuedFrom: number, label: string): Promise<void> {
  expect(await intents(tenantId)).toEqual([{ operation: 'activate' }]);
  expect(await grantStatuses(tenantId)).toEqual(['pending']);
  const report = await integrity([tenantId], issuedFrom);
  figures(label, report);
  expect(report.halfStates.length, 'the crash must leave a half-state for this scenario to mean anything').toBeGreaterThan(0);
}

/**
 * Polls until the connection is whole again (no intent, the pending grant revoked, I1 and I2
 * hold with nothing queued) and returns how long that took; fails after `boundMs`.
 */
async function repairedWithin(tenantId: string, issuedFrom: number, boundMs: number): Promise<number> {
  const started = Date.now();
  let report: IntegrityReport | undefined;
  while (Date.now() - started < boundMs) {
    report = await integrity([tenantId], issuedFrom);
    const whole = report.orphans.length + report.halfStates.length + report.queued === 0;
    if (whole && (await intents(tenantId)).length === 0) return Date.now() - started;
    await sleep(200);
  }
  throw new Error(`not repaired within ${boundMs} ms: ${JSON.stringify(report && { ...report, held: undefined })}`);
}

/** The start pass runs at once; a periodic pass comes within one interval (plus the worker's poll and the revocation). */
const REPAIR_BOUND_MS = (RECONCILE_INTERVAL_SECONDS * 2 + 5) * 1000;

describe('lost grants across processes', () => {
  it('kill -9 between the SSM write and the database commit; the restarted server repairs it', { timeout: 120_000 }, async () => {
    const app = await startApp();
    const { tenantId, clients } = await tenantWithAdmins(app);
    const admin = clients[0];
    if (!admin) throw new Error('no client');
    const issuedFrom = sandbox.tokens().length;

    await killedAfterTheSecretWrite(app, admin);
    await expectLeftBehind(tenantId, issuedFrom, 'kill -9 after the SSM write, before restart');

    await app.restart();
    const ms = await repairedWithin(tenantId, issuedFrom, REPAIR_BOUND_MS);
    console.log(`[integrity] kill -9 after the SSM write: repaired ${ms} ms after the restart`);
    // The provider may have confirmed while the job has not recorded it yet: wait for the row.
    await expect.poll(() => grantStatuses(tenantId), { timeout: 10_000 }).toEqual(['revoked']);
    expectIntact(await atRest([tenantId], 'kill -9, restarted', issuedFrom), 'kill -9 after the SSM write, after restart', {
      settled: true,
    });

    expect(await admin.connectIntercom()).toMatchObject({ ok: true, data: { success: true, finishing: false } });
    expectIntact(await atRest([tenantId], 'kill -9, connect again', issuedFrom), 'kill -9 after the SSM write, then Connect again', {
      settled: true,
    });
    expect(await grantStatuses(tenantId)).toEqual(['revoked', 'active']);
    expect(leakedToken(app)).toBe(false);
  });

  it('kill -9 between the SSM write and the commit; another instance repairs it within its reconcile interval', { timeout: 120_000 }, async () => {
    const [doomed, survivor] = await Promise.all([startApp(), startApp()]);
    const { tenantId, clients } = await tenantWithAdmins(doomed);
    const admin = clients[0];
    if (!admin) throw new Error('no client');
    const issuedFrom = sandbox.tokens().length;

    await killedAfterTheSecretWrite(doomed, admin);
    await expectLeftBehind(tenantId, issuedFrom, 'kill -9 after the SSM write, one instance left');

    const ms = await repairedWithin(tenantId, issuedFrom, REPAIR_BOUND_MS);
    console.log(`[integrity] kill -9 after the SSM write: repaired by the other instance after ${ms} ms`);
    expectIntact(await atRest([tenantId], 'kill -9, other instance', issuedFrom), 'kill -9 after the SSM write, other instance', {
      settled: true,
    });
    expect(await admin.on(survivor.url).connectIntercom()).toMatchObject({ ok: true, data: { success: true } });
    expectIntact(await atRest([tenantId], 'kill -9, connect on the other', issuedFrom), 'kill -9, then Connect on the other instance', {
      settled: true,
    });
    expect(leakedToken(doomed) || leakedToken(survivor)).toBe(false);
  });

  describe('two instances on one database', () => {
    let pair: Promise<[AppProcess, AppProcess]> | undefined;
    const instances = () => (pair ??= Promise.all([startApp(), startApp()]));

    it('Reconnect on one instance racing Disconnect on another, SSM latency 0–150 ms, 10 times', { timeout: 120_000 }, async () => {
      const [a, b] = await instances();
      const answered = newTally();
      const rested = newTally();
      const orders = { reconnectFirst: 0, disconnectFirst: 0 };
      for (let i = 0; i < 10; i += 1) {
        const issuedFrom = sandbox.tokens().length;
        const { tenantId, clients } = await tenantWithAdmins(a, 2);
        const [first, second] = clients;
        if (!first || !second) throw new Error('no clients');
        expect(await first.connectIntercom()).toMatchObject({ ok: true });
        const callback = await approveOnConsentPage(await first.startConnect());
        endpoint.faults.latency({ minMs: 0, maxMs: 150 });
        const disconnectAfter = Math.floor(Math.random() * 300);
        const results = await Promise.all([
          first.exchange(callback),
          sleep(disconnectAfter).then(() => second.on(b.url).disconnect()),
        ]);
        endpoint.faults.clear();
        expect(results).toMatchObject([{ ok: true }, { ok: true }]);
        const [row] = await db.sql<{ status: string }>('select status from connector_installations where tenant_id = $1', [tenantId]);
        orders[row?.status === 'active' ? 'disconnectFirst' : 'reconnectFirst'] += 1;
        addToTally(answered, await integrity([tenantId], issuedFrom));
        addToTally(rested, await atRest([tenantId], `two instances race ${i}`, issuedFrom));
      }
      expectTallyIntact(answered, 'reconnect vs disconnect on two instances x10, as answered');
      expectTallyIntact(rested, 'reconnect vs disconnect on two instances x10, after the jobs');
      expect(rested.queued).toBe(0);
      console.log(`[integrity] reconnect vs disconnect on two instances x10 orders: ${JSON.stringify(orders)}`);
      expect(leakedToken(a) || leakedToken(b)).toBe(false);
    });

    for (const attempts of [5, 20]) {
      it(`${attempts} parallel completions split across two instances`, { timeout: 120_000 }, async () => {
        const [a, b] = await instances();
        const issuedFrom = sandbox.tokens().length;
        const { tenantId, clients } = await tenantWithAdmins(a, 1);
        const admin = clients[0];
        if (!admin) throw new Error('no client');
        const callbacks = [];
        for (let i = 0; i < attempts; i += 1) callbacks.push(await approveOnConsentPage(await admin.startConnect()));
        endpoint.faults.latency({ minMs: 0, maxMs: 100 });
        const results = await Promise.all(callbacks.map((callback, i) => admin.on(i % 2 ? b.url : a.url).exchange(callback)));
        endpoint.faults.clear();
        expect(results.filter((r) => r.ok)).toHaveLength(attempts);
        const label = `${attempts} parallel completions on two instances`;
        expectIntact(await integrity([tenantId], issuedFrom), `${label}, as answered`);
        const rest = await atRest([tenantId], label, issuedFrom);
        expectIntact(rest, `${label}, after the jobs`, { settled: true });
        expect({ live: rest.live, revoked: rest.revoked }).toEqual({ live: 1, revoked: attempts - 1 });
        const queued = await db.sql('select 1 from graphile_worker.jobs where task_identifier = any($1::text[])', [SETTLING_TASKS]);
        expect(queued).toEqual([]);
        expect(leakedToken(a) || leakedToken(b)).toBe(false);
      });
    }
  });
});
