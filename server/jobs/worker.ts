/**
 * The job worker: graphile-worker running our tasks, inside the server process (unless
 * JOBS_IN_PROCESS=off) and as `npm run worker` for scale-out. Any number of workers may run on
 * one database: a job is locked by one of them (SKIP LOCKED), and a worker that dies has its
 * jobs unlocked and taken by another. docs/decisions/008-job-queue.md.
 */
import { Logger as WorkerLogger, run, runMigrations, type Runner, type TaskList } from 'graphile-worker';
import pg from 'pg';
import { z } from 'zod';
import { isConnectorId } from '../connectors/registry.js';
import { reconcile } from '../connections/reconciler.js';
import { repairConnection } from '../connections/repair.js';
import type { Logger } from '../logger.js';
import { runRevokeGrant } from '../oauth/revoke-job.js';
import type { AppServices } from '../services.js';
import { startSweeper } from '../tokens/sweep.js';
import { enqueue } from './queue.js';

const grantPayload = z.object({ grantId: z.uuid() });
const scopePayload = z.object({ tenantId: z.uuid(), connector: z.string().refine(isConnectorId) });
const reconcilePayload = z.object({ full: z.boolean().default(false) });

/** Creates or upgrades the queue's own schema (`graphile_worker`); idempotent. */
export async function installJobQueue(databaseUrl: string, logger: Logger): Promise<void> {
  await runMigrations({ connectionString: databaseUrl, logger: workerLogger(logger) });
}

export function taskList(services: AppServices): TaskList {
  const { logger, env } = services;
  return {
    revoke_grant: async (payload) => runRevokeGrant(services, grantPayload.parse(payload)),
    repair_connection: async (payload) => {
      const scope = scopePayload.parse(payload) as { tenantId: string; connector: Parameters<typeof repairConnection>[1]['connector'] };
      await repairConnection(services, scope, logger.child({ job: 'repair_connection' }));
    },
    reconcile: async (payload) => {
      try {
        await reconcile(services, reconcilePayload.parse(payload ?? {}));
      } finally {
        // The next pass; the key keeps one pass queued however many instances run this.
        await enqueue(services.orm.em.fork(), 'reconcile', {}, {
          runAt: new Date(Date.now() + env.RECONCILE_INTERVAL_SECONDS * 1000),
          jobKey: 'reconcile',
        });
      }
    },
  };
}

export interface Worker {
  stop(): Promise<void>;
}

export async function startWorker(services: AppServices, databaseUrl: string): Promise<Worker> {
  // Our own pool, not one graphile-worker makes: it has an error listener from the first moment
  // (PostgreSQL ending an idle connection must never be an unhandled 'error' event that kills
  // the process) and it is ended before the caller goes on to stop the database.
  const pgPool = new pg.Pool({ connectionString: databaseUrl, max: services.env.WORKER_CONCURRENCY + 2 });
  pgPool.on('error', (error) => services.logger.warn({ err: error, component: 'jobs' }, 'a job-queue database connection ended'));
  const runner: Runner = await run({
    pgPool,
    concurrency: services.env.WORKER_CONCURRENCY,
    noHandleSignals: true,
    pollInterval: 1000,
    taskList: taskList(services),
    logger: workerLogger(services.logger),
  });
  // A full pass at every start: what a killed instance left behind is found at once.
  await enqueue(services.orm.em.fork(), 'reconcile', { full: true }, { jobKey: 'reconcile' });
  // Tokens are refreshed before they expire by every worker, each taking its own share.
  const sweeper = startSweeper(services);
  services.logger.info({ concurrency: services.env.WORKER_CONCURRENCY }, 'job worker started');
  return {
    stop: async () => {
      await sweeper.stop();
      await runner.stop();
      await pgPool.end();
    },
  };
}

/** graphile-worker's log lines through our logger; its routine chatter at debug. */
export function workerLogger(logger: Logger): WorkerLogger {
  const log = logger.child({ component: 'jobs' });
  return new WorkerLogger((scope) => (level, message, meta) => {
    // Only the scope (task, job id) and the error, through the sanitising `err` serializer.
    const error = meta && typeof meta === 'object' ? (meta as { error?: unknown }).error : undefined;
    const fields = { taskIdentifier: scope.taskIdentifier, jobId: scope.jobId, ...(error ? { err: error } : {}) };
    if (level === 'error') log.error(fields, message);
    else if (level === 'warning') log.warn(fields, message);
    else log.debug(fields, message);
  });
}
