/**
 * Enqueueing jobs inside the caller's transaction. graphile-worker's `add_job()` is a SQL
 * function, so a job is queued by the same commit as the state change that makes it necessary,
 * or not at all (docs/decisions/008-job-queue.md).
 */
import type { EntityManager } from '@mikro-orm/postgresql';

export interface EnqueueOptions {
  /** When to run (default now). */
  runAt?: Date;
  /** Deduplicates: a second job with the same key replaces the first (or keeps its run time). */
  jobKey?: string;
  jobKeyMode?: 'replace' | 'preserve_run_at';
  /** graphile-worker's own retries, for crashes and unexpected errors (default 25). */
  maxAttempts?: number;
}

export type TaskName = 'revoke_grant' | 'reconcile' | 'repair_connection';

export async function enqueue(em: EntityManager, task: TaskName, payload: Record<string, unknown>, options: EnqueueOptions = {}) {
  await em.execute(
    `select graphile_worker.add_job(
       cast(? as text), cast(? as json),
       run_at => cast(? as timestamptz), max_attempts => cast(? as int),
       job_key => cast(? as text), job_key_mode => cast(? as text))`,
    [
      task,
      JSON.stringify(payload),
      (options.runAt ?? new Date()).toISOString(),
      options.maxAttempts ?? 25,
      options.jobKey ?? null,
      options.jobKeyMode ?? 'replace',
    ],
  );
}
