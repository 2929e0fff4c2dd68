import { resolveDatabase } from '../db/database.js';
import { migrate, openOrm } from '../db/orm.js';
import type { Env } from './env.js';
import { installJobQueue } from './jobs/worker.js';
import type { Logger } from './logger.js';
import { resolveOAuthConfigs } from './oauth/config.js';
import { createSecretBackend, SecretStore } from './secrets/secret-store.js';
import { toRuntimeEnv } from './runtime-env.js';
import type { AppServices } from './services.js';

export interface Booted {
  services: AppServices;
  embeddedDatabase: boolean;
  /** For the job worker, which keeps its own small pool. */
  databaseUrl: string;
  /** Closes the ORM, then stops the embedded database. Safe to call twice. */
  shutdown(): Promise<void>;
}

/** Database, migrations and services: shared by the server and the CLI. */
export interface BootOptions {
  poolMax?: number;
  /** Start provider sandboxes for unconfigured connectors (the server does; the CLI does not). */
  sandboxes?: boolean;
}

export async function boot(env: Env, logger: Logger, options: BootOptions = {}): Promise<Booted> {
  const database = await resolveDatabase(env, logger);
  const orm = await openOrm(database.url, { poolMax: options.poolMax }).catch(async (error: unknown) => {
    await database.stop();
    throw error;
  });
  let closeSandboxes = async () => {};
  const shutdown = once(async () => {
    await closeSandboxes();
    await orm.close(true);
    await database.stop();
  });
  try {
    const applied = await migrate(orm);
    if (applied.length) logger.info({ migrations: applied }, 'applied migrations');
    await installJobQueue(database.url, logger);
    const runtimeEnv = toRuntimeEnv(env);
    const secrets = new SecretStore(orm, createSecretBackend(runtimeEnv, orm, logger));
    await secrets.backend.verifyKeys?.(); // a wrong master key stops the start here
    logger.info({ backend: secrets.backend.kind }, 'secret store ready');
    const oauth = await resolveOAuthConfigs(runtimeEnv, logger, { sandboxes: options.sandboxes ?? false });
    closeSandboxes = oauth.close;
    const services: AppServices = { env: runtimeEnv, logger, orm, secrets, oauth: oauth.configs };
    return { services, embeddedDatabase: database.embedded, databaseUrl: database.url, shutdown };
  } catch (error) {
    await shutdown();
    throw error;
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}
