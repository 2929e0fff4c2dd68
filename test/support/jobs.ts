import { runOnce } from 'graphile-worker';
import { taskList, workerLogger } from '../../server/jobs/worker.js';
import type { TestDatabase } from './database.js';

/**
 * Runs every job that is due now with the real task list, then returns: deterministic stepping
 * for tests that check what a job did (revocation, repair). Jobs a run schedules for later
 * (retries with back-off) stay queued.
 */
export async function runDueJobs(db: Pick<TestDatabase, 'url' | 'services'>): Promise<void> {
  await runOnce({ connectionString: db.url, taskList: taskList(db.services), logger: workerLogger(db.services.logger) });
}
