/**
 * The production server: `npm start`. Boots the database (embedded unless DATABASE_URL),
 * applies migrations, serves Remix and tRPC, and shuts down at once on SIGTERM.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ServerBuild } from '@remix-run/node';
import { seedDemoIfEmpty } from './auth/demo.js';
import { boot } from './boot.js';
import { EnvError, parseEnv } from './env.js';
import { createHttpApp } from './http/app.js';
import { startWorker } from './jobs/worker.js';
import { createLogger } from './logger.js';
import { authorizeOrigins } from './oauth/config.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

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
  const booted = await boot(env, logger, { sandboxes: true });
  const { services } = booted;

  let demo = null;
  if (booted.embeddedDatabase && env.NODE_ENV !== 'production') {
    demo = await seedDemoIfEmpty(services.orm.em.fork(), env.DATA_DIR);
  }

  const worker = env.JOBS_IN_PROCESS === 'on' ? await startWorker(services, booted.databaseUrl) : null;

  const build = (await import(pathToFileURL(path.join(root, 'build/index.js')).href)) as ServerBuild;
  const app = createHttpApp({ services, build, publicDir: path.join(root, 'public'), formActionOrigins: authorizeOrigins(services.oauth) });
  const server = app.listen(env.PORT, () => {
    logger.info({ port: env.PORT, url: services.env.APP_URL }, 'listening');
    const lines = [``, `  Plugboard is running at ${services.env.APP_URL}`, `  Sign in at ${services.env.APP_URL}/login`];
    if (demo) lines.push(`  Demo admin: ${demo.email} / ${demo.password}`, `  (saved in ${demo.file})`);
    else if (booted.embeddedDatabase) {
      lines.push(`  Demo credentials, if you kept the demo admin: ${path.resolve(env.DATA_DIR, 'demo-credentials.txt')}`);
    }
    console.log(`${lines.join('\n')}\n`);
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close();
    server.closeAllConnections();
    Promise.resolve(worker?.stop())
      .catch((error: unknown) => logger.error({ err: error }, 'stopping the job worker failed'))
      .then(() => booted.shutdown())
      .catch((error: unknown) => logger.error({ err: error }, 'shutdown failed'))
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
