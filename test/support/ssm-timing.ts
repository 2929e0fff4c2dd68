/**
 * Timing faults for the loopback SSM endpoint (test/support/ssm-endpoint.ts): the cases where a
 * request takes effect but its answer comes too late, and random latency on every request. They
 * are what turns "correct one request at a time" into races a test can reproduce: a write that
 * the client gave up on but the store applied, and two flows whose SSM calls interleave.
 */

/** Which requests a timing rule applies to: an operation, and optionally a parameter name. */
export interface TimingMatch {
  operation?: string;
  /** Compared with `Name`, or with each of `Names`: equal to a string, or matching a RegExp. */
  name?: string | RegExp;
}

export interface LatencyRange {
  minMs: number;
  maxMs: number;
}

export interface TimingFaults {
  /**
   * The next `count` matching requests are applied to the store at once, and answered only after
   * `ms`: "it worked, but the client timed out", which the `delayNext` fault (applied late) is not.
   */
  lateAnswerNext(count: number, ms: number, operation?: string, nameMatch?: string | RegExp): void;
  /** Every matching request waits a random time in [minMs, maxMs] before it is applied, until clear(). */
  latency(range: LatencyRange, operation?: string): void;
}

/** What the endpoint does with one request: wait before applying it, and hold its answer after. */
export interface TimingPlan {
  beforeApplyMs: number;
  /** Set when a late-answer rule took the request. */
  lateAnswerMs: number | undefined;
}

interface LateRule {
  remaining: number;
  ms: number;
  match: TimingMatch;
}

interface LatencyRule {
  range: LatencyRange;
  match: TimingMatch;
}

function namesOf(body: Record<string, unknown> | null): string[] {
  if (!body) return [];
  if (typeof body.Name === 'string') return [body.Name];
  return Array.isArray(body.Names) ? body.Names.filter((n): n is string => typeof n === 'string') : [];
}

function matches(match: TimingMatch, operation: string, body: Record<string, unknown> | null): boolean {
  if (match.operation !== undefined && match.operation !== operation) return false;
  const wanted = match.name;
  if (wanted === undefined) return true;
  return namesOf(body).some((name) => (typeof wanted === 'string' ? name === wanted : wanted.test(name)));
}

function checkMs(ms: number, what: string): void {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`${what} must be a non-negative number of milliseconds`);
}

export function createTimingFaults(random: () => number = Math.random): {
  api: TimingFaults;
  /** Consumes a late-answer rule if one matches; `undefined` when no timing rule applies. */
  plan(operation: string, body: Record<string, unknown> | null): TimingPlan | undefined;
  clear(): void;
} {
  let late: LateRule[] = [];
  let latencies: LatencyRule[] = [];

  return {
    api: {
      lateAnswerNext(count, ms, operation, nameMatch) {
        if (!(count > 0)) throw new RangeError('A fault needs a positive count');
        checkMs(ms, 'lateAnswerNext');
        late.push({ remaining: count, ms, match: { operation, name: nameMatch } });
      },
      latency(range, operation) {
        checkMs(range.minMs, 'latency minMs');
        checkMs(range.maxMs, 'latency maxMs');
        if (range.maxMs < range.minMs) throw new RangeError('latency maxMs must not be below minMs');
        latencies.push({ range: { ...range }, match: { operation } });
      },
    },
    plan(operation, body) {
      const lateRule = late.find((r) => r.remaining > 0 && matches(r.match, operation, body));
      if (lateRule) {
        lateRule.remaining -= 1;
        late = late.filter((r) => r.remaining > 0);
      }
      const latencyRule = latencies.find((r) => matches(r.match, operation, body));
      if (!lateRule && !latencyRule) return undefined;
      const beforeApplyMs = latencyRule
        ? latencyRule.range.minMs + Math.round(random() * (latencyRule.range.maxMs - latencyRule.range.minMs))
        : 0;
      return { beforeApplyMs, lateAnswerMs: lateRule?.ms };
    },
    clear() {
      late = [];
      latencies = [];
    },
  };
}
