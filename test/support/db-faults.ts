import { randomBytes } from 'node:crypto';
import type { Query } from './integrity.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The tables a connect or disconnect always writes: an unchanged reconnect issues no UPDATE of
 * its installation row, but always records an event.
 */
export const CONNECTION_TABLES = ['connector_installations', 'connector_events'] as const;

/**
 * Runs `fn` while Postgres refuses every insert or update of this tenant's rows in `tables`:
 * test-only triggers, created and dropped here, so a commit fails for real (not a mock) after
 * the token has gone to the secret backend.
 */
export async function withConnectionWritesFailing<T>(
  sql: Query,
  tenantId: string,
  fn: () => Promise<T>,
  tables: readonly string[] = CONNECTION_TABLES,
): Promise<T> {
  if (!UUID.test(tenantId)) throw new Error(`not a uuid: ${tenantId}`);
  const name = `test_refuse_write_${randomBytes(4).toString('hex')}`;
  await sql(
    `create function ${name}() returns trigger language plpgsql as $$
       begin raise exception 'test trigger: % write refused', tg_table_name; end $$`,
  );
  for (const table of tables) {
    await sql(
      `create trigger ${name} before insert or update on ${table}
         for each row when (new.tenant_id = '${tenantId}'::uuid) execute function ${name}()`,
    );
  }
  try {
    return await fn();
  } finally {
    for (const table of tables) await sql(`drop trigger if exists ${name} on ${table}`);
    await sql(`drop function if exists ${name}()`);
  }
}
