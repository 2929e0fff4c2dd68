import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrationsList } from '../migrations/index.js';
import { useTestDatabase } from '../test/support/database.js';
import { migrationStatus } from './orm.js';

const db = useTestDatabase();

describe('migrations', () => {
  it('agree with the entities: no schema change is waiting for a migration', async () => {
    expect(await db.orm.getMigrator().checkMigrationNeeded()).toBe(false);
  });

  it('are all listed in migrations/index.ts, in order, and all applied', async () => {
    const files = readdirSync(path.resolve('migrations'))
      .filter((f) => /^Migration\d{14}\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(migrationsList.map((m) => m.name)).toEqual(files);
    const { applied, pending } = await migrationStatus(db.orm);
    expect(pending).toEqual([]);
    expect(applied).toEqual(files);
  });
});
