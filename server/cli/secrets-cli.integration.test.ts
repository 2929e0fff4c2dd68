import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/support/database.js';
import { captureLogs } from '../../test/support/logs.js';
import { startSsmEndpoint, type SsmEndpoint } from '../../test/support/ssm-endpoint.js';
import { boot } from '../boot.js';
import { parseEnv } from '../env.js';
import { SecretValue } from '../secrets/secret-value.js';
import { runCli } from './main.js';

const db = useTestDatabase();
const saved = { ...process.env };
const KEY_A = randomBytes(32).toString('base64');
const KEY_B = randomBytes(32).toString('base64');
const TOKEN = `tok_${randomBytes(12).toString('hex')}`;
let endpoint: SsmEndpoint;

/** The environment of one process start: the local backend with these keys. */
function useKeys(current: string, version: number, previous?: string) {
  Object.assign(process.env, {
    DATABASE_URL: db.url,
    LOG_LEVEL: 'error',
    SECRETS_BACKEND: 'local',
    SECRETS_MASTER_KEY: current,
    SECRETS_MASTER_KEY_VERSION: String(version),
  });
  if (previous) process.env.SECRETS_PREVIOUS_MASTER_KEYS = previous;
  else delete process.env.SECRETS_PREVIOUS_MASTER_KEYS;
}

async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(args, { write: (s: string) => (out += s) }, { write: (s: string) => (err += s) });
  for (const secret of [KEY_A, KEY_B, TOKEN]) {
    expect(out).not.toContain(secret);
    expect(err).not.toContain(secret);
  }
  return { code, out, err };
}

beforeAll(async () => {
  endpoint = await startSsmEndpoint();
});
beforeEach(async () => {
  await db.sql('delete from secret_values');
  await db.sql('delete from secret_key_checks');
});
afterAll(async () => {
  process.env = saved;
  await endpoint.close();
});

/** A new tenant with an access token stored through the services the app uses. */
async function tenantWithToken(value: string): Promise<string> {
  const slug = `k-${randomBytes(4).toString('hex')}`;
  const tenantId = (await cli('tenant:create', '--slug', slug, '--name', slug)).out.trim();
  const booted = await boot(parseEnv(), captureLogs().logger, { poolMax: 1 });
  try {
    await booted.services.secrets.save(tenantId, 'INTERCOM_ACCESS_TOKEN', new SecretValue(value));
  } finally {
    await booted.shutdown();
  }
  return tenantId;
}

describe('master keys through the CLI start-up', () => {
  it('refuses a changed key, starts after a proper rotation, and re-encrypts so the old key can go', async () => {
    // Key A, version 1: two tenants with a token each.
    useKeys(KEY_A, 1);
    const tenantId = await tenantWithToken(TOKEN);
    await tenantWithToken(`${TOKEN}_2`);

    // Restart with key B under the same version: refused, one line naming the variable.
    useKeys(KEY_B, 1);
    const refused = await cli('check:secrets', '--tenant', tenantId);
    expect(refused.code).toBe(1);
    expect(refused.out).toBe('');
    expect(refused.err).toMatch(/^SECRETS_MASTER_KEY is not the key master key version 1 was first used with[^\n]*\n$/);

    // Rotation: key B as version 2, A kept as previous version 1. Old rows decrypt.
    useKeys(KEY_B, 2, `1:${KEY_A}`);
    const rotated = await cli('check:secrets', '--tenant', tenantId, '--json');
    expect(rotated.code).toBe(0);
    const masked = `${TOKEN.slice(0, 2)}********${TOKEN.slice(-2)}`;
    expect(JSON.parse(rotated.out).keys.find((k: { key: string }) => k.key === 'INTERCOM_ACCESS_TOKEN')).toMatchObject({ present: true, value: masked });

    // Dropping the old key before re-encrypting is refused, naming what to set.
    useKeys(KEY_B, 2);
    const early = await cli('check:secrets', '--tenant', tenantId);
    expect(early.code).toBe(1);
    expect(early.err).toMatch(/^secret_values has rows encrypted with master key version 1, which is not configured: add it to SECRETS_PREVIOUS_MASTER_KEYS/);

    // A wrong previous key is refused too, naming the variable and the version.
    useKeys(KEY_B, 2, `1:${randomBytes(32).toString('base64')}`);
    const wrong = await cli('check:secrets', '--tenant', tenantId);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/^SECRETS_PREVIOUS_MASTER_KEYS: the key for version 1 is not the key that version was used with/);

    // Re-encrypt: every row moves to version 2.
    useKeys(KEY_B, 2, `1:${KEY_A}`);
    const json = await cli('secrets:reencrypt', '--json', '--batch-size', '1');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toEqual({
      backend: 'local',
      keyVersion: 2,
      total: 2,
      reencrypted: 2,
      alreadyCurrent: 0,
      failed: 0,
      changed: 0,
      failures: [],
      remaining: 0,
    });
    expect(await db.sql('select distinct key_version from secret_values')).toEqual([{ key_version: 2 }]);

    const text = await cli('secrets:reencrypt');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/total\s+2\n/);
    expect(text.out).toMatch(/re-encrypted\s+0\n/);
    expect(text.out).toMatch(/already current\s+2\n/);
    expect(text.out).toMatch(/failed\s+0\n/);

    // Without key A now: starts, and the token still reads.
    useKeys(KEY_B, 2);
    const after = await cli('check:secrets', '--tenant', tenantId, '--json');
    expect(after.code).toBe(0);
    expect(JSON.parse(after.out).keys.find((k: { key: string }) => k.key === 'INTERCOM_ACCESS_TOKEN').value).toBe(masked);
  });

  it('secrets:reencrypt exits 1 and names a row it cannot decrypt', async () => {
    useKeys(KEY_A, 1);
    const tenantId = await tenantWithToken(TOKEN);
    await tenantWithToken(`${TOKEN}_2`);
    useKeys(KEY_B, 2, `1:${KEY_A}`);
    await db.sql("update secret_values set ciphertext = set_byte(ciphertext, 0, get_byte(ciphertext, 0) # 255) where tenant_id = $1", [tenantId]);
    const { code, out } = await cli('secrets:reencrypt');
    expect(code).toBe(1);
    expect(out).toMatch(/re-encrypted\s+1\n/);
    expect(out).toMatch(/failed\s+1\n/);
    expect(out).toContain(`tenant ${tenantId} key INTERCOM_ACCESS_TOKEN: authentication failed`);
    expect(out).toContain('1 row(s) are still under an older master key');
  });

  it('with the SSM backend there is nothing to do', async () => {
    Object.assign(process.env, {
      SECRETS_BACKEND: 'ssm',
      AWS_ENDPOINT_URL_SSM: endpoint.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    const text = await cli('secrets:reencrypt');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^Nothing to do: the ssm backend's values are encrypted by AWS KMS/);
    const json = await cli('secrets:reencrypt', '--json');
    expect(JSON.parse(json.out)).toEqual({ backend: 'ssm', nothingToDo: true });
  });

  it('rejects a bad --batch-size with a usage message', async () => {
    useKeys(KEY_A, 1);
    const { code, err } = await cli('secrets:reencrypt', '--batch-size', '0');
    expect(code).toBe(2);
    expect(err).toMatch(/--batch-size must be an integer/);
  });
});
