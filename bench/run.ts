/**
 * `npm run bench`: the request path under load, side by side with a bare baseline
 * (bench/baseline.mjs: node:http + pg doing the same necessary work), on one embedded
 * PostgreSQL and one SSM-protocol endpoint. The app runs as production does: in its own process,
 * started as `npm run serve` starts it (compiled, with its node options), NODE_ENV=production,
 * its default logging (to /dev/null).
 *
 *   1. a tenant with an admin, a session, Intercom and Linear connected through their sandboxes,
 *      and a service key; 9 other tenants
 *   2. GET /healthz, intercom.status and the token API, app then baseline, at full speed
 *   3. intercom.status at a steady rate (an open loop, bench/load.ts), then again after 100,000
 *      more tenants
 *   4. SSM reads (status, token API), resident memory, each route's JavaScript
 *
 * Prints a table and writes it as JSON (BENCH_OUT, default .data/bench-results.json).
 * Knobs: BENCH_CONNECTIONS (50), BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (3), BENCH_RATE (50),
 * BENCH_ROUNDS (3: app and baseline take turns, each figure the median),
 * BENCH_TENANTS (100000), BENCH_DATA_DIR (.data/bench, emptied first), BENCH_EMBEDDED_PG_PORT,
 * BENCH_ONLY (healthz, status or token: that route alone; scale: the steady-rate part), BENCH_PROFILE (a folder for the app's
 * CPU profile), BENCH_NODE_FLAGS (more node options for the app), BENCH_APP_LOG (a file for its
 * output).
 * `npm run bench` builds first; the figures are only as quiet as the machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTenant, createUser } from '../server/auth/accounts.js';
import { createServiceKey } from '../server/auth/service-keys.js';
import { serializeSessionCookie } from '../server/auth/session-cookie.js';
import { signIn } from '../server/auth/sessions.js';
import { boot } from '../server/boot.js';
import { parseEnv } from '../server/env.js';
import { createLogger } from '../server/logger.js';
import { createContextInner } from '../server/trpc/context.js';
import { createCaller } from '../server/trpc/router.js';
import { approveOnConsentPage } from '../test/support/app-client.js';
import { freePort, REPO_ROOT } from '../test/support/app-process.js';
import { startSsmEndpoint } from '../test/support/ssm-endpoint.js';
import { findManifest, measureRoutes } from './js-budget.js';
import { load, median, paced, processMemory, type LoadOptions, type LoadResult } from './load.js';
import { formatResults, type BenchResults, type Pair } from './report.js';
import { countTenants, seedTenants } from './seed.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const RATE = Number(process.env.BENCH_RATE ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MORE_TENANTS = Number(process.env.BENCH_TENANTS ?? 100_000);
const DATA_DIR = path.resolve(process.env.BENCH_DATA_DIR ?? '.data/bench');
const OUT = path.resolve(process.env.BENCH_OUT ?? '.data/bench-results.json');
const PASSWORD = 'bench password 123';
const SESSION_SECRET = randomBytes(32).toString('base64url');

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const manifest = findManifest();
if (!manifest) throw new Error('No Remix build: run `npm run build` first (`npm run bench` does).');

// One SSM-protocol endpoint for everyone: this process's set-up writes the tokens, the app and
// the baseline read them, and it counts every read.
const ssm = await startSsmEndpoint();
const aws = { AWS_ENDPOINT_URL_SSM: ssm.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench' };
Object.assign(process.env, aws, { SECRETS_BACKEND: 'ssm' });

rmSync(DATA_DIR, { recursive: true, force: true });
const env = parseEnv({
  ...process.env,
  NODE_ENV: 'development',
  DATA_DIR,
  EMBEDDED_PG_PORT: process.env.BENCH_EMBEDDED_PG_PORT ?? '54369',
  LOG_LEVEL: 'silent',
});
const booted = await boot(env, createLogger({ level: 'silent' }), { sandboxes: true, poolMax: 4 });
const { services } = booted;
const children: ChildProcess[] = [];
class Finished extends Error {}

/** How `npm run serve` starts the server (its node options included): the bench runs it so. */
function serveArgs(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [command, ...args] = pkg.scripts.serve!.split(' ');
  if (command !== 'node') throw new Error(`npm run serve starts ${command}, not node`);
  return args;
}

/** Starts a server process and resolves with its URL once /healthz answers. */
async function startProcess(name: string, args: string[], extraEnv: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', PORT: String(port), DATABASE_URL: booted.databaseUrl, SESSION_SECRET, ...aws, ...extraEnv },
    stdio: ['ignore', process.env.BENCH_APP_LOG && name === 'the app' ? openSync(process.env.BENCH_APP_LOG, 'w') : 'ignore', 'pipe'],
  }) as ChildProcess;
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${stderr}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) return { url, child };
    await sleep(100);
  }
  throw new Error(`${name} did not answer /healthz:\n${stderr}`);
}

try {
  // 1. The measured tenant, connected for real, and nine others.
  const em = services.orm.em.fork();
  const slug = 'bench';
  await createTenant(em, { slug, name: 'Bench' });
  const user = await createUser(em, { tenant: slug, email: 'admin@bench.test', password: PASSWORD, role: 'admin' });
  const session = (await signIn(services.orm.em.fork(), { email: user.email, password: PASSWORD }, 24))!;
  const caller = createCaller(createContextInner({ services, session: session.user }));
  for (const connector of ['intercom', 'linear'] as const) {
    const { authorizeUrl } = await caller[connector].connect();
    await caller[connector].exchange(await approveOnConsentPage(authorizeUrl));
  }
  const { key } = await createServiceKey(services.orm.em.fork(), 'bench');
  await seedTenants(booted.databaseUrl, 9, 'small');
  const tenantsSmall = await countTenants(booted.databaseUrl);

  const cookie = serializeSessionCookie(session.token, { secret: SESSION_SECRET, secure: true, maxAgeSeconds: 86_400 }).split(';')[0]!;
  // BENCH_PROFILE=<dir>: the app writes a V8 CPU profile there when it stops.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE)}`] : [];
  const app = await startProcess('the app', [...profile, ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean), ...serveArgs()], {
    NODE_ENV: 'production',
    APP_URL: 'http://127.0.0.1',
    SECRETS_BACKEND: 'ssm',
    OAUTH_SANDBOX: 'off',
    // The worker runs beside the app in production at scale; the bench measures requests only.
    JOBS_IN_PROCESS: 'off',
    TOKEN_API_RATE_LIMIT_PER_MINUTE: '1000000',
  });
  const baseline = await startProcess('the baseline', ['bench/baseline.mjs'], { SESSION_IDLE_HOURS: String(env.SESSION_IDLE_HOURS) });

  const routes = {
    healthz: { path: '/healthz', headers: {} },
    status: { path: '/api/trpc/intercom.status', headers: { cookie } },
    token: { path: `/api/v1/connections/linear/token?tenant=${slug}`, headers: { authorization: `Bearer ${key.reveal()}` } },
  };
  // Both answer, and with the same token.
  for (const [name, route] of Object.entries(routes)) {
    const [a, b] = await Promise.all([app.url, baseline.url].map((base) => fetch(base + route.path, { headers: route.headers })));
    if (a!.status !== 200 || b!.status !== 200) throw new Error(`${name}: app answered ${a!.status}, baseline ${b!.status}`);
    if (name === 'token') {
      const [x, y] = (await Promise.all([a!.json(), b!.json()])) as { accessToken: string }[];
      if (x!.accessToken !== y!.accessToken) throw new Error('the app and the baseline answered different tokens');
    }
  }

  const reads = () => ssm.requestsFor('GetParameter').length + ssm.requestsFor('GetParameters').length;
  const run = (base: string, route: keyof typeof routes, extra: Partial<LoadOptions> = {}) => {
    const options: LoadOptions = { url: base + routes[route].path, headers: routes[route].headers, connections: CONNECTIONS, seconds: SECONDS, warmupSeconds: WARMUP, ...extra };
    return options.rate ? paced({ ...options, rate: options.rate }) : load(options);
  };
  // App and baseline take turns, ROUNDS times, and each figure is the median of its rounds: a
  // shared machine's slow spell then lands on both sides instead of on one.
  const pair = async (route: keyof typeof routes, extra: Partial<LoadOptions> = {}): Promise<Pair & { reads: number; requests: number }> => {
    const apps: LoadResult[] = [];
    const baselines: LoadResult[] = [];
    let during = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const before = reads();
      apps.push(await run(app.url, route, extra));
      during += reads() - before;
      baselines.push(await run(baseline.url, route, extra));
    }
    return { app: median(apps), baseline: median(baselines), reads: during, requests: apps.reduce((n, r) => n + r.requests, 0) };
  };

  const only = process.env.BENCH_ONLY as keyof typeof routes | 'scale' | undefined;
  if (only) {
    // One route at full speed, or status at a steady rate before and after the tenants: app and
    // baseline, for profiling (with BENCH_PROFILE).
    const print = (label: string, one: Pair) => {
      for (const who of ['app', 'baseline'] as const) {
        console.log(`${label} ${who}: ${one[who].perSecond.toFixed(0)}/s p50 ${one[who].p50.toFixed(2)} ms p99 ${one[who].p99.toFixed(2)} ms`);
      }
    };
    if (only !== 'scale') {
      const one = await pair(only);
      print(only, one);
      console.log(`SSM reads during the app's runs: ${one.reads} in ${one.requests} requests`);
    }
    else {
      print(`status ${tenantsSmall} tenants`, await pair('status', { rate: RATE }));
      await seedTenants(booted.databaseUrl, MORE_TENANTS, 'large');
      print(`status ${await countTenants(booted.databaseUrl)} tenants`, await pair('status', { rate: RATE }));
    }
    throw new Finished();
  }

  // 2. Full speed.
  console.error('measuring /healthz, status and the token API at full speed...');
  const healthz = await pair('healthz');
  const status = await pair('status');
  const token = await pair('token');

  // 3. A steady rate, with 10 tenants and with 100,000 more.
  console.error(`measuring status at ${RATE} requests/s with ${tenantsSmall} tenants...`);
  const small = await pair('status', { rate: RATE });
  console.error(`adding ${MORE_TENANTS.toLocaleString('en-US')} tenants...`);
  await seedTenants(booted.databaseUrl, MORE_TENANTS, 'large');
  const tenantsLarge = await countTenants(booted.databaseUrl);
  console.error(`measuring status at ${RATE} requests/s with ${tenantsLarge} tenants...`);
  const large = await pair('status', { rate: RATE });

  const results: BenchResults = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.availableParallelism(),
    connections: CONNECTIONS,
    seconds: SECONDS,
    secretBackend: 'ssm (loopback SSM-protocol endpoint)',
    routes: { healthz, status, token },
    statusAtScale: { rate: RATE, tenantsSmall, tenantsLarge, small, large },
    ssm: {
      readsDuringStatus: status.reads + small.reads + large.reads,
      statusRequests: status.requests + small.requests + large.requests,
      readsDuringToken: token.reads,
      tokenRequests: token.requests,
      perThousandTokenRequests: (token.reads / token.requests) * 1000,
    },
    memory: { app: processMemory(app.child.pid!), baseline: processMemory(baseline.child.pid!) },
    javascript: measureRoutes(manifest),
  };
  console.log(formatResults(results));
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nWritten to ${path.relative(process.cwd(), OUT)}`);
} catch (error) {
  if (!(error instanceof Finished)) throw error;
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : Promise.resolve())));
  await booted.shutdown();
  await ssm.close();
}
process.exit(0);
