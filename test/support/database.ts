import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { openOrm, type Orm } from '../../db/orm.js';
import { apiKeyConnectors, resolveApiKeyConfig } from '../../server/apikey/config.js';
import { parseEnv } from '../../server/env.js';
import type { Logger } from '../../server/logger.js';
import type { ConnectorId } from '../../server/connectors/registry.js';
import { oauthConnectors, resolveOAuthConfig } from '../../server/oauth/config.js';
import type { SecretBackend } from '../../server/secrets/backend.js';
import { LocalSecretBackend } from '../../server/secrets/local-backend.js';
import { SecretStore } from '../../server/secrets/secret-store.js';
import type { AppServices } from '../../server/services.js';
import { withDatabase } from './global-setup.js';
import { captureLogs } from './logs.js';

export interface TestDatabase {
  url: string;
  orm: Orm;
  logs: ReturnType<typeof captureLogs>;
  services: AppServices;
  /** Run SQL directly, bypassing the ORM (to inspect raw rows). */
  sql<T extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
}

/** A fresh database per test file, cloned from the migrated template. */
export async function createTestDatabase(): Promise<TestDatabase & { drop(): Promise<void> }> {
  const adminUrl = inject('pgAdminUrl');
  const name = `${inject('pgRunPrefix')}${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}" template "${inject('pgTemplate')}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const orm = await openOrm(url, { poolMax: 4 });
  const logs = captureLogs();
  const services = testServices(orm, logs.logger);
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  return {
    url,
    orm,
    logs,
    services,
    sql: async (text, values) => (await pool.query(text, values)).rows,
    async drop() {
      await pool.end();
      await orm.close(true);
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Services for a test: the local secret backend with a random master key, unless given one. */
export function testServices(
  orm: Orm,
  logger: Logger,
  env: Record<string, string> = {},
  backend?: SecretBackend,
): AppServices {
  const parsed = parseEnv({ NODE_ENV: 'test', APP_URL: 'http://localhost:3000', ...env });
  const secretBackend =
    backend ?? new LocalSecretBackend({ orm, current: { version: 1, key: randomBytes(32) } });
  const runtimeEnv = { ...parsed, SESSION_SECRET: 'test-session-secret-test-session-secret' };
  return {
    env: runtimeEnv,
    logger,
    orm,
    secrets: new SecretStore(orm, secretBackend),
    oauth: new Map([
      ...oauthConnectors.map((d) => [d.id as ConnectorId, resolveOAuthConfig(d, runtimeEnv)] as const),
      // API-key connectors (docs/decisions/019-api-key-mode.md), reaching a stand-in through PROVIDER_ORIGIN_OVERRIDES.
      ...apiKeyConnectors.map((d) => [d.id as ConnectorId, resolveApiKeyConfig(d, runtimeEnv)] as const),
    ]),
  };
}

/** Registers the per-file database with beforeAll/afterAll and returns a lazy handle. */
export function useTestDatabase(): TestDatabase {
  let db: (TestDatabase & { drop(): Promise<void> }) | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });
  const get = () => {
    if (!db) throw new Error('useTestDatabase(): the database is only available inside tests');
    return db;
  };
  return {
    get url() {
      return get().url;
    },
    get orm() {
      return get().orm;
    },
    get logs() {
      return get().logs;
    },
    get services() {
      return get().services;
    },
    sql: (text, values) => get().sql(text, values),
  };
}
