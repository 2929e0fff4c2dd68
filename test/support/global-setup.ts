/**
 * Vitest global setup: one real PostgreSQL for the whole run (embedded under .data/test, or
 * TEST_DATABASE_URL / DATABASE_URL), and a migrated template database that each test file
 * clones into its own database (see test/support/database.ts).
 */
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate, openOrm } from '../../db/orm.js';
import { createLogger } from '../../server/logger.js';

export const TEMPLATE_DB = 'plugboard_test_template';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const external = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  let stop = async () => {};
  let adminUrl: string;
  if (external) {
    adminUrl = withDatabase(external, 'postgres');
  } else {
    const { startEmbeddedPostgres } = await import('../../db/embedded-postgres.js');
    const embedded = await startEmbeddedPostgres({
      dataDir: path.resolve('.data/test'),
      port: Number(process.env.TEST_EMBEDDED_PG_PORT ?? 54339),
      database: 'postgres',
      logger: createLogger({ level: 'warn' }),
    });
    adminUrl = embedded.urlFor('postgres');
    stop = () => embedded.stop();
  }

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // Leftovers of an interrupted run.
    const { rows } = await admin.query<{ datname: string }>(
      "select datname from pg_database where datname like 'plugboard_test_%'",
    );
    for (const { datname } of rows) await admin.query(`drop database if exists "${datname}" with (force)`);
    await admin.query(`create database "${TEMPLATE_DB}"`);
  } finally {
    await admin.end();
  }
  const orm = await openOrm(withDatabase(adminUrl, TEMPLATE_DB), { poolMax: 1 });
  await migrate(orm);
  await orm.close(true);

  project.provide('pgAdminUrl', adminUrl);
  return async () => {
    await stop();
  };
}
