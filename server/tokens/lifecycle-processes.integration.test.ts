/**
 * The lifecycle across real server processes on one database and one SSM endpoint: a sweeper
 * killed while it holds a connection's lease leaves the work to another instance, which
 * refreshes the token once the lease ends.
 */
import { expect, it } from 'vitest';
import { db, endpoint, startApp } from '../../test/support/app-world.js';
import { connectLinear, LINEAR_CLIENT, servicesWithLinear, startLinearSandbox } from '../../test/support/linear-connection.js';
import { ssmBackend } from '../../test/support/secret-backends.js';
import { tryWithConnectionLock } from '../connections/lock.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

it('a process killed mid-sweep: another instance takes the connection when the lease ends and refreshes it once', async () => {
  const sandbox = await startLinearSandbox({ accessTokenTtlSeconds: 4 });
  try {
    const lifecycle = {
      LINEAR_CLIENT_ID: LINEAR_CLIENT.clientId,
      LINEAR_CLIENT_SECRET: LINEAR_CLIENT.clientSecret,
      PROVIDER_ORIGIN_OVERRIDES: `https://linear.app=${sandbox.url},https://api.linear.app=${sandbox.url}`,
      TOKEN_REFRESH_MARGIN_SECONDS: '2',
      TOKEN_REFRESH_SWEEP_SECONDS: '1',
      TOKEN_REFRESH_LEASE_SECONDS: '3',
    };
    const services = servicesWithLinear(db, db.logs.logger, sandbox, {}, ssmBackend(endpoint));
    const { scope } = await connectLinear(services);
    const lease = async () =>
      (await db.sql<{ lease_until: Date | null }>("select lease_until from connector_installations where tenant_id = $1 and type = 'linear'", [scope.tenantId]))[0]
        ?.lease_until ?? null;

    // Hold the connection's lock, so the first instance's sweeper takes the lease and then waits.
    let release!: () => void;
    const held = tryWithConnectionLock(db.orm, scope.tenantId, 'linear', () => new Promise<void>((resolve) => (release = resolve)));
    const first = await startApp({ env: lifecycle });
    await until('the first instance to lease the connection', lease);
    const killed = await first.kill('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    release();
    expect((await held).acquired).toBe(true);
    // Nothing refreshed yet: only the first access token exists.
    expect(sandbox.tokens().filter((t) => t.kind === 'access')).toHaveLength(1);

    const second = await startApp({ env: lifecycle });
    const refreshed = await until('the second instance to refresh', async () => sandbox.tokens().filter((t) => t.kind === 'access').length === 2, 20_000);
    expect(refreshed).toBe(true);
    await until('the refresh to be recorded', async () =>
      (await db.sql<{ last_refreshed_at: Date | null }>("select last_refreshed_at from connector_installations where tenant_id = $1", [scope.tenantId]))[0]?.last_refreshed_at,
    );
    const stored = await services.secrets.get(scope.tenantId, 'LINEAR_ACCESS_TOKEN');
    expect(stored?.reveal()).toBe(sandbox.tokens().filter((t) => t.kind === 'access')[1]?.token);
    const [row] = await db.sql<{ health: string; lease_until: Date | null }>('select health, lease_until from connector_installations where tenant_id = $1', [scope.tenantId]);
    expect(row?.health).toBe('healthy');
    expect(second.logs.join('\n')).not.toContain(stored!.reveal());
  } finally {
    await sandbox.close();
  }
}, 120_000);
