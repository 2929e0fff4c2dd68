/**
 * Vitest global setup: one real PostgreSQL for the whole run (embedded under .data/test, or
 * TEST_DATABASE_URL / DATABASE_URL), and a migrated template database that each test file
 * clones into its own database (see test/support/database.ts).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate, openOrm } from '../../db/orm.js';
import { installJobQueue } from '../../server/jobs/worker.js';
import { createLogger } from '../../server/logger.js';

/**
 * Names carry the run's start time, so concurrent runs on one cluster keep to their own
 * databases and a run only sweeps what interrupted runs left hours ago.
 */
const RUN = `${Math.floor(Date.now() / 1000)}_${process.pid}`;
const STALE_AFTER_SECONDS = 6 * 3600;

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
    pgRunPrefix: string;
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // Tests that start the server as its own process run dist/main.js, as production does: compile
  // it from the current source once per run (about a tenth of a second), so it is never stale.
  execFileSync(process.execPath, ['build-server.mjs', '--quiet'], { cwd: path.resolve(import.meta.dirname, '../..'), stdio: 'inherit' });
  const external = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  let stop = async () => {};
  const template = `plugboard_test_${RUN}_template`;
  let adminUrl: string;
  if (external) {
    adminUrl = withDatabase(external, 'postgres');
  } else {
    const { startEmbeddedPostgres } = await import('../../db/embedded-postgres.js');
    const embedded = await startEmbeddedPostgres({
      // A run on another port gets its own cluster folder too: two runs never share one.
      dataDir: path.resolve(
        process.env.TEST_DATA_DIR ?? (process.env.TEST_EMBEDDED_PG_PORT ? `.data/test-${process.env.TEST_EMBEDDED_PG_PORT}` : '.data/test'),
      ),
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
    const { rows } = await admin.query<{ datname: string }>(
      "select datname from pg_database where datname like 'plugboard_test_%'",
    );
    const now = Math.floor(Date.now() / 1000);
    for (const { datname } of rows) {
      const started = Number(/^plugboard_test_(\d+)_/.exec(datname)?.[1] ?? 0);
      if (now - started > STALE_AFTER_SECONDS) await admin.query(`drop database if exists "${datname}" with (force)`);
    }
    await admin.query(`create database "${template}"`);
  } finally {
    await admin.end();
  }
  const orm = await openOrm(withDatabase(adminUrl, template), { poolMax: 1 });
  await migrate(orm);
  await orm.close(true);
  await installJobQueue(withDatabase(adminUrl, template), createLogger({ level: 'warn' }));

  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);
  project.provide('pgRunPrefix', `plugboard_test_${RUN}_`);
  return async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      const { rows: mine } = await client.query<{ datname: string }>(
        'select datname from pg_database where starts_with(datname, $1)',
        [`plugboard_test_${RUN}_`],
      );
      for (const { datname } of mine) await client.query(`drop database if exists "${datname}" with (force)`);
    } finally {
      await client.end();
    }
    await stop();
  };
}
