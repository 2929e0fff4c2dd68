import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrationsList } from '../migrations/index.js';
import { CONNECT_TIMEOUT_MS } from './connection-errors.js';
import { entities } from './entities/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface OrmConfigOptions {
  clientUrl: string;
  /** Forwarded MikroORM log lines (queries are only logged at debug). */
  debug?: boolean;
  poolMax?: number;
}

/**
 * The one ORM configuration. Entities and migrations are listed explicitly (static imports),
 * so the same config works under tsx, vitest and the MikroORM CLI without path discovery.
 */
export function createOrmConfig(options: OrmConfigOptions): Options {
  return defineConfig({
    clientUrl: options.clientUrl,
    entities,
    discovery: { warnWhenNoEntities: true },
    extensions: [Migrator],
    debug: options.debug ?? false,
    pool: { min: 0, max: options.poolMax ?? 10 },
    // A pooled connection gives up on a silent host like the start-up check does.
    driverOptions: { connection: { connectionTimeoutMillis: CONNECT_TIMEOUT_MS } },
    // A mistyped database name in DATABASE_URL must fail, not create and migrate an empty
    // database. The embedded cluster and the test setup create theirs explicitly.
    ensureDatabase: false,
    forceUtcTimezone: true,
    // Each request forks its own EntityManager (see server/trpc/init.ts); the global one is
    // never used for work, and this makes any accidental use fail loudly.
    allowGlobalContext: false,
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: path.join(root, 'migrations'),
      pathTs: path.join(root, 'migrations'),
      emit: 'ts',
      snapshotName: '.snapshot',
      migrationsList,
      transactional: true,
      allOrNothing: true,
      dropTables: false,
      safe: false,
      silent: true,
    },
  });
}

// For the MikroORM CLI (`npx mikro-orm ...`), which needs DATABASE_URL. The project's own
// commands (`npm run db:*`) also start the embedded database when it is not set.
export default createOrmConfig({ clientUrl: process.env.DATABASE_URL ?? 'postgresql://localhost/plugboard' });
