import { MikroORM } from '@mikro-orm/postgresql';
import { checkDatabaseConnection } from './connection-errors.js';
import { createOrmConfig } from './mikro-orm.config.js';

export type Orm = MikroORM;

/**
 * One ORM per process: the server, the CLI and each test file each open exactly one.
 * One connection is tried first, so an unreachable server or a wrong password rejects with a
 * DatabaseConnectionError (one line, no password) within the connect timeout.
 */
export async function openOrm(clientUrl: string, options: { poolMax?: number } = {}): Promise<Orm> {
  await checkDatabaseConnection(clientUrl);
  return MikroORM.init(createOrmConfig({ clientUrl, ...options }));
}

export interface MigrationReport {
  applied: string[];
  pending: string[];
}

export async function migrate(orm: Orm): Promise<string[]> {
  const executed = await orm.getMigrator().up();
  return executed.map((m) => m.name);
}

export async function migrationStatus(orm: Orm): Promise<MigrationReport> {
  const migrator = orm.getMigrator();
  const applied = (await migrator.getExecutedMigrations()).map((m) => m.name);
  const pending = (await migrator.getPendingMigrations()).map((m) => m.name);
  return { applied, pending };
}
