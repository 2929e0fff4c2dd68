/**
 * The process harness itself: the real server as a child process, two instances on one
 * database, a sign-in and a whole Connect over HTTP through the sandbox's consent page, a
 * SIGKILL and a restart. One request at a time the flow holds its invariants, so the integrity
 * check passes here; the races live in server/oauth/integrity-*.integration.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AppClient, approveOnConsentPage } from './app-client.js';
import { describeReport, shortHash } from './integrity.js';
import { atRest, db, endpoint, leakedToken, PUBLIC_APP_URL, sandbox, startApp, tenantWithAdmins } from './app-world.js';

describe('the server as a child process', () => {
  it('connects, reconnects on a second instance, and disconnects, over HTTP', { timeout: 120_000 }, async () => {
    const [a, b] = await Promise.all([startApp(), startApp()]);
    const { tenantId, clients } = await tenantWithAdmins(a);
    const onA = clients[0];
    if (!onA) throw new Error('no client');
    const onB = onA.on(b.url);

    expect(await onA.connectIntercom()).toMatchObject({ ok: true, data: { success: true } });
    const [first] = sandbox.tokens();
    expect(endpoint.parameters.get(`/${tenantId}/api-key/INTERCOM_ACCESS_TOKEN`)?.value === first?.token).toBe(true);
    const [row] = await db.sql<{ status: string }>('select status from connector_installations where tenant_id = $1', [tenantId]);
    expect(row?.status).toBe('active');

    expect(await onB.connectIntercom()).toMatchObject({ ok: true });
    // The replaced grant is revoked by a job, on whichever instance's worker takes it.
    let report = await atRest([tenantId], 'reconnect on the second instance');
    expect(report.orphans.length + report.halfStates.length + report.queued, describeReport(report)).toBe(0);
    expect(sandbox.tokens().map((t) => t.revoked)).toEqual([true, false]);

    expect(await onA.disconnect()).toMatchObject({ ok: true });
    report = await atRest([tenantId], 'disconnect');
    expect(report.orphans.length + report.halfStates.length + report.queued, describeReport(report)).toBe(0);
    expect(sandbox.tokens().every((t) => t.revoked)).toBe(true);

    expect(leakedToken(a) || leakedToken(b)).toBe(false);

    // A call without a valid session is an error answer, not a throw.
    const stranger = new AppClient(a.url, 'plugboard_session=forged.sig', PUBLIC_APP_URL);
    expect(await stranger.disconnect()).toMatchObject({ ok: false, status: 401, code: 'UNAUTHORIZED' });
  });

  it('dies on SIGKILL in the middle of a request and comes back on restart', { timeout: 120_000 }, async () => {
    const app = await startApp();
    const { tenantId, clients } = await tenantWithAdmins(app);
    const admin = clients[0];
    if (!admin) throw new Error('no client');
    const issuedFrom = sandbox.tokens().length;

    // Kill the server the moment SSM has applied the token write, before it hears the answer.
    const callback = await approveOnConsentPage(await admin.startConnect());
    let killed: Promise<unknown> | undefined;
    endpoint.faults.lateAnswerNext(1, 10_000, 'PutParameter', /\/api-key\/INTERCOM_ACCESS_TOKEN$/);
    endpoint.hooks.onApplied = (request) => {
      if (request.fault === 'late') killed = app.kill('SIGKILL');
    };
    const outcome = await admin.exchange(callback).then(
      () => 'answered',
      () => 'connection lost',
    );
    delete endpoint.hooks.onApplied;
    endpoint.faults.clear();
    expect(outcome).toBe('connection lost');
    expect(await killed).toEqual({ code: null, signal: 'SIGKILL' });
    expect(app.running).toBe(false);
    const held = endpoint.parameters.get(`/${tenantId}/api-key/INTERCOM_ACCESS_TOKEN`)?.value;
    const issued = sandbox.tokens().slice(issuedFrom);
    expect(issued).toHaveLength(1);
    expect(held && shortHash(held)).toBe(issued[0] && shortHash(issued[0].token));

    await app.restart();
    expect(app.running).toBe(true);
    const again = await fetch(`${app.url}/healthz`);
    expect(again.status).toBe(200);
    // The session outlives the process: it is in the database.
    expect((await admin.call('intercom.disconnect')).ok).toBe(true);
  });
});
