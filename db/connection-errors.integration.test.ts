import net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkDatabaseConnection, DatabaseConnectionError, describeTarget } from './connection-errors.js';

const PASSWORD = 'pw-Never-Printed-19x';

async function failureOf(url: string, timeoutMs?: number): Promise<DatabaseConnectionError> {
  const error: unknown = await checkDatabaseConnection(url, timeoutMs).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatabaseConnectionError);
  expect((error as Error).message).not.toContain(PASSWORD);
  expect((error as Error).message).not.toContain('\n');
  return error as DatabaseConnectionError;
}

describe('checkDatabaseConnection', () => {
  // A server that accepts TCP connections and never answers: what a firewalled or hung host
  // looks like once the SYN gets through.
  let silent: net.Server;
  const sockets = new Set<net.Socket>();
  beforeAll(async () => {
    silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('passes against the test cluster', async () => {
    await expect(checkDatabaseConnection(inject('pgAdminUrl'))).resolves.toBeUndefined();
  });

  it('gives up on a silent host after the timeout', async () => {
    const { port } = silent.address() as net.AddressInfo;
    const started = Date.now();
    const error = await failureOf(`postgresql://app:${PASSWORD}@127.0.0.1:${port}/plugboard`, 400);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error.failure).toBe('timeout');
    expect(error.message).toBe(
      `Cannot connect to PostgreSQL at 127.0.0.1:${port}: no answer within 0.4 s (timeout). Check DATABASE_URL.`,
    );
  });

  it('names a host that does not resolve', async () => {
    // .invalid never resolves (RFC 2606); offline resolvers answer EAI_AGAIN instead of ENOTFOUND.
    const error = await failureOf(`postgresql://app:${PASSWORD}@db.plugboard.invalid:5432/plugboard`);
    expect(error.failure).toBe('host-not-found');
    expect(error.message).toMatch(
      /^Cannot connect to PostgreSQL at db\.plugboard\.invalid:5432: host (not found \(ENOTFOUND\)|name lookup failed \(EAI_AGAIN\))\. Check DATABASE_URL\.$/,
    );
  });

  it('reports the server refusing the password', async () => {
    const url = new URL(inject('pgAdminUrl'));
    url.password = PASSWORD;
    const error = await failureOf(url.toString());
    expect(error.failure).toBe('authentication');
    expect(error.message).toContain('password authentication failed for user');
  });

  it('names the target without its password, with the default port when the URL has none', () => {
    expect(describeTarget(`postgres://u:${PASSWORD}@db.example/app`)).toEqual({ host: 'db.example', port: 5432, user: 'u', database: 'app' });
    expect(describeTarget('postgresql://u@[::1]:6543/app')).toMatchObject({ host: '::1', port: 6543 });
  });
});
