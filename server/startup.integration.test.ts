/**
 * Start-up failures as an operator sees them: the real server and CLI entry points run as child
 * processes against a closed port, the test cluster with a wrong password, and a database that
 * does not exist. Each must exit 1 with one line naming host:port and the cause, no stack trace
 * and no password.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'plugboard-startup-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const WRONG_PASSWORD = 'wrong-Pw-7Qx93kLm';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs an entry point with the node running the tests (so the Node 24 leg tests Node 24). */
function run(entry: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    // The server and the CLI run compiled (dist/, built by the test setup), as in production.
    const loader = entry.endsWith('.js') ? ['--enable-source-maps'] : ['--import', 'tsx'];
    const child = spawn(process.execPath, [...loader, entry, ...args], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? dataDir,
        NODE_ENV: 'production',
        APP_URL: 'http://localhost:3999',
        SESSION_SECRET: randomBytes(24).toString('base64'),
        SECRETS_BACKEND: 'local',
        SECRETS_MASTER_KEY: randomBytes(32).toString('base64'),
        DATA_DIR: dataDir,
        OAUTH_SANDBOX: 'off',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A loopback port with nothing listening: bind an ephemeral port, then release it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = password;
  return u.toString();
}

function expectOneCleanLine(result: Run, secrets: string[]): string {
  expect(result.code).toBe(1);
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, result.stderr).toHaveLength(1);
  const all = result.stdout + result.stderr;
  expect(all).not.toMatch(/^\s+at /m);
  for (const secret of secrets) expect(all).not.toContain(secret);
  return lines[0]!;
}

const entries = [
  { name: 'server', entry: 'dist/main.js', args: [] as string[] },
  { name: 'CLI', entry: 'dist/cli.js', args: ['tenant:create', '--slug', 'acme', '--name', 'Acme'] },
  { name: 'db CLI', entry: 'server/cli/db.ts', args: ['status'] },
];

describe.each(entries)('$name start-up errors', ({ entry, args }) => {
  it('names host, port and "connection refused" when nothing listens', async () => {
    const port = await closedPort();
    const result = await run(entry, args, { DATABASE_URL: `postgresql://plugboard:${WRONG_PASSWORD}@127.0.0.1:${port}/plugboard` });
    const line = expectOneCleanLine(result, [WRONG_PASSWORD]);
    expect(line).toBe(
      `Cannot connect to PostgreSQL at 127.0.0.1:${port}: connection refused (ECONNREFUSED). Check DATABASE_URL.`,
    );
  });

  it('names the user when the password is wrong, and never prints either password', async () => {
    const adminUrl = new URL(inject('pgAdminUrl'));
    const realPassword = decodeURIComponent(adminUrl.password);
    const result = await run(entry, args, { DATABASE_URL: withPassword(adminUrl.toString(), WRONG_PASSWORD) });
    const line = expectOneCleanLine(result, [WRONG_PASSWORD, ...(realPassword ? [realPassword] : [])]);
    expect(line).toBe(
      `Cannot connect to PostgreSQL at ${adminUrl.hostname}:${adminUrl.port}: ` +
        `password authentication failed for user "${decodeURIComponent(adminUrl.username)}". Check DATABASE_URL.`,
    );
  });
});

describe('server start-up errors', () => {
  it('names a database that does not exist', async () => {
    const url = new URL(inject('pgAdminUrl'));
    const realPassword = decodeURIComponent(url.password);
    url.pathname = '/plugboard_no_such_database';
    const result = await run('dist/main.js', [], { DATABASE_URL: url.toString() });
    const line = expectOneCleanLine(result, realPassword ? [realPassword] : []);
    expect(line).toBe(
      `Cannot connect to PostgreSQL at ${url.hostname}:${url.port}: ` +
        'database "plugboard_no_such_database" does not exist. Check DATABASE_URL.',
    );
  });

});
