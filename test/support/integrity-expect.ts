/**
 * Assertions and figures for the integrity suites: every scenario ends with `expectIntact`, which
 * prints the scenario's orphan and half-state counts (the "before" and "after" figures a fix
 * reports) and fails with the violations, by hash, when there are any; `expectOperatorClean`
 * holds the operator's own check (server/connections/integrity.ts) to the same standard.
 */
import { expect } from 'vitest';
import type { IntegrityReport as OperatorReport } from '../../server/connections/integrity.js';
import { describeReport, type IntegrityReport } from './integrity.js';

export interface Tally {
  runs: number;
  orphans: number;
  halfStates: number;
  /** Live grants that were waiting for their revocation job when a run was checked. */
  queued: number;
  /** Runs that ended with at least one violation. */
  broken: number;
  /** The report of the first broken run, for the failure message. */
  firstBroken: IntegrityReport | undefined;
}

export function newTally(): Tally {
  return { runs: 0, orphans: 0, halfStates: 0, queued: 0, broken: 0, firstBroken: undefined };
}

export function addToTally(tally: Tally, report: IntegrityReport): void {
  tally.runs += 1;
  tally.orphans += report.orphans.length;
  tally.halfStates += report.halfStates.length;
  tally.queued += report.queued;
  if (report.orphans.length + report.halfStates.length > 0) {
    tally.broken += 1;
    tally.firstBroken ??= report;
  }
}

/**
 * One line per scenario on stdout, whatever the outcome:
 * `[integrity] <label>: orphans=N halfStates=M` (then `queued=`, `runs=`, `broken=` when known).
 */
export function recordFigures(
  label: string,
  figures: { orphans: number; halfStates: number; queued?: number; runs?: number; broken?: number },
): void {
  const queued = figures.queued === undefined ? '' : ` queued=${figures.queued}`;
  const runs = figures.runs === undefined ? '' : ` runs=${figures.runs} broken=${figures.broken ?? 0}`;
  console.log(`[integrity] ${label}: orphans=${figures.orphans} halfStates=${figures.halfStates}${queued}${runs}`);
}

/**
 * `soft`: record the failure and go on, for a scenario with several checkpoints.
 * `settled`: the jobs have run, so nothing may still wait for revocation either: every grant
 * Plugboard does not hold is revoked at the provider.
 */
export function expectIntact(report: IntegrityReport, label: string, options: { soft?: boolean; settled?: boolean } = {}): void {
  recordFigures(label, { orphans: report.orphans.length, halfStates: report.halfStates.length, queued: report.queued });
  const expected = { orphans: 0, halfStates: 0, ...(options.settled ? { queued: 0 } : {}) };
  const actual = { orphans: report.orphans.length, halfStates: report.halfStates.length, ...(options.settled ? { queued: report.queued } : {}) };
  (options.soft ? expect.soft : expect)(actual, `${label}: integrity violated\n${describeReport(report)}`).toEqual(expected);
}

export function expectTallyIntact(tally: Tally, label: string): void {
  recordFigures(label, tally);
  expect(
    { orphans: tally.orphans, halfStates: tally.halfStates },
    `${label}: ${tally.broken} of ${tally.runs} runs broke integrity; the first:\n` +
      (tally.firstBroken ? describeReport(tally.firstBroken) : ''),
  ).toEqual({ orphans: 0, halfStates: 0 });
}

/**
 * The operator's check finds no I1 violation, and once settled nothing in flight either (no
 * intent, no pending, revoking or failed grant).
 */
export function expectOperatorClean(report: OperatorReport, label: string, options: { settled?: boolean } = {}): void {
  const found = {
    violations: report.violations.map((v) => `${v.tenantId.slice(0, 8)}/${v.connector}: ${v.problem}`),
    pending: options.settled ? report.pending.map((p) => `${p.kind} ${p.state} (${p.lastError ?? 'no error'})`) : [],
  };
  expect(found, `${label}: the operator's integrity check is not clean`).toEqual({ violations: [], pending: [] });
}
