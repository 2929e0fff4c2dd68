/**
 * `npm run worker`: the job worker on its own, for scale-out (the server also runs one unless
 * JOBS_IN_PROCESS=off). Several may run against one database; SIGTERM stops it after the jobs
 * in hand finish.
 */
import { boot } from '../boot.js';
import { EnvError, parseEnv } from '../env.js';
import { createLogger } from '../logger.js';
import { startWorker } from './worker.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<void> {
  let env;
  try {
    env = parseEnv();
  } catch (error) {
    if (error instanceof EnvError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: env.LOG_LEVEL });
  const booted = await boot(env, logger, { poolMax: env.WORKER_CONCURRENCY + 2 });
  const worker = await startWorker(booted.services, booted.databaseUrl);
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

await main();
