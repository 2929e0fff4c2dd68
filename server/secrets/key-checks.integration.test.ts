import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { makeTenant } from '../../test/support/factories.js';
import { useTestDatabase } from '../../test/support/database.js';
import { SecretBackendError } from './backend.js';
import { LocalSecretBackend, type MasterKey } from './local-backend.js';
import { SecretValue } from './secret-value.js';

const db = useTestDatabase();
const SECRET = 'tok_key_check_marker_7';
const tenant = async () => (await makeTenant(db.orm.em.fork())).id;
const key = (version: number): MasterKey => ({ version, key: randomBytes(32) });
const backend = (current: MasterKey, previous: MasterKey[] = []) => new LocalSecretBackend({ orm: db.orm, current, previous });

/** The configure error verifyKeys() throws, or the test fails. */
async function refusal(b: LocalSecretBackend): Promise<SecretBackendError> {
  const error = await b.verifyKeys().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SecretBackendError);
  expect((error as SecretBackendError).operation).toBe('configure');
  return error as SecretBackendError;
}

function expectNoKeyMaterial(message: string, ...keys: MasterKey[]) {
  for (const k of keys) {
    expect(message).not.toContain(k.key.toString('base64'));
    expect(message).not.toContain(k.key.toString('hex'));
  }
  expect(message).not.toContain(SECRET);
}

beforeEach(async () => {
  await db.sql('delete from secret_values');
  await db.sql('delete from secret_key_checks');
});

describe('master key checks', () => {
  it('records a key check value on first use, and a restart with another key (same version) is refused', async () => {
    const a = key(1);
    const t = await tenant();
    const first = backend(a);
    await first.verifyKeys();
    await first.put(t, 'INTERCOM_ACCESS_TOKEN', new SecretValue(SECRET));
    const checks = await db.sql<{ key_version: number; nonce: Buffer; ciphertext: Buffer }>('select * from secret_key_checks');
    expect(checks.map((c) => c.key_version)).toEqual([1]);
    expect(checks[0]!.nonce).toHaveLength(12);

    await backend(a).verifyKeys(); // the same key starts again

    const b = key(1);
    const error = await refusal(backend(b));
    expect(error.message).toMatch(/^SECRETS_MASTER_KEY is not the key master key version 1 was first used with/);
    expect(error.message).not.toContain('\n');
    expectNoKeyMaterial(error.message, a, b);
  });

  it('a wrong key is refused even before anything was written under it', async () => {
    await backend(key(1)).verifyKeys();
    await refusal(backend(key(1)));
  });

  it('rotation: the new key under a new version starts with the old one as previous, and old rows still decrypt', async () => {
    const a = key(1);
    const t = await tenant();
    const before = backend(a);
    await before.verifyKeys();
    await before.put(t, 'INTERCOM_ACCESS_TOKEN', new SecretValue(SECRET));

    const b = key(2);
    const rotated = backend(b, [a]);
    await rotated.verifyKeys();
    expect((await rotated.get(t, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(SECRET);
    expect((await db.sql<{ key_version: number }>('select key_version from secret_key_checks order by 1')).map((r) => r.key_version)).toEqual([1, 2]);

    // Without the old key, rows under version 1 are refused at start, naming the fix.
    const withoutOld = await refusal(backend(b));
    expect(withoutOld.message).toMatch(/rows encrypted with master key version 1, which is not configured: add it to SECRETS_PREVIOUS_MASTER_KEYS/);

    // A wrong previous key is refused, naming the variable and the version.
    const wrongOld = key(1);
    const error = await refusal(backend(b, [wrongOld]));
    expect(error.message).toMatch(/^SECRETS_PREVIOUS_MASTER_KEYS: the key for version 1 is not the key that version was used with/);
    expectNoKeyMaterial(error.message, a, b, wrongOld);

    // And a new current key that does not match version 2's check, with everything else right.
    const both = await refusal(backend(key(2), [wrongOld]));
    expect(both.message).toMatch(/^SECRETS_MASTER_KEY is not/);
    expect(both.message).toContain('Also: SECRETS_PREVIOUS_MASTER_KEYS: the key for version 1');
  });

  it('rows written before key checks existed: only a key that decrypts them is recorded', async () => {
    const a = key(1);
    const t = await tenant();
    await backend(a).put(t, 'INTERCOM_ACCESS_TOKEN', new SecretValue(SECRET)); // no verifyKeys: an older release
    expect(await db.sql('select * from secret_key_checks')).toEqual([]);

    const error = await refusal(backend(key(1)));
    expect(error.message).toMatch(/^SECRETS_MASTER_KEY is not/);
    expect(await db.sql('select * from secret_key_checks')).toEqual([]); // the wrong key was not recorded

    await backend(a).verifyKeys();
    expect(await db.sql('select key_version from secret_key_checks')).toEqual([{ key_version: 1 }]);
    await refusal(backend(key(1)));
  });

  it('a previous key with neither rows nor a check value is accepted and not recorded', async () => {
    await backend(key(2), [key(1)]).verifyKeys();
    expect(await db.sql('select key_version from secret_key_checks')).toEqual([{ key_version: 2 }]);
  });

  it('two instances starting together on an empty table agree on one key check value', async () => {
    for (let version = 1; version <= 8; version += 1) {
      // Same key: both start.
      const same = key(version * 2);
      await Promise.all([backend(same).verifyKeys(), backend(same).verifyKeys()]);
      // Different keys: exactly one of them wins the insert, the other refuses.
      const results = await Promise.allSettled([backend(key(version * 2 + 1)).verifyKeys(), backend(key(version * 2 + 1)).verifyKeys()]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(SecretBackendError);
      expect(String(rejected.reason)).toMatch(/SECRETS_MASTER_KEY is not/);
    }
    const rows = await db.sql<{ n: number }>('select count(*)::int as n from secret_key_checks');
    expect(rows[0]?.n).toBe(16);
  });
});
