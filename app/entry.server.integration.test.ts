import type { AppLoadContext } from '@remix-run/node';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { useTestDatabase } from '../test/support/database.js';
import { captureLogs } from '../test/support/logs.js';
import { handleError } from './entry.server';

const db = useTestDatabase();
const EMAIL = 'ada.lovelace@example.test';

/** A real error from the PostgreSQL driver, whose message repeats the statement and its values. */
async function driverError(): Promise<Error> {
  try {
    await db.orm.em.getConnection().execute('select * from "no_such_users" where "email" = ?', [EMAIL]);
  } catch (error) {
    return error as Error;
  }
  throw new Error('the query was expected to fail');
}

function args(logs: ReturnType<typeof captureLogs>, url: string, controller = new AbortController()) {
  const context = { logger: logs.logger, requestId: 'req-test-0001' } as unknown as AppLoadContext;
  return { request: new Request(url, { signal: controller.signal }), context, params: {} };
}

let consoleSpies: MockInstance[] = [];
beforeEach(() => {
  consoleSpies = (['log', 'info', 'warn', 'debug'] as const).map((m) => vi.spyOn(console, m));
});
afterEach(() => {
  for (const spy of consoleSpies) {
    const calls = [...spy.mock.calls];
    spy.mockRestore();
    expect(calls).toEqual([]);
  }
});

describe('handleError', () => {
  it('logs a driver error through the sanitising logger: no statement, no values, no query string', async () => {
    const error = await driverError();
    expect(error.message).toContain(EMAIL); // the premise: the raw message would leak it
    const logs = captureLogs();
    handleError(error, args(logs, 'http://localhost/integrations/intercom/callback?code=SECRETCODE&state=s'));
    expect(logs.lines).toHaveLength(1);
    const line = JSON.parse(logs.lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 50,
      msg: 'request failed',
      requestId: 'req-test-0001',
      path: '/integrations/intercom/callback',
      err: { sqlState: '42P01' },
    });
    expect(logs.text()).not.toContain(EMAIL);
    expect(logs.text()).not.toMatch(/no_such_users|select/i);
    expect(logs.text()).not.toContain('SECRETCODE');
  });

  it('keeps an ordinary error with its message and stack', () => {
    const logs = captureLogs();
    handleError(new Error('render exploded'), args(logs, 'http://localhost/integrations'));
    const line = JSON.parse(logs.lines[0]!) as { err: { message: string; stack: string } };
    expect(line.err.message).toBe('render exploded');
    expect(line.err.stack).toContain('entry.server.integration.test');
  });

  it('ignores aborted requests', async () => {
    const logs = captureLogs();
    const controller = new AbortController();
    controller.abort();
    handleError(await driverError(), args(logs, 'http://localhost/integrations', controller));
    expect(logs.lines).toEqual([]);
  });
});
