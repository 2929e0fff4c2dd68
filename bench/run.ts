/**
 * `npm run bench`: prints latency and memory figures for the hot paths, against a real
 * embedded PostgreSQL and the Intercom sandbox. Figures, not pass/fail: compare runs.
 *   - intercom.status: the page's live status (Postgres only, no secret-store call)
 *   - catalog.list: the catalog for a tenant
 *   - connect + exchange + disconnect: the whole OAuth round trip through the sandbox
 *   - sign-in: scrypt verification plus the session insert
 */
import { performance } from 'node:perf_hooks';
import { boot } from '../server/boot.js';
import { parseEnv } from '../server/env.js';
import { createLogger } from '../server/logger.js';
import { createTenant, createUser } from '../server/auth/accounts.js';
import { signIn } from '../server/auth/sessions.js';
import { createContextInner } from '../server/trpc/context.js';
import { createCaller } from '../server/trpc/router.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 2000);
const FLOWS = Number(process.env.BENCH_FLOWS ?? 100);

function summary(name: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const total = samples.reduce((a, b) => a + b, 0);
  return `${name.padEnd(38)} n=${String(samples.length).padStart(5)}  p50=${at(0.5).toFixed(2)}ms  p95=${at(0.95).toFixed(2)}ms  p99=${at(0.99).toFixed(2)}ms  ${(samples.length / (total / 1000)).toFixed(0)}/s`;
}

async function time<T>(samples: number[], fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await fn();
  samples.push(performance.now() - start);
  return result;
}

const env = parseEnv({ ...process.env, DATA_DIR: process.env.BENCH_DATA_DIR ?? '.data/bench', EMBEDDED_PG_PORT: '54369', LOG_LEVEL: 'silent' });
const booted = await boot(env, createLogger({ level: 'silent' }), { sandboxes: true, poolMax: 10 });
const { services } = booted;
const rssStart = process.memoryUsage().rss;

try {
  const em = services.orm.em.fork();
  const slug = `bench-${Date.now()}`;
  await createTenant(em, { slug, name: 'Bench' });
  const user = await createUser(em, { tenant: slug, email: `${slug}@bench.test`, password: 'bench password 123', role: 'admin' });

  const signInSamples: number[] = [];
  let session = null;
  for (let i = 0; i < 20; i++) {
    session = (await time(signInSamples, () => signIn(services.orm.em.fork(), { email: user.email, password: 'bench password 123' }, 1)))!.user;
  }
  const caller = createCaller(createContextInner({ services, session: session! }));

  const flowSamples: number[] = [];
  const config = services.oauth.get('intercom')!;
  for (let i = 0; i < FLOWS; i++) {
    await time(flowSamples, async () => {
      const { authorizeUrl } = await caller.intercom.connect();
      const state = new URL(authorizeUrl).searchParams.get('state')!;
      // The sandbox's consent form, as a browser would submit it.
      const decision = await fetch(new URL('/oauth/decision', config.authorizeUrl), {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: config.clientId!, state, redirect_uri: config.redirectUri, decision: 'approve' }),
      });
      const code = new URL(decision.headers.get('location')!).searchParams.get('code')!;
      await caller.intercom.exchange({ code, state });
      if (i < FLOWS - 1) await caller.intercom.disconnect();
    });
  }

  const statusSamples: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) await time(statusSamples, () => caller.intercom.status());
  const catalogSamples: number[] = [];
  for (let i = 0; i < ITERATIONS / 2; i++) await time(catalogSamples, () => caller.catalog.list());

  global.gc?.();
  const mem = process.memoryUsage();
  console.log(`Plugboard benchmark (${new Date().toISOString()}, node ${process.version}, secret backend ${services.secrets.backend.kind})`);
  console.log(summary('intercom.status (Postgres only)', statusSamples));
  console.log(summary('catalog.list', catalogSamples));
  console.log(summary('connect+consent+exchange+disconnect', flowSamples));
  console.log(summary('sign-in (scrypt + session insert)', signInSamples));
  console.log(
    `memory: rss ${(mem.rss / 2 ** 20).toFixed(1)} MiB (start ${(rssStart / 2 ** 20).toFixed(1)} MiB), heap used ${(mem.heapUsed / 2 ** 20).toFixed(1)} MiB`,
  );
} finally {
  await booted.shutdown();
}
process.exit(0);
