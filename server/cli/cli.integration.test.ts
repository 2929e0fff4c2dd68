import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/support/database.js';
import { startSsmEndpoint, type SsmEndpoint } from '../../test/support/ssm-endpoint.js';
import { signIn } from '../auth/sessions.js';
import { runCli } from './main.js';

const db = useTestDatabase();
const MASTER_KEY = randomBytes(32).toString('base64');
const saved = { ...process.env };
let endpoint: SsmEndpoint;

beforeAll(async () => {
  endpoint = await startSsmEndpoint();
  process.env.DATABASE_URL = db.url;
  process.env.SECRETS_BACKEND = 'local';
  process.env.SECRETS_MASTER_KEY = MASTER_KEY;
  process.env.LOG_LEVEL = 'error';
});
afterEach(() => {
  process.env.SECRETS_BACKEND = 'local';
});
afterAll(async () => {
  process.env = saved;
  await endpoint.close();
});

async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(args, { write: (s: string) => (out += s) }, { write: (s: string) => (err += s) });
  return { code, out, err };
}

describe('cli', () => {
  it('tenant:create prints the id; --json prints the record', async () => {
    const plain = await cli('tenant:create', '--slug', 'acme', '--name', 'Acme Inc');
    expect(plain.code).toBe(0);
    expect(plain.out.trim()).toMatch(/^[0-9a-f-]{36}$/);
    const json = await cli('tenant:create', '--slug', 'globex', '--name', 'Globex', '--json');
    expect(JSON.parse(json.out)).toMatchObject({ slug: 'globex', name: 'Globex' });
  });

  it('user:create makes a user who can sign in', async () => {
    const { code, out } = await cli(
      'user:create', '--tenant', 'acme', '--email', 'Admin@Acme.test', '--password', 'a long enough password', '--role', 'admin', '--json',
    );
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ email: 'admin@acme.test', role: 'admin' });
    const session = await signIn(db.orm.em.fork(), { email: 'admin@acme.test', password: 'a long enough password' }, 1);
    expect(session?.user.tenantSlug).toBe('acme');
  });

  it('bad arguments get a usage message and exit code 2', async () => {
    for (const args of [
      ['tenant:create', '--slug', 'acme'],
      ['tenant:create', '--slug', 'Not A Slug', '--name', 'x'],
      ['tenant:create', '--bogus', 'x'],
      ['user:create', '--tenant', 'acme', '--email', 'x@acme.test', '--password', 'short', '--role', 'owner'],
      ['no-such-command'],
      [],
    ]) {
      const { code, err } = await cli(...args);
      expect(code, args.join(' ')).toBe(2);
      expect(err).toMatch(/usage: npm run cli --/);
    }
  });

  it('a duplicate or an unknown tenant is a clear failure (exit 1)', async () => {
    const dup = await cli('tenant:create', '--slug', 'acme', '--name', 'Again');
    expect(dup.code).toBe(1);
    expect(dup.err).toContain('A tenant with slug "acme" already exists.');
    const missing = await cli('user:create', '--tenant', 'nope', '--email', 'a@b.test', '--password', 'a long enough password', '--role', 'member');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('No tenant "nope".');
  });

  it.each(['local', 'ssm'] as const)('check:secrets shows Intercom keys with the %s backend, values masked', async (backend) => {
    process.env.SECRETS_BACKEND = backend;
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SSM: endpoint.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    const slug = `sec-${backend}`;
    await cli('tenant:create', '--slug', slug, '--name', slug);
    const before = JSON.parse((await cli('check:secrets', '--tenant', slug, '--json')).out);
    expect(before.backend).toBe(backend);
    expect(before.keys.map((k: { key: string; present: boolean }) => [k.key, k.present])).toEqual([
      ['INTERCOM_ACCESS_TOKEN', false],
      ['INTERCOM_TOKEN_TYPE', false],
    ]);

    // Store through the same services the app uses, then check again.
    const { boot } = await import('../boot.js');
    const { parseEnv } = await import('../env.js');
    const { SecretValue } = await import('../secrets/secret-value.js');
    const { captureLogs } = await import('../../test/support/logs.js');
    const booted = await boot(parseEnv(), captureLogs().logger, { poolMax: 1 });
    const tenantId = before.tenant.id as string;
    const token = `tok_${randomBytes(12).toString('hex')}`;
    await booted.services.secrets.save(tenantId, 'INTERCOM_ACCESS_TOKEN', new SecretValue(token));
    await booted.services.secrets.save(tenantId, 'INTERCOM_TOKEN_TYPE', 'Bearer');
    await booted.shutdown();

    const text = await cli('check:secrets', '--tenant', slug);
    const json = await cli('check:secrets', '--tenant', tenantId, '--json');
    for (const output of [text.out, json.out]) expect(output).not.toContain(token);
    const keys = JSON.parse(json.out).keys as { key: string; present: boolean; value: string; type: string; location: string }[];
    const access = keys.find((k) => k.key === 'INTERCOM_ACCESS_TOKEN')!;
    expect(access).toMatchObject({ present: true, type: 'SecureString', value: `${token.slice(0, 2)}********${token.slice(-2)}` });
    expect(access.location).toBe(backend === 'ssm' ? `ssm:/${tenantId}/api-key/INTERCOM_ACCESS_TOKEN` : `local:secret_values/${tenantId}/INTERCOM_ACCESS_TOKEN`);
    expect(keys.find((k) => k.key === 'INTERCOM_TOKEN_TYPE')).toMatchObject({ present: true, type: 'String', value: 'Bearer' });
    expect(text.out).toMatch(/INTERCOM_ACCESS_TOKEN\s+present\s+SecureString/);
  });
});
