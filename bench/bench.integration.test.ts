/**
 * `npm run bench` keeps working: the whole benchmark, shortened (one-second runs, one round, a
 * few hundred more tenants), against the current build. Its figures are not judged here (speed
 * targets are benchmark figures, not timed tests); what it must hold is: every route answered
 * both app and baseline, the same token from both, and no SSM read while serving status.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { ensureBuild, freePort, REPO_ROOT } from '../test/support/app-process.js';
import type { BenchResults } from './report.js';

const dir = mkdtempSync(path.join(tmpdir(), 'plugboard-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('runs end to end and writes its table as JSON', async () => {
  ensureBuild();
  const out = path.join(dir, 'results.json');
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/run.ts'], {
    cwd: REPO_ROOT,
    timeout: 240_000,
    env: {
      ...process.env,
      BENCH_SECONDS: '1',
      BENCH_WARMUP_SECONDS: '0',
      BENCH_ROUNDS: '1',
      BENCH_CONNECTIONS: '5',
      BENCH_RATE: '20',
      BENCH_TENANTS: '300',
      BENCH_DATA_DIR: path.join(dir, 'data'),
      BENCH_EMBEDDED_PG_PORT: String(await freePort()),
      BENCH_OUT: out,
    },
  });
  expect(stdout).toContain('app req/s');
  expect(stdout).toContain('Targets:');
  const results = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
  for (const route of ['healthz', 'status', 'token'] as const) {
    expect(results.routes[route].app.requests).toBeGreaterThan(0);
    expect(results.routes[route].baseline.requests).toBeGreaterThan(0);
    expect(results.routes[route].app.failures + results.routes[route].baseline.failures).toBe(0);
  }
  expect(results.statusAtScale.tenantsLarge).toBe(results.statusAtScale.tenantsSmall + 300);
  expect(results.ssm.readsDuringStatus).toBe(0);
  expect(results.ssm.statusRequests).toBeGreaterThan(0);
  expect(results.memory.app.rss).toBeGreaterThan(0);
  expect(results.javascript.length).toBeGreaterThan(5);
}, 300_000);
