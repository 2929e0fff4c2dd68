/**
 * `npm run bench:paths`: one request at a time through the in-process app, for the paths the
 * load benchmark (`npm run bench`, bench/run.ts) does not cover, against a real embedded
 * PostgreSQL and the Intercom sandbox. Figures, not pass/fail: compare runs.
 *   - intercom.status: the page's live status (Postgres only, no secret-store call)
 *   - catalog.list: the catalog for a tenant
 *   - connect + exchange + disconnect: the whole OAuth round trip through the sandbox, and the
 *     callback's exchange alone (code for token, identity, storing the connection)
 *   - sign-in: scrypt verification plus the session insert
 *   - under attack: a signed-in `intercom.status` over HTTP while 32 clients send bad sign-ins
 *     continuously (the password-hashing cap keeps a core for everything else)
 *   - the token API: a service's GET for a Linear token, one at a time and from 16 clients, beside
 *     a bare node:http server answering the same JSON, and the SSM reads per 1,000 requests
 *     (against the loopback SSM endpoint unless SECRETS_BACKEND is set)
 * Knobs (benchmark only): BENCH_ITERATIONS, BENCH_FLOWS, BENCH_ATTACKERS, BENCH_ATTACK_SECONDS,
 * BENCH_TOKEN_REQUESTS, BENCH_TOKEN_CLIENTS, BENCH_DATA_DIR, BENCH_EMBEDDED_PG_PORT. The HTTP section needs `npx remix build` first.
 */
import { existsSync } from 'node:fs';
import { createServer, request, type Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { ServerBuild } from '@remix-run/node';
import { boot } from '../server/boot.js';
import { parseEnv } from '../server/env.js';
import { createHttpApp } from '../server/http/app.js';
import { createLogger } from '../server/logger.js';
import { createTenant, createUser } from '../server/auth/accounts.js';
import { signIn } from '../server/auth/sessions.js';
import { createServiceKey } from '../server/auth/service-keys.js';
import { createContextInner } from '../server/trpc/context.js';
import { approveOnConsentPage } from '../test/support/app-client.js';
import { startSsmEndpoint } from '../test/support/ssm-endpoint.js';
import { createCaller } from '../server/trpc/router.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 2000);
const FLOWS = Number(process.env.BENCH_FLOWS ?? 100);
const ATTACKERS = Number(process.env.BENCH_ATTACKERS ?? 32);
const ATTACK_SECONDS = Number(process.env.BENCH_ATTACK_SECONDS ?? 10);
const TOKEN_REQUESTS = Number(process.env.BENCH_TOKEN_REQUESTS ?? 1000);
const TOKEN_CLIENTS = Number(process.env.BENCH_TOKEN_CLIENTS ?? 16);

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

interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request; `localAddress` picks the loopback source address (127.0.0.0/8 all reach lo). */
function http(url: URL, options: { method?: string; body?: string; headers?: Record<string, string>; localAddress?: string; agent?: Agent | false }) {
  return new Promise<HttpReply>((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        localAddress: options.localAddress,
        agent: options.agent,
        headers: { ...options.headers, ...(options.body ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

// Unless a secret backend is configured, SSM it is: the loopback SSM-protocol endpoint counts
// the reads the token API makes (SSM's default quota is 40 a second per account).
const ssm = process.env.SECRETS_BACKEND ? null : await startSsmEndpoint();
if (ssm) {
  // The AWS SDK reads its credentials from the process environment.
  Object.assign(process.env, {
    SECRETS_BACKEND: 'ssm',
    AWS_ENDPOINT_URL_SSM: ssm.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
  });
}

// The HTTP server listens first: APP_URL must be the origin the requests come from.
const server = createServer();
server.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const env = parseEnv({
  ...process.env,
  APP_URL: base,
  DATA_DIR: process.env.BENCH_DATA_DIR ?? '.data/bench',
  EMBEDDED_PG_PORT: process.env.BENCH_EMBEDDED_PG_PORT ?? '54369',
  LOG_LEVEL: 'silent',
  TOKEN_API_RATE_LIMIT_PER_MINUTE: '1000000',
});
const booted = await boot(env, createLogger({ level: process.env.BENCH_LOG_LEVEL === 'error' ? 'error' : 'silent' }), { sandboxes: true, poolMax: 10 });
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
  const callbackSamples: number[] = [];
  for (let i = 0; i < FLOWS; i++) {
    await time(flowSamples, async () => {
      const { authorizeUrl } = await caller.intercom.connect();
      const { code, state } = await approveOnConsentPage(authorizeUrl);
      await time(callbackSamples, () => caller.intercom.exchange({ code, state }));
      if (i < FLOWS - 1) await caller.intercom.disconnect();
    });
  }

  const statusSamples: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) await time(statusSamples, () => caller.intercom.status());
  const catalogSamples: number[] = [];
  for (let i = 0; i < ITERATIONS / 2; i++) await time(catalogSamples, () => caller.catalog.list());

  // Under attack, over HTTP. Each attacker speaks from its own loopback address (127.0.1.x),
  // so the per-IP limit applies to it honestly (no X-Forwarded-For, no raised limits), and
  // uses a new email each time so the per-email+IP limit never stops it: the worst case for
  // the hashing cap, since every attempt costs a full scrypt.
  const buildFile = path.resolve('build/index.js');
  if (!existsSync(buildFile)) throw new Error('Run `npx remix build` first: the HTTP section serves the real app.');
  const build = (await import(pathToFileURL(buildFile).href)) as ServerBuild;
  server.on('request', createHttpApp({ services, build, publicDir: path.resolve('public'), formActionOrigins: [] }));

  const signedIn = await http(new URL('/api/trpc/auth.signIn', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify({ email: user.email, password: 'bench password 123' }),
  });
  if (signedIn.status !== 200) throw new Error(`bench sign-in over HTTP answered ${signedIn.status}`);
  const cookie = String(signedIn.headers['set-cookie']).split(';')[0]!;
  const statusUrl = new URL('/api/trpc/intercom.status', base);
  const readStatus = async () => {
    const reply = await http(statusUrl, { headers: { cookie } });
    if (reply.status !== 200) throw new Error(`intercom.status answered ${reply.status}`);
  };

  const quietSamples: number[] = [];
  for (let i = 0; i < 200; i++) await time(quietSamples, readStatus);

  // The token API: a Linear connection (through its sandbox), a service key, then requests one
  // at a time and TOKEN_CLIENTS at once, beside a bare node:http server answering the same JSON.
  const linear = await caller.linear.connect();
  await caller.linear.exchange(await approveOnConsentPage(linear.authorizeUrl));
  const { key } = await createServiceKey(services.orm.em.fork(), `bench-${Date.now()}`);
  const tokenUrl = new URL(`/api/v1/connections/linear/token?tenant=${slug}`, base);
  const auth = { authorization: `Bearer ${key.reveal()}` };
  const getToken = async () => {
    const reply = await http(tokenUrl, { headers: auth });
    if (reply.status !== 200) throw new Error(`token API answered ${reply.status}`);
    return reply.body;
  };
  const readsBefore = ssm?.requestsFor('GetParameter').length ?? 0;
  const answer = await getToken();
  const bare = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(answer));
  bare.listen(0, '127.0.0.1');
  await new Promise((resolve) => bare.once('listening', resolve));
  const bareUrl = new URL(`http://127.0.0.1:${(bare.address() as AddressInfo).port}/`);
  const tokenSamples: number[] = [];
  for (let i = 0; i < TOKEN_REQUESTS; i++) await time(tokenSamples, getToken);
  const throughput = async (fn: () => Promise<unknown>) => {
    let done = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: TOKEN_CLIENTS }, async () => {
      while (performance.now() - started < 3000) {
        await fn();
        done += 1;
      }
    }));
    return { done, perSecond: done / ((performance.now() - started) / 1000) };
  };
  const tokenThroughput = await throughput(getToken);
  const ssmReads = (ssm?.requestsFor('GetParameter').length ?? 0) - readsBefore;
  const tokenRequests = 1 + TOKEN_REQUESTS + tokenThroughput.done;
  const bareSamples: number[] = [];
  for (let i = 0; i < TOKEN_REQUESTS; i++) await time(bareSamples, () => http(bareUrl, {}));
  const bareThroughput = await throughput(() => http(bareUrl, {}));
  bare.close();

  const attackStatuses = new Map<number, number>();
  const deadline = Date.now() + ATTACK_SECONDS * 1000;
  let attempt = 0;
  const attackers = Array.from({ length: ATTACKERS }, async (_, worker) => {
    const localAddress = `127.0.1.${worker + 1}`;
    while (Date.now() < deadline) {
      const reply = await http(new URL('/api/trpc/auth.signIn', base), {
        method: 'POST',
        localAddress,
        agent: false,
        headers: { 'content-type': 'application/json', origin: base },
        body: JSON.stringify({ email: `guess-${worker}-${attempt++}@bench.test`, password: 'not the password' }),
      });
      attackStatuses.set(reply.status, (attackStatuses.get(reply.status) ?? 0) + 1);
    }
  });
  const attackSamples: number[] = [];
  await new Promise((resolve) => setTimeout(resolve, 500)); // let the attack reach full speed
  while (Date.now() < deadline) await time(attackSamples, readStatus);
  await Promise.all(attackers);

  global.gc?.();
  const mem = process.memoryUsage();
  console.log(`Plugboard benchmark (${new Date().toISOString()}, node ${process.version}, secret backend ${services.secrets.backend.kind})`);
  console.log(summary('intercom.status (Postgres only)', statusSamples));
  console.log(summary('catalog.list', catalogSamples));
  console.log(summary('connect+consent+exchange+disconnect', flowSamples));
  console.log(summary('OAuth callback (exchange) alone', callbackSamples));
  console.log(summary('sign-in (scrypt + session insert)', signInSamples));
  console.log(summary('HTTP intercom.status, quiet', quietSamples));
  console.log(summary('HTTP token API (one at a time)', tokenSamples));
  console.log(summary('  bare node:http, same JSON', bareSamples));
  console.log(
    `  token API with ${TOKEN_CLIENTS} clients: ${tokenThroughput.perSecond.toFixed(0)}/s (bare node:http: ${bareThroughput.perSecond.toFixed(0)}/s)`,
  );
  console.log(
    ssm
      ? `  SSM reads: ${ssmReads} for ${tokenRequests} token requests = ${((ssmReads / tokenRequests) * 1000).toFixed(2)} per 1,000`
      : '  SSM reads: not counted (a secret backend is configured)',
  );
  console.log(summary(`HTTP intercom.status, ${ATTACKERS} bad sign-ins`, attackSamples));
  console.log(
    `  bad sign-ins during ${ATTACK_SECONDS} s: ${[...attackStatuses].map(([status, n]) => `${n}x ${status}`).join(', ')}`,
  );
  console.log(
    `memory: rss ${(mem.rss / 2 ** 20).toFixed(1)} MiB (start ${(rssStart / 2 ** 20).toFixed(1)} MiB), heap used ${(mem.heapUsed / 2 ** 20).toFixed(1)} MiB`,
  );
} finally {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await booted.shutdown();
  await ssm?.close();
}
process.exit(0);
