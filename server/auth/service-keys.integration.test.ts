import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/support/database.js';
import { authenticateServiceKey, bearerKey, createServiceKey, LAST_USED_RESOLUTION_MS, revokeServiceKey } from './service-keys.js';

const db = useTestDatabase();
const lastUsed = async (name: string) =>
  (await db.sql<{ last_used_at: Date | null }>('select last_used_at from service_keys where name = $1', [name]))[0]?.last_used_at ?? null;

describe('bearerKey', () => {
  it('takes only a well-formed key from a Bearer header', () => {
    const key = `pbk_${'a'.repeat(43)}`;
    expect(bearerKey(`Bearer ${key}`)).toBe(key);
    expect(bearerKey(`bearer ${key}`)).toBe(key);
    for (const header of [undefined, '', key, `Basic ${key}`, `Bearer ${key}x`, `Bearer ${key.slice(0, -1)}`, `Bearer pbk_${'a'.repeat(42)}!`, `Bearer ${key} extra`]) {
      expect(bearerKey(header), String(header)).toBeNull();
    }
  });
});

describe('service keys', () => {
  it('authenticate: the key names its caller; a revoked or unknown one does not', async () => {
    const em = db.orm.em.fork();
    const created = await createServiceKey(em, 'svc-a');
    const key = created.key.reveal();
    expect(String(created.key)).toBe('[redacted]');
    expect(await authenticateServiceKey(db.orm, `Bearer ${key}`)).toEqual({ id: created.id, name: 'svc-a' });
    expect(await authenticateServiceKey(db.orm, `Bearer pbk_${'Z'.repeat(43)}`)).toBeNull();
    await revokeServiceKey(db.orm.em.fork(), 'svc-a');
    expect(await authenticateServiceKey(db.orm, `Bearer ${key}`)).toBeNull();
  });

  it('keys are distinct and carry 256 random bits', async () => {
    const keys = await Promise.all(['k1', 'k2', 'k3'].map(async (n) => (await createServiceKey(db.orm.em.fork(), n)).key.reveal()));
    expect(new Set(keys).size).toBe(3);
    for (const key of keys) expect(Buffer.from(key.slice(4), 'base64url')).toHaveLength(32);
  });

  it('lastUsedAt is written at most once a minute, once for concurrent requests', async () => {
    const { key } = await createServiceKey(db.orm.em.fork(), 'busy');
    const header = `Bearer ${key.reveal()}`;
    expect(await lastUsed('busy')).toBeNull();
    const t0 = new Date(Date.now() - 10 * LAST_USED_RESOLUTION_MS);
    await Promise.all(Array.from({ length: 5 }, () => authenticateServiceKey(db.orm, header, t0)));
    expect((await lastUsed('busy'))?.getTime()).toBe(t0.getTime());

    await authenticateServiceKey(db.orm, header, new Date(t0.getTime() + LAST_USED_RESOLUTION_MS - 1));
    expect((await lastUsed('busy'))?.getTime()).toBe(t0.getTime());
    const t1 = new Date(t0.getTime() + LAST_USED_RESOLUTION_MS);
    await authenticateServiceKey(db.orm, header, t1);
    expect((await lastUsed('busy'))?.getTime()).toBe(t1.getTime());
  });
});
