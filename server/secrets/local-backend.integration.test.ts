import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeTenant } from '../../test/support/factories.js';
import { useTestDatabase } from '../../test/support/database.js';
import { SecretBackendError } from './backend.js';
import { LocalSecretBackend } from './local-backend.js';
import { SecretValue } from './secret-value.js';

const db = useTestDatabase();
const SECRET = 'tok_local_plaintext_marker_42';
const tenant = async () => (await makeTenant(db.orm.em.fork())).id;

describe('local secret backend', () => {
  it('stores no plaintext: the raw row holds ciphertext, a 12-byte nonce and the key version', async () => {
    const backend = new LocalSecretBackend({ orm: db.orm, current: { version: 3, key: randomBytes(32) } });
    const t = await tenant();
    await backend.put(t, 'INTERCOM_ACCESS_TOKEN', new SecretValue(SECRET));
    const rows = await db.sql<{ ciphertext: Buffer; nonce: Buffer; key_version: number }>(
      'select ciphertext, nonce, key_version from secret_values where tenant_id = $1',
      [t],
    );
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.nonce).toHaveLength(12);
    expect(row.key_version).toBe(3);
    expect(row.ciphertext.toString('latin1')).not.toContain(SECRET);
    const dump = JSON.stringify(await db.sql('select * from secret_values'));
    expect(dump).not.toContain(SECRET);
    expect(dump).not.toContain(Buffer.from(SECRET).toString('hex'));
    expect(dump).not.toContain(Buffer.from(SECRET).toString('base64'));
  });

  it('uses a fresh nonce on every write', async () => {
    const backend = new LocalSecretBackend({ orm: db.orm, current: { version: 1, key: randomBytes(32) } });
    const t = await tenant();
    await backend.put(t, 'INTERCOM_ACCESS_TOKEN', new SecretValue(SECRET));
    const [first] = await db.sql<{ nonce: Buffer; ciphertext: Buffer }>('select nonce, ciphertext from secret_values where tenant_id = $1', [t]);
    await backend.put(t, 'INTERCOM_ACCESS_TOKEN', new SecretValue(SECRET));
    const [second] = await db.sql<{ nonce: Buffer; ciphertext: Buffer }>('select nonce, ciphertext from secret_values where tenant_id = $1', [t]);
    expect(first!.nonce.equals(second!.nonce)).toBe(false);
    expect(first!.ciphertext.equals(second!.ciphertext)).toBe(false);
  });

  it('a row copied to another tenant, or renamed to another key, fails to decrypt', async () => {
    const backend = new LocalSecretBackend({ orm: db.orm, current: { version: 1, key: randomBytes(32) } });
    const [a, b] = [await tenant(), await tenant()];
    await backend.put(a, 'INTERCOM_ACCESS_TOKEN', new SecretValue(SECRET));
    await db.sql(
      `insert into secret_values (id, created_at, updated_at, tenant_id, key, ciphertext, nonce, key_version, version)
       select gen_random_uuid(), now(), now(), $2, key, ciphertext, nonce, key_version, version from secret_values where tenant_id = $1`,
      [a, b],
    );
    await expect(backend.get(b, 'INTERCOM_ACCESS_TOKEN')).rejects.toThrow(/authentication failed/);
    await db.sql("update secret_values set key = 'OTHER_TOKEN' where tenant_id = $1", [b]);
    await expect(backend.get(b, 'OTHER_TOKEN')).rejects.toBeInstanceOf(SecretBackendError);
    expect((await backend.get(a, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(SECRET);
  });

  it('fails closed with a clear error under a wrong master key', async () => {
    const t = await tenant();
    await new LocalSecretBackend({ orm: db.orm, current: { version: 1, key: randomBytes(32) } }).put(
      t,
      'INTERCOM_ACCESS_TOKEN',
      new SecretValue(SECRET),
    );
    const wrong = new LocalSecretBackend({ orm: db.orm, current: { version: 1, key: randomBytes(32) } });
    const error = await wrong.get(t, 'INTERCOM_ACCESS_TOKEN').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretBackendError);
    expect(String(error)).toMatch(/wrong SECRETS_MASTER_KEY/);
    expect(String(error)).not.toContain(SECRET);
  });

  it('names a missing key version instead of guessing', async () => {
    const t = await tenant();
    await new LocalSecretBackend({ orm: db.orm, current: { version: 1, key: randomBytes(32) } }).put(
      t,
      'INTERCOM_ACCESS_TOKEN',
      new SecretValue(SECRET),
    );
    const rotated = new LocalSecretBackend({ orm: db.orm, current: { version: 2, key: randomBytes(32) } });
    await expect(rotated.get(t, 'INTERCOM_ACCESS_TOKEN')).rejects.toThrow(/master key version 1, which is not configured/);
  });

  it('reads rows written under a previous key after rotation, and writes with the new one', async () => {
    const t = await tenant();
    const oldKey = { version: 1, key: randomBytes(32) };
    await new LocalSecretBackend({ orm: db.orm, current: oldKey }).put(t, 'INTERCOM_ACCESS_TOKEN', new SecretValue(SECRET));
    const rotated = new LocalSecretBackend({ orm: db.orm, current: { version: 2, key: randomBytes(32) }, previous: [oldKey] });
    expect((await rotated.get(t, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(SECRET);
    await rotated.put(t, 'INTERCOM_ACCESS_TOKEN', new SecretValue(SECRET));
    const [row] = await db.sql<{ key_version: number }>('select key_version from secret_values where tenant_id = $1', [t]);
    expect(row?.key_version).toBe(2);
  });
});
