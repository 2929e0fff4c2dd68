/**
 * The load generator for `npm run bench` (docs/decisions/020-compiled-server.md): autocannon,
 * with every response's time kept to the microsecond (its own histogram rounds to whole
 * milliseconds, too coarse for a sub-millisecond p50), and any answer other than 200 counted
 * as a failure of the run.
 */
import type { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
  /** Requests per second over all connections; unset: as fast as the server answers. */
  rate?: number;
  /** Seconds of load before the measured run, whose answers are not counted. */
  warmupSeconds?: number;
}

export interface LoadResult {
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  mean: number;
  failures: number;
}

function percentile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

async function once(options: LoadOptions, seconds: number): Promise<LoadResult> {
  const times: number[] = [];
  let failures = 0;
  const started = performance.now();
  // Without a callback autocannon returns its tracker: an event emitter that is also a promise.
  const instance = autocannon({
    url: options.url,
    headers: options.headers,
    connections: options.connections,
    duration: seconds,
    ...(options.rate ? { overallRate: options.rate } : {}),
  }) as unknown as EventEmitter & Promise<autocannon.Result>;
  void instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode === 200) times.push(responseTime);
    else failures += 1;
  });
  const result = await instance;
  const elapsed = (performance.now() - started) / 1000;
  failures += result.errors + result.timeouts;
  times.sort((a, b) => a - b);
  return {
    requests: times.length,
    perSecond: times.length / elapsed,
    p50: percentile(times, 0.5),
    p99: percentile(times, 0.99),
    mean: times.reduce((a, b) => a + b, 0) / (times.length || 1),
    failures,
  };
}

/** A warm-up run (discarded), then the measured run. Throws when any answer was not a 200. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  if (options.warmupSeconds) await once(options, options.warmupSeconds);
  const result = await once(options, options.seconds);
  if (result.failures) throw new Error(`${options.url}: ${result.failures} requests failed or were not answered 200`);
  return result;
}

/**
 * A steady stream: request i leaves at start + i / rate seconds, whether or not earlier ones
 * have been answered (an open loop, over up to `connections` kept-alive sockets), so the
 * figures are each request's own time, not a queue's. autocannon's own rate limit sends each
 * second's requests back to back, a burst that would measure its own queue.
 */
export async function paced(options: LoadOptions & { rate: number }): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const once = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const req = request(options.url, { agent, headers: options.headers }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`answered ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end();
    });
  const stream = async (seconds: number) => {
    const total = Math.round(seconds * options.rate);
    const start = performance.now();
    const pending: Promise<number>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / options.rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      pending.push(once());
    }
    return { times: await Promise.all(pending), elapsed: (performance.now() - start) / 1000 };
  };
  try {
    if (options.warmupSeconds) await stream(options.warmupSeconds);
    const { times, elapsed } = await stream(options.seconds);
    times.sort((a, b) => a - b);
    return {
      requests: times.length,
      perSecond: times.length / elapsed,
      p50: percentile(times, 0.5),
      p99: percentile(times, 0.99),
      mean: times.reduce((a, b) => a + b, 0) / times.length,
      failures: 0,
    };
  } finally {
    agent.destroy();
  }
}

/** Each figure's median over several runs of the same load (requests: their total). */
export function median(results: LoadResult[]): LoadResult {
  const mid = (pick: (r: LoadResult) => number) => {
    const values = results.map(pick).sort((a, b) => a - b);
    const half = Math.floor(values.length / 2);
    return values.length % 2 ? values[half]! : (values[half - 1]! + values[half]!) / 2;
  };
  return {
    requests: results.reduce((n, r) => n + r.requests, 0),
    perSecond: mid((r) => r.perSecond),
    p50: mid((r) => r.p50),
    p99: mid((r) => r.p99),
    mean: mid((r) => r.mean),
    failures: results.reduce((n, r) => n + r.failures, 0),
  };
}

/** Resident memory of a process now and at its peak, in bytes (Linux /proc). */
export function processMemory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}
