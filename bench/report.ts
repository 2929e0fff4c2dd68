/**
 * The figures of one `npm run bench`, their targets (issue: status throughput at least 0.6 of
 * the baseline's and p99 at most 1.5 times; the token API at least 0.5 of the baseline's; p50 at
 * 100,000 tenants within 1.2 times p50 at 10; no SSM read on status), and the printed table.
 */
import type { RouteSize } from './js-budget.js';
import type { LoadResult } from './load.js';

export interface Pair {
  app: LoadResult;
  baseline: LoadResult;
}

export interface BenchResults {
  date: string;
  node: string;
  cpus: number;
  connections: number;
  seconds: number;
  secretBackend: string;
  routes: Record<'healthz' | 'status' | 'token', Pair>;
  /** Status at a fixed rate, with the measured tenant among 10 and among 100,010. */
  statusAtScale: { rate: number; tenantsSmall: number; tenantsLarge: number; small: Pair; large: Pair };
  ssm: { readsDuringStatus: number; statusRequests: number; readsDuringToken: number; tokenRequests: number; perThousandTokenRequests: number };
  memory: { app: { rss: number; peak: number }; baseline: { rss: number; peak: number } };
  javascript: RouteSize[];
}

export interface Target {
  name: string;
  value: number;
  limit: string;
  met: boolean;
}

export function targets(r: BenchResults): Target[] {
  const ratio = (pair: Pair) => pair.app.perSecond / pair.baseline.perSecond;
  const p99 = r.routes.status.app.p99 / r.routes.status.baseline.p99;
  const scale = r.statusAtScale.large.app.p50 / r.statusAtScale.small.app.p50;
  return [
    { name: 'status throughput, app / baseline', value: ratio(r.routes.status), limit: '>= 0.6', met: ratio(r.routes.status) >= 0.6 },
    { name: 'status p99, app / baseline', value: p99, limit: '<= 1.5', met: p99 <= 1.5 },
    { name: 'token API throughput, app / baseline', value: ratio(r.routes.token), limit: '>= 0.5', met: ratio(r.routes.token) >= 0.5 },
    { name: `status p50 at ${r.statusAtScale.tenantsLarge} tenants / at ${r.statusAtScale.tenantsSmall}`, value: scale, limit: '<= 1.2', met: scale <= 1.2 },
    { name: 'SSM reads while serving status', value: r.ssm.readsDuringStatus, limit: '= 0', met: r.ssm.readsDuringStatus === 0 },
  ];
}

const num = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n: number) => num(n, 2);
const mib = (n: number) => `${num(n / 2 ** 20, 1)} MiB`;
const kb = (n: number) => `${num(n / 1024, 1)} KB`;

function table(rows: string[][], align: ('l' | 'r')[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (align[i] === 'l' ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd());
}

export function formatResults(r: BenchResults): string {
  const route = (name: string, pair: Pair) => [
    name,
    num(pair.app.perSecond),
    ms(pair.app.p50),
    ms(pair.app.p99),
    num(pair.baseline.perSecond),
    ms(pair.baseline.p50),
    ms(pair.baseline.p99),
    num(pair.app.perSecond / pair.baseline.perSecond, 2),
    num(pair.app.p99 / pair.baseline.p99, 2),
  ];
  const scale = r.statusAtScale;
  const lines = [
    `Plugboard benchmark, ${r.date}: node ${r.node}, ${r.cpus} CPUs, secret backend ${r.secretBackend}`,
    `Load: autocannon, ${r.connections} connections, ${r.seconds} s per run after a warm-up; app = dist/main.js (NODE_ENV=production), baseline = bench/baseline.mjs (node:http + pg)`,
    '',
    ...table(
      [
        ['route', 'app req/s', 'p50 ms', 'p99 ms', 'base req/s', 'p50 ms', 'p99 ms', 'req/s ratio', 'p99 ratio'],
        route('GET /healthz', r.routes.healthz),
        route('intercom.status (session)', r.routes.status),
        route('token API (service key)', r.routes.token),
      ],
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    `intercom.status at a steady ${scale.rate} requests/s:`,
    ...table(
      [
        ['', `p50 at ${num(scale.tenantsSmall)} tenants`, `p50 at ${num(scale.tenantsLarge)}`, 'ratio', `p99 at ${num(scale.tenantsSmall)}`, `p99 at ${num(scale.tenantsLarge)}`],
        ...(['app', 'baseline'] as const).map((who) => [
          who,
          `${ms(scale.small[who].p50)} ms`,
          `${ms(scale.large[who].p50)} ms`,
          num(scale.large[who].p50 / scale.small[who].p50, 2),
          `${ms(scale.small[who].p99)} ms`,
          `${ms(scale.large[who].p99)} ms`,
        ]),
      ],
      ['l', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    `SSM reads: ${r.ssm.readsDuringStatus} in ${num(r.ssm.statusRequests)} status requests; ${r.ssm.readsDuringToken} in ${num(
      r.ssm.tokenRequests,
    )} token requests = ${num(r.ssm.perThousandTokenRequests, 3)} per 1,000`,
    `Memory after the runs (resident / peak): app ${mib(r.memory.app.rss)} / ${mib(r.memory.app.peak)}; baseline ${mib(
      r.memory.baseline.rss,
    )} / ${mib(r.memory.baseline.peak)}`,
    '',
    'JavaScript per route (gzip, first visit; "+ later": fetched after hydration when used):',
    ...table(
      [['route', 'gzip', '+ later'], ...r.javascript.map((j) => [j.route, kb(j.gzipBytes), kb(j.lazyGzipBytes)])],
      ['l', 'r', 'r'],
    ),
    '',
    'Targets:',
    ...targets(r).map((t) => `  ${t.met ? 'met   ' : 'MISSED'}  ${t.name}: ${num(t.value, 2)} (${t.limit})`),
  ];
  return lines.join('\n');
}
