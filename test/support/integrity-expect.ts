/**
 * Assertions and figures for the integrity suites: every scenario ends with `expectIntact`, which
 * prints the scenario's orphan and half-state counts (the "before" and "after" figures a fix
 * reports) and fails with the violations, by hash, when there are any.
 */
import { expect } from 'vitest';
import { describeReport, type IntegrityReport } from './integrity.js';

export interface Tally {
  runs: number;
  orphans: number;
  halfStates: number;
  /** Runs that ended with at least one violation. */
  broken: number;
  /** The report of the first broken run, for the failure message. */
  firstBroken: IntegrityReport | undefined;
}

export function newTally(): Tally {
  return { runs: 0, orphans: 0, halfStates: 0, broken: 0, firstBroken: undefined };
}

export function addToTally(tally: Tally, report: IntegrityReport): void {
  tally.runs += 1;
  tally.orphans += report.orphans.length;
  tally.halfStates += report.halfStates.length;
  if (report.orphans.length + report.halfStates.length > 0) {
    tally.broken += 1;
    tally.firstBroken ??= report;
  }
}

/** One line per scenario on stdout, whatever the outcome: `[integrity] <label>: orphans=N halfStates=M`. */
export function recordFigures(label: string, figures: { orphans: number; halfStates: number; runs?: number; broken?: number }): void {
  const runs = figures.runs === undefined ? '' : ` runs=${figures.runs} broken=${figures.broken ?? 0}`;
  console.log(`[integrity] ${label}: orphans=${figures.orphans} halfStates=${figures.halfStates}${runs}`);
}

/** `soft`: record the failure and go on, for a scenario with several checkpoints. */
export function expectIntact(report: IntegrityReport, label: string, options: { soft?: boolean } = {}): void {
  recordFigures(label, { orphans: report.orphans.length, halfStates: report.halfStates.length });
  (options.soft ? expect.soft : expect)(
    { orphans: report.orphans.length, halfStates: report.halfStates.length },
    `${label}: integrity violated\n${describeReport(report)}`,
  ).toEqual({ orphans: 0, halfStates: 0 });
}

export function expectTallyIntact(tally: Tally, label: string): void {
  recordFigures(label, tally);
  expect(
    { orphans: tally.orphans, halfStates: tally.halfStates },
    `${label}: ${tally.broken} of ${tally.runs} runs broke integrity; the first:\n` +
      (tally.firstBroken ? describeReport(tally.firstBroken) : ''),
  ).toEqual({ orphans: 0, halfStates: 0 });
}
