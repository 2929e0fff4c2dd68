import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { beforeEach, describe, expect, it } from 'vitest';
import { makeTenant } from '../../test/support/factories.js';
import { useTestDatabase } from '../../test/support/database.js';
import { LocalSecretBackend, type MasterKey } from './local-backend.js';
import { seal, secretAssociatedData } from './local-crypto.js';
import { SecretValue } from './secret-value.js';

const db = useTestDatabase();
const tenant = async () => (await makeTenant(db.orm.em.fork())).id;
const key = (version: number): MasterKey => ({ version, key: randomBytes(32) });
const backend = (current: MasterKey, previous: MasterKey[] = []) => new LocalSecretBackend({ orm: db.orm, current, previous });
const token = () => `tok_${randomBytes(8).toString('hex')}`;

beforeEach(async () => {
  await db.sql('delete from secret_values');
  await db.sql('delete from secret_key_checks');
});

describe('re-encryption after a master key rotation', () => {
  it('moves every row to the current key, in batches, and counts what it did', async () => {
    const a = key(1);
    const b = key(2);
    const values = new Map<string, string>();
    const old = backend(a);
    const tenants = [await tenant(), await tenant(), await tenant()];
    for (const t of tenants) {
      for (const k of ['INTERCOM_ACCESS_TOKEN', 'OTHER_TOKEN']) {
        const v = token();
        values.set(`${t}/${k}`, v);
        await old.put(t, k, new SecretValue(v));
      }
    }
    const rotated = backend(b, [a]);
    await rotated.verifyKeys();
    const fresh = token();
    const t4 = await tenant();
    values.set(`${t4}/INTERCOM_ACCESS_TOKEN`, fresh);
    await rotated.put(t4, 'INTERCOM_ACCESS_TOKEN', new SecretValue(fresh)); // already under version 2
    const before = await db.sql<{ id: string; version: number; updated_at: Date }>('select id, version, updated_at from secret_values order by id');

    const report = await rotated.reencrypt({ batchSize: 2 });
    expect(report).toEqual({
      keyVersion: 2,
      total: 7,
      reencrypted: 6,
      alreadyCurrent: 1,
      failed: 0,
      changed: 0,
      failures: [],
      remaining: 0,
    });
    expect(await db.sql('select distinct key_version from secret_values')).toEqual([{ key_version: 2 }]);
    // The value did not change, so neither do its write count and modification time.
    expect(await db.sql('select id, version, updated_at from secret_values order by id')).toEqual(before);

    // Readable with the new key alone, and a start without the old key is accepted now.
    const withoutOld = backend(b);
    await withoutOld.verifyKeys();
    for (const [where, value] of values) {
      const [t, k] = where.split('/') as [string, string];
      expect((await withoutOld.get(t, k))?.reveal()).toBe(value);
    }

    // Running again finds nothing to do.
    expect(await withoutOld.reencrypt()).toMatchObject({ total: 7, reencrypted: 0, alreadyCurrent: 7, remaining: 0 });
  });

  it('names rows it cannot decrypt, never their values, and leaves them as they were', async () => {
    const a = key(1);
    const [t1, t2] = [await tenant(), await tenant()];
    const secret = token();
    await backend(a).put(t1, 'INTERCOM_ACCESS_TOKEN', new SecretValue(secret));
    await backend(a).put(t2, 'INTERCOM_ACCESS_TOKEN', new SecretValue(token()));
    // Damage one row: flip every bit of its first ciphertext byte (always a change).
    await db.sql("update secret_values set ciphertext = set_byte(ciphertext, 0, get_byte(ciphertext, 0) # 255) where tenant_id = $1", [t2]);

    const report = await backend(key(2), [a]).reencrypt();
    expect(report).toMatchObject({ total: 2, reencrypted: 1, alreadyCurrent: 0, failed: 1, changed: 0, remaining: 1 });
    expect(report.failures).toEqual([{ tenantId: t2, key: 'INTERCOM_ACCESS_TOKEN', reason: expect.stringMatching(/authentication failed/) }]);
    expect(JSON.stringify(report)).not.toContain(secret);
    expect(await db.sql('select key_version from secret_values where tenant_id = $1', [t2])).toEqual([{ key_version: 1 }]);
  });

  it('does not overwrite a row written while it runs: the newer value is the one re-encrypted', async () => {
    const a = key(1);
    const b = key(2);
    const t = await tenant();
    await backend(a).put(t, 'INTERCOM_ACCESS_TOKEN', new SecretValue('tok_original'));

    // A process still on the old key rewrites the row while re-encryption has read it: hold the
    // row locked in another transaction, let re-encryption block on its update, then commit.
    const writer = new pg.Client({ connectionString: db.url });
    await writer.connect();
    try {
      await writer.query('begin');
      await writer.query('select 1 from secret_values where tenant_id = $1 for update', [t]);
      const running = backend(b, [a]).reencrypt();
      await waitForLockWait(writer);
      const newer = seal(a.key, Buffer.from('tok_newer'), secretAssociatedData(t, 'INTERCOM_ACCESS_TOKEN'));
      await writer.query(
        'update secret_values set nonce = $2, ciphertext = $3, version = version + 1, updated_at = now() where tenant_id = $1',
        [t, newer.nonce, newer.ciphertext],
      );
      await writer.query('commit');
      const report = await running;
      expect(report).toMatchObject({ total: 1, reencrypted: 1, failed: 0, changed: 0, remaining: 0 });
    } finally {
      await writer.end();
    }
    expect((await backend(b).get(t, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe('tok_newer');
    expect(await db.sql('select key_version, version from secret_values where tenant_id = $1', [t])).toEqual([{ key_version: 2, version: 2 }]);
  });
});

/** Until some other session of this database waits for a lock (the re-encryption's update). */
async function waitForLockWait(client: pg.Client): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    const { rows } = await client.query(
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()",
    );
    if ((rows[0] as { n: number }).n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('re-encryption never blocked on the locked row');
}
