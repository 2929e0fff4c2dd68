/**
 * `npm run worker`: the job worker on its own, for scale-out (the server also runs one unless
 * JOBS_IN_PROCESS=off). Several may run against one database; SIGTERM stops it after the jobs
 * in hand finish. Configuration failures print one line and exit 1, as the server's do.
 */
import { boot } from '../boot.js';
import { parseEnv } from '../env.js';
import { createLogger } from '../logger.js';
import { startupFailureMessage } from '../startup-errors.js';
import { startWorker } from './worker.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<void> {
  const env = parseEnv();
  const logger = createLogger({ level: env.LOG_LEVEL, pretty: env.NODE_ENV === 'development' });
  const booted = await boot(env, logger, { poolMax: env.WORKER_CONCURRENCY + 2 });
  const worker = await startWorker(booted.services, booted.databaseUrl).catch(async (error: unknown) => {
    await booted.shutdown().catch(() => {});
    throw error;
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker shutting down');
    worker
      .stop()
      .then(() => booted.shutdown())
      .catch((error: unknown) => logger.error({ err: error }, 'worker shutdown failed'))
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

try {
  await main();
} catch (error) {
  const message = startupFailureMessage(error);
  if (message === null) throw error;
  console.error(message);
  process.exit(1);
}
