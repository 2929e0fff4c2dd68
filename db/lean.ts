/**
 * Plain-row reads for the paths every request takes (the session behind a cookie, a connector's
 * status, the token API's lookups): one SQL statement straight to the driver, on a connection of
 * the ORM's own pool, with no query building and no entity hydration
 * (docs/decisions/021-lean-hot-paths.md). Each statement is named, so PostgreSQL parses and plans
 * it once per connection. Rows come with the driver's standard parsing (timestamps as Date,
 * jsonb as objects). Writes, and anything that needs the unit of work, stay on the ORM.
 */
import pg from 'pg';
import type { Orm } from './orm.js';

/** A named statement: the name must be unique to the text (PostgreSQL keeps it per connection). */
export interface LeanStatement {
  readonly name: string;
  readonly text: string;
}

interface PgConnection {
  query(config: { name: string; text: string; values: unknown[]; types: typeof pg.types }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

interface KnexClient {
  emit(event: 'query', query: { sql: string; bindings: unknown[]; method: 'raw' }): boolean;
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<unknown>;
}

const clients = new WeakMap<Orm, KnexClient>();

function clientOf(orm: Orm): KnexClient {
  let client = clients.get(orm);
  if (!client) {
    client = (orm.em.getConnection().getKnex() as unknown as { client: KnexClient }).client;
    clients.set(orm, client);
  }
  return client;
}

async function run(orm: Orm, statement: LeanStatement, values: unknown[]) {
  const client = clientOf(orm);
  // Announced like the ORM's own statements, so whoever watches the pool's queries sees these.
  client.emit('query', { sql: statement.text, bindings: values, method: 'raw' });
  const connection = await client.acquireConnection();
  try {
    // The driver's own parsers: the ORM's connections keep timestamps as strings for itself.
    return await connection.query({ name: statement.name, text: statement.text, values, types: pg.types });
  } finally {
    await client.releaseConnection(connection);
  }
}

/** Runs one statement and returns its rows as the driver parsed them. */
export async function leanQuery<Row>(orm: Orm, statement: LeanStatement, values: unknown[]): Promise<Row[]> {
  return (await run(orm, statement, values)).rows as Row[];
}

/** Runs one statement and returns how many rows it touched (for a conditional UPDATE). */
export async function leanExecute(orm: Orm, statement: LeanStatement, values: unknown[]): Promise<number> {
  return (await run(orm, statement, values)).rowCount ?? 0;
}
