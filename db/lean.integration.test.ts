import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../test/support/database.js';
import { leanExecute, leanQuery } from './lean.js';

const db = useTestDatabase();

describe('lean queries', () => {
  it('parse timestamps as Dates and jsonb as objects, though the ORM keeps timestamps as strings', async () => {
    const [row] = await leanQuery<{ at: Date; doc: { a: number }; n: number }>(
      db.orm,
      { name: 'lean_test_types', text: `select timestamptz '2026-11-26 10:00:00+00' as at, '{"a":1}'::jsonb as doc, 7::int as n` },
      [],
    );
    expect(row!.at).toBeInstanceOf(Date);
    expect(row!.at.toISOString()).toBe('2026-11-26T10:00:00.000Z');
    expect(row!.doc).toEqual({ a: 1 });
    expect(row!.n).toBe(7);
    // The ORM's own raw queries are unaffected (its type parsers stay on its connections).
    const [orm] = await db.orm.em.getConnection().execute<{ at: unknown }[]>(`select timestamptz '2026-11-26 10:00:00+00' as at`);
    expect(typeof orm!.at).toBe('string');
  });

  it('reuse a named statement with new values on the same pooled connections', async () => {
    const statement = { name: 'lean_test_echo', text: 'select $1::text as v' };
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => leanQuery<{ v: string }>(db.orm, statement, [`v${i}`])));
    expect(answers.map(([row]) => row!.v)).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
  });

  it('give every connection back to the pool when a statement fails', async () => {
    // The test pool holds 4 connections: 12 failures in a row would exhaust it if one leaked.
    const failing = { name: 'lean_test_fail', text: 'select 1 / $1::int as x' };
    for (let i = 0; i < 12; i++) await expect(leanQuery(db.orm, failing, [0])).rejects.toThrow(/division by zero/);
    expect(await leanQuery<{ x: number }>(db.orm, failing, [1])).toEqual([{ x: 1 }]);
    await db.orm.em.fork().getConnection().execute('select 1');
  });

  it('are announced to the pool\'s query listeners like the ORM\'s own statements', async () => {
    const knex = db.orm.em.getConnection().getKnex();
    const seen: { sql: string; bindings: unknown[] }[] = [];
    const listener = (query: { sql: string; bindings: unknown[] }) => seen.push(query);
    knex.on('query', listener);
    try {
      await leanQuery(db.orm, { name: 'lean_test_seen', text: 'select $1::int as n' }, [3]);
    } finally {
      knex.off('query', listener);
    }
    expect(seen).toEqual([expect.objectContaining({ sql: 'select $1::int as n', bindings: [3] })]);
  });

  it('count the rows a conditional update touched', async () => {
    await db.sql(`insert into tenants (id, created_at, updated_at, slug, name) values (gen_random_uuid(), now(), now(), 'lean', 'Lean')`);
    const rename = { name: 'lean_test_rename', text: 'update tenants set name = $2 where slug = $1 and name <> $2' };
    expect(await leanExecute(db.orm, rename, ['lean', 'Renamed'])).toBe(1);
    expect(await leanExecute(db.orm, rename, ['lean', 'Renamed'])).toBe(0);
  });
});
