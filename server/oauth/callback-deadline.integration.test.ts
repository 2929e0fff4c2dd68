/**
 * The callback answers within CALLBACK_DEADLINE_MS even when the secret backend is slow: the
 * answer says the connection is being finished (never success, never "nothing changed"), the
 * work lands in the background, and the status follows it.
 */
import { describe, expect, it } from 'vitest';
import { callerFor, signedInUser } from '../../test/support/factories.js';
import {
  authorize,
  connect,
  endpoint,
  grantRows,
  output,
  runJobs,
  sandbox,
  servicesFor,
} from '../../test/support/intercom-flow.js';

const ACCESS_TOKEN_NAME = /INTERCOM_ACCESS_TOKEN$/;

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the callback deadline', () => {
  it('a first connect whose token write answers late: "finishing" at the deadline, connected afterwards', async () => {
    const services = servicesFor('ssm', { CALLBACK_DEADLINE_MS: '300' });
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { state, code } = await authorize(caller);
    endpoint.faults.lateAnswerNext(1, 1500, 'PutParameter', ACCESS_TOKEN_NAME);

    const started = Date.now();
    expect(output(await caller.intercom.exchange({ code, state }))).toEqual({ success: true, redirectTo: null, finishing: true });
    expect(Date.now() - started).toBeLessThan(1200);

    const status = await until(() => caller.intercom.status(), (s) => s.connected && !s.finishing);
    expect(status).toMatchObject({ connected: true, finishing: false, workspace: { name: 'Acme Support' } });
    const issued = sandbox.tokens().at(-1)!;
    expect(issued.revoked).toBe(false);
    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(issued.token);
    expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['active']);
  });

  it('a reconnect whose token write answers late: the page shows the change finishing, then the new grant, and the old one is revoked', async () => {
    const services = servicesFor('ssm', { CALLBACK_DEADLINE_MS: '300' });
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const first = await connect(caller);
    const { state, code } = await authorize(caller);
    endpoint.faults.lateAnswerNext(1, 1500, 'PutParameter', ACCESS_TOKEN_NAME);

    expect(output(await caller.intercom.exchange({ code, state }))).toMatchObject({ finishing: true });
    // The intent is open while the write is outstanding: the status says a change is finishing.
    expect(await caller.intercom.status()).toMatchObject({ connected: true, finishing: true });

    await until(() => caller.intercom.status(), (s) => !s.finishing);
    const second = sandbox.tokens().at(-1)!.token;
    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(second);
    await runJobs(services);
    expect(sandbox.tokens().filter((t) => t.token === first || t.token === second)).toEqual([
      { token: first, revoked: true },
      { token: second, revoked: false },
    ]);
    expect((await grantRows(session.tenantId)).map((g) => g.status).sort()).toEqual(['active', 'revoked']);
  });
});
