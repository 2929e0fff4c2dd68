/**
 * SIGTERM stops the whole server in order, job worker first, then the ORM, then the embedded
 * database: exit 0 and nothing logged at error level. (The embedded launcher's own signal hook
 * used to stop PostgreSQL at the same moment, and the worker's connections died under it.)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../test/support/app-process.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'plugboard-shutdown-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));


it('SIGTERM with the job worker running: exit 0, no error logged', async () => {
  const [port, pgPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--enable-source-maps', 'dist/main.js'], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      PORT: String(port),
      APP_URL: `http://localhost:${port}`,
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
      SESSION_SECRET: randomBytes(32).toString('base64url'),
      SECRETS_BACKEND: 'local',
      SECRETS_MASTER_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'info',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 60_000;
  while (!output.includes('job worker started') || !output.includes('Plugboard is running')) {
    if (Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect((await fetch(`http://localhost:${port}/healthz`)).status).toBe(200);
  child.kill('SIGTERM');
  expect(await exited, output).toBe(0);
  expect(output).not.toMatch(/"level":50|Unhandled|terminating connection/);
}, 90_000);
