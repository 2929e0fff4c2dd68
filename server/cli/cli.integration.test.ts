import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/support/database.js';
import { startSsmEndpoint, type SsmEndpoint } from '../../test/support/ssm-endpoint.js';
import { resolveSession, signIn } from '../auth/sessions.js';
import { runCli } from './main.js';
import type { CliInput } from './password-input.js';

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

/** Runs the CLI with `stdin` (by default an empty pipe: no terminal, nothing to read). */
async function cliWith(stdin: CliInput, ...args: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(args, { write: (s: string) => (out += s) }, { write: (s: string) => (err += s) }, stdin);
  return { code, out, err };
}
const cli = (...args: string[]) => cliWith(Readable.from([]), ...args);
const piped = (text: string) => Readable.from([Buffer.from(text)]);

/** A stand-in terminal: records raw mode, and types `keys` once the CLI listens. */
function terminal(keys: string[]) {
  const stream = new PassThrough() as PassThrough & CliInput;
  const rawModes: boolean[] = [];
  stream.isTTY = true;
  stream.setRawMode = (mode: boolean) => {
    rawModes.push(mode);
    if (mode) setImmediate(() => keys.forEach((k) => stream.write(k)));
    return stream;
  };
  return { stream, rawModes };
}

const alive = async (token: string) => (await resolveSession(db.orm, token, { SESSION_IDLE_HOURS: 12 })) !== null;

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

  it('user:create --password-stdin takes the first line of stdin, quietly', async () => {
    const password = 'piped in through stdin';
    const { code, out, err } = await cliWith(
      piped(`${password}\nthe rest is not read\n`),
      'user:create', '--tenant', 'acme', '--email', 'piped@acme.test', '--role', 'member', '--password-stdin',
    );
    expect(code, err).toBe(0);
    expect(err).toBe('');
    expect(out + err).not.toContain(password);
    expect(await signIn(db.orm.em.fork(), { email: 'piped@acme.test', password }, 1)).not.toBeNull();

    // Windows line endings and a missing final newline make no difference.
    const crlf = await cliWith(piped('crlf ended password\r\n'), 'user:create', '--tenant', 'acme', '--email', 'crlf@acme.test', '--role', 'member', '--password-stdin');
    expect(crlf.code, crlf.err).toBe(0);
    expect(await signIn(db.orm.em.fork(), { email: 'crlf@acme.test', password: 'crlf ended password' }, 1)).not.toBeNull();
    const bare = await cliWith(piped('no newline password'), 'user:create', '--tenant', 'acme', '--email', 'bare@acme.test', '--role', 'member', '--password-stdin');
    expect(bare.code, bare.err).toBe(0);
    expect(await signIn(db.orm.em.fork(), { email: 'bare@acme.test', password: 'no newline password' }, 1)).not.toBeNull();
  });

  it('user:create --password still works, with a warning on stderr about ps and shell history', async () => {
    const { code, out, err } = await cli(
      'user:create', '--tenant', 'acme', '--email', 'argv@acme.test', '--role', 'member', '--password', 'visible in ps output',
    );
    expect(code).toBe(0);
    expect(err).toMatch(/^Warning: --password is visible to other users .*\(ps.*shell history/);
    expect(out).not.toContain('Warning');
    expect(out + err).not.toContain('visible in ps output');
  });

  it('user:create prompts on a terminal, without echo, and asks twice', async () => {
    const password = 'typed at the prompt';
    const tty = terminal([...password.slice(0, 5), 'X\u007f', password.slice(5), '\r', `${password}\r`]);
    const { code, out, err } = await cliWith(tty.stream, 'user:create', '--tenant', 'acme', '--email', 'tty@acme.test', '--role', 'member');
    expect(code, err).toBe(0);
    expect(err).toBe('Password: \nRepeat password: \n');
    expect(out).not.toContain(password);
    expect(tty.rawModes).toEqual([true, false]);
    expect(await signIn(db.orm.em.fork(), { email: 'tty@acme.test', password }, 1)).not.toBeNull();

    const mismatch = terminal(['one long password\r', 'another long password\r']);
    const failed = await cliWith(mismatch.stream, 'user:create', '--tenant', 'acme', '--email', 'typo@acme.test', '--role', 'member');
    expect(failed.code).toBe(1);
    expect(failed.err).toContain('The passwords do not match.');
    expect(mismatch.rawModes).toEqual([true, false]);
  });

  it('without a password source and no terminal: a usage error (exit 2), nothing created', async () => {
    for (const [stdin, args] of [
      [Readable.from([]), ['user:create', '--tenant', 'acme', '--email', 'none@acme.test', '--role', 'member']],
      [piped(''), ['user:create', '--tenant', 'acme', '--email', 'none@acme.test', '--role', 'member', '--password-stdin']],
      [piped('x\n'), ['user:create', '--tenant', 'acme', '--email', 'none@acme.test', '--role', 'member', '--password-stdin', '--password', 'both given here']],
      [Readable.from([]), ['user:set-password', '--email', 'none@acme.test']],
    ] as const) {
      const { code, err } = await cliWith(stdin, ...args);
      expect(code, args.join(' ')).toBe(2);
      expect(err).toMatch(/usage: npm run cli -- user:/);
    }
    const [row] = await db.sql<{ n: string }>(`select count(*) as n from users where email = 'none@acme.test'`);
    expect(row?.n).toBe('0');
  });

  it('user:set-password replaces the password and signs the user out everywhere', async () => {
    const email = 'rotate@acme.test';
    const first = 'the first long password';
    expect((await cliWith(piped(first), 'user:create', '--tenant', 'acme', '--email', email, '--role', 'member', '--password-stdin')).code).toBe(0);
    const session = await signIn(db.orm.em.fork(), { email, password: first }, 1);
    const bystander = await signIn(db.orm.em.fork(), { email: 'admin@acme.test', password: 'a long enough password' }, 1);
    expect(await alive(session!.token)).toBe(true);

    const second = 'the second long password';
    const { code, out, err } = await cliWith(piped(`${second}\n`), 'user:set-password', '--email', email, '--password-stdin', '--json');
    expect(code, err).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ email, revokedSessions: 1 });
    expect(out + err).not.toContain(second);
    expect(await alive(session!.token)).toBe(false);
    expect(await alive(bystander!.token)).toBe(true);
    expect(await signIn(db.orm.em.fork(), { email, password: first }, 1)).toBeNull();
    expect(await signIn(db.orm.em.fork(), { email, password: second }, 1)).not.toBeNull();

    const unknown = await cliWith(piped(`${second}\n`), 'user:set-password', '--email', 'ghost@acme.test', '--password-stdin');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('No user "ghost@acme.test".');
  });

  it('user:set-role changes the role and signs the user out everywhere', async () => {
    const email = 'promote@acme.test';
    const password = 'promotion password';
    expect((await cliWith(piped(password), 'user:create', '--tenant', 'acme', '--email', email, '--role', 'member', '--password-stdin')).code).toBe(0);
    const session = await signIn(db.orm.em.fork(), { email, password }, 1);
    const bystander = await signIn(db.orm.em.fork(), { email: 'admin@acme.test', password: 'a long enough password' }, 1);

    const { code, out } = await cli('user:set-role', '--tenant', 'acme', '--email', email, '--role', 'admin');
    expect(code).toBe(0);
    expect(out).toContain(`${email} is now admin; 1 session(s) signed out.`);
    expect(await alive(session!.token)).toBe(false);
    expect(await alive(bystander!.token)).toBe(true);
    expect((await signIn(db.orm.em.fork(), { email, password }, 1))?.user.role).toBe('admin');

    const same = await cli('user:set-role', '--email', email, '--role', 'admin', '--json');
    expect(JSON.parse(same.out)).toMatchObject({ email, role: 'admin', changed: false, revokedSessions: 0 });
    const badRole = await cli('user:set-role', '--email', email, '--role', 'owner');
    expect(badRole.code).toBe(2);
    expect(badRole.err).toContain('--role:');
    const wrongTenant = await cli('user:set-role', '--tenant', 'globex', '--email', email, '--role', 'member');
    expect(wrongTenant.code).toBe(1);
    expect(wrongTenant.err).toContain(`No user "${email}" in tenant "globex".`);
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
    // Every key the registry declares, in registry order, none stored yet.
    const { configKeys } = await import('../connectors/registry.js');
    expect(before.keys.map((k: { key: string; present: boolean }) => [k.key, k.present])).toEqual(configKeys.map((k) => [k.key, false]));
    expect(before.keys.slice(0, 3).map((k: { key: string }) => k.key)).toEqual(['INTERCOM_ACCESS_TOKEN', 'INTERCOM_TOKEN_TYPE', 'INTERCOM_REGION']);

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
