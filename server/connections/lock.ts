/**
 * One lock per connection (tenant + connector): completing an authorization, disconnecting,
 * refreshing and repairing are serialized by a transaction-scoped Postgres advisory lock, so
 * they hold across any number of app instances on one database.
 *
 * The lock is taken with `pg_try_advisory_xact_lock` in a loop rather than a blocking
 * `pg_advisory_xact_lock`: a waiter that blocked would hold a pooled connection while it waits,
 * and the holder needs a second connection to commit its intent (see grants.ts); twenty waiters
 * would then starve the pool and deadlock the holder. A waiter here releases its connection
 * between attempts.
 *
 * Never call a provider while holding the lock: exchange the code and identify the account
 * first. Secret-backend writes happen under it; they are what it protects.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../../db/orm.js';

export class ConnectionBusyError extends Error {
  override readonly name = 'ConnectionBusyError';
  constructor() {
    super('Another change to this connection is in progress. Please try again in a moment.');
  }
}

const NOT_ACQUIRED = Symbol('not acquired');
const lockName = (tenantId: string, connector: string) => `plugboard:connection:${tenantId}:${connector}`;

export interface LockOptions {
  /** Give up after this long (default 30 s). */
  waitMs?: number;
}

/** Tries once; returns `{ acquired: false }` without waiting when someone else holds it. */
export async function tryWithConnectionLock<T>(
  orm: Orm,
  tenantId: string,
  connector: string,
  fn: (tx: EntityManager) => Promise<T>,
): Promise<{ acquired: true; value: T } | { acquired: false }> {
  try {
    const value = await orm.em.fork().transactional(async (tx) => {
      const [row] = await tx.execute<{ locked: boolean }[]>(
        'select pg_try_advisory_xact_lock(hashtextextended(?, 0)) as locked',
        [lockName(tenantId, connector)],
      );
      if (!row?.locked) throw NOT_ACQUIRED;
      return fn(tx);
    });
    return { acquired: true, value };
  } catch (error) {
    if (error === NOT_ACQUIRED) return { acquired: false };
    throw error;
  }
}

/** Runs `fn` in a transaction holding the connection's lock; waits (politely) for it. */
export async function withConnectionLock<T>(
  orm: Orm,
  tenantId: string,
  connector: string,
  fn: (tx: EntityManager) => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.waitMs ?? 30_000);
  for (let attempt = 0; ; attempt += 1) {
    const result = await tryWithConnectionLock(orm, tenantId, connector, fn);
    if (result.acquired) return result.value;
    if (Date.now() >= deadline) throw new ConnectionBusyError();
    // Jittered, growing pause: 5–25 ms at first, at most 250 ms.
    const ceiling = Math.min(250, 25 * 2 ** Math.min(attempt, 4));
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * ceiling));
  }
}
