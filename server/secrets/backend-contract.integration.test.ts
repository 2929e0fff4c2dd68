/**
 * The behaviour both secret backends promise, run against each: the local AES-GCM table in
 * a real Postgres, and SSM through the real AWS SDK and the loopback SSM ssm.current.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeTenant } from '../../test/support/factories.js';
import { useTestDatabase } from '../../test/support/database.js';
import { localBackend, ssmBackend, useSsmEndpoint } from '../../test/support/secret-backends.js';
import { SecretBackendError, type SecretBackend } from './backend.js';
import { SecretValue } from './secret-value.js';

const db = useTestDatabase();
const ssm = useSsmEndpoint();

const SECRET = 'tok_contract_0123456789abcdef';

describe.each([
  ['local', () => localBackend(db.orm)],
  ['ssm', () => ssmBackend(ssm.current)],
] as const)('%s secret backend', (_name, make: () => SecretBackend) => {
  const tenant = async () => (await makeTenant(db.orm.em.fork())).id;

  it('round-trips a value and reports absent keys as null', async () => {
    const backend = make();
    const t = await tenant();
    expect(await backend.get(t, 'INTERCOM_ACCESS_TOKEN')).toBeNull();
    await backend.put(t, 'INTERCOM_ACCESS_TOKEN', new SecretValue(SECRET));
    const value = await backend.get(t, 'INTERCOM_ACCESS_TOKEN');
    expect(value?.reveal()).toBe(SECRET);
  });

  it('overwrites in place and counts versions', async () => {
    const backend = make();
    const t = await tenant();
    await backend.put(t, 'INTERCOM_ACCESS_TOKEN', new SecretValue('first-value-123'));
    await backend.put(t, 'INTERCOM_ACCESS_TOKEN', new SecretValue('second-value-456'));
    expect((await backend.get(t, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe('second-value-456');
    const meta = (await backend.describe(t, ['INTERCOM_ACCESS_TOKEN', 'OTHER_KEY'])).get('INTERCOM_ACCESS_TOKEN');
    expect(meta?.version).toBe(2);
    expect(meta?.lastModified).toBeInstanceOf(Date);
  });

  it('describes only present keys and never returns values', async () => {
    const backend = make();
    const t = await tenant();
    await backend.put(t, 'INTERCOM_ACCESS_TOKEN', new SecretValue(SECRET));
    const described = await backend.describe(t, ['INTERCOM_ACCESS_TOKEN', 'MISSING_KEY']);
    expect([...described.keys()]).toEqual(['INTERCOM_ACCESS_TOKEN']);
    expect(JSON.stringify([...described])).not.toContain(SECRET);
  });

  it('deletes idempotently, several keys at once', async () => {
    const backend = make();
    const t = await tenant();
    await backend.put(t, 'KEY_A', new SecretValue('value-a-123'));
    await backend.put(t, 'KEY_B', new SecretValue('value-b-123'));
    await backend.delete(t, ['KEY_A', 'KEY_B', 'NEVER_SET']);
    await backend.delete(t, ['KEY_A']);
    expect(await backend.get(t, 'KEY_A')).toBeNull();
    expect(await backend.get(t, 'KEY_B')).toBeNull();
  });

  it('keeps tenants apart', async () => {
    const backend = make();
    const [a, b] = [await tenant(), await tenant()];
    await backend.put(a, 'INTERCOM_ACCESS_TOKEN', new SecretValue(SECRET));
    expect(await backend.get(b, 'INTERCOM_ACCESS_TOKEN')).toBeNull();
    await backend.delete(b, ['INTERCOM_ACCESS_TOKEN']);
    expect((await backend.get(a, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(SECRET);
  });

  it('refuses values over 4 KB and bad names, without echoing the value', async () => {
    const backend = make();
    const t = await tenant();
    const big = `S3CR3T${'x'.repeat(4100)}`;
    const error = await backend.put(t, 'INTERCOM_ACCESS_TOKEN', new SecretValue(big)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretBackendError);
    expect(`${String(error)} ${inspect(error)}`).not.toContain('S3CR3T');
    await expect(backend.put(t, 'bad key', new SecretValue(SECRET))).rejects.toBeInstanceOf(SecretBackendError);
    await expect(backend.put('../other', 'INTERCOM_ACCESS_TOKEN', new SecretValue(SECRET))).rejects.toBeInstanceOf(
      SecretBackendError,
    );
  });
});
