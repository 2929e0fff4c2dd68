import { resolveDatabase } from '../db/database.js';
import { migrate, openOrm } from '../db/orm.js';
import type { Env } from './env.js';
import type { Logger } from './logger.js';
import { createSecretBackend, SecretStore } from './secrets/secret-store.js';
import { toRuntimeEnv, type AppServices } from './services.js';

export interface Booted {
  services: AppServices;
  embeddedDatabase: boolean;
  /** Closes the ORM, then stops the embedded database. Safe to call twice. */
  shutdown(): Promise<void>;
}

/** Database, migrations and services: shared by the server and the CLI. */
export async function boot(env: Env, logger: Logger, options: { poolMax?: number } = {}): Promise<Booted> {
  const database = await resolveDatabase(env, logger);
  const orm = await openOrm(database.url, options).catch(async (error: unknown) => {
    await database.stop();
    throw error;
  });
  const shutdown = once(async () => {
    await orm.close(true);
    await database.stop();
  });
  try {
    const applied = await migrate(orm);
    if (applied.length) logger.info({ migrations: applied }, 'applied migrations');
    const runtimeEnv = toRuntimeEnv(env);
    const secrets = new SecretStore(orm, createSecretBackend(runtimeEnv, orm, logger));
    logger.info({ backend: secrets.backend.kind }, 'secret store ready');
    const services: AppServices = { env: runtimeEnv, logger, orm, secrets };
    return { services, embeddedDatabase: database.embedded, shutdown };
  } catch (error) {
    await shutdown();
    throw error;
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}
