import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/support/database.js';
import { authenticateServiceKey, hashServiceKey } from '../auth/service-keys.js';
import { runCli } from './main.js';

const db = useTestDatabase();
const saved = { ...process.env };

beforeAll(() => {
  process.env.DATABASE_URL = db.url;
  process.env.SECRETS_BACKEND = 'local';
  process.env.SECRETS_MASTER_KEY = randomBytes(32).toString('base64');
  process.env.LOG_LEVEL = 'error';
});
afterAll(() => {
  process.env = saved;
});

async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(args, { write: (s: string) => (out += s) }, { write: (s: string) => (err += s) }, Readable.from([]));
  return { code, out, err };
}

const authenticate = (key: string) => authenticateServiceKey(db.orm, `Bearer ${key}`);

describe('service-key commands', () => {
  it('create prints the key once; only its hash and prefix are stored', async () => {
    const text = await cli('service-key:create', '--name', 'ingestion-worker');
    expect(text.code, text.err).toBe(0);
    const key = /(pbk_[A-Za-z0-9_-]{43})/.exec(text.out)?.[1] ?? '';
    expect(key).not.toBe('');
    expect(text.out).toContain('only time the key is shown');

    const json = await cli('service-key:create', '--name', 'sync.v2_b', '--json');
    expect(json.code, json.err).toBe(0);
    const created = JSON.parse(json.out) as Record<string, string>;
    expect(created).toEqual({ id: expect.any(String), name: 'sync.v2_b', prefix: created.key!.slice(0, 12), key: expect.stringMatching(/^pbk_[A-Za-z0-9_-]{43}$/), createdAt: expect.any(String) });

    const rows = await db.sql<{ name: string; key_hash: string; prefix: string }>('select name, key_hash, prefix from service_keys order by name');
    expect(rows).toEqual([
      { name: 'ingestion-worker', key_hash: hashServiceKey(key), prefix: key.slice(0, 12) },
      { name: 'sync.v2_b', key_hash: hashServiceKey(created.key!), prefix: created.key!.slice(0, 12) },
    ]);
    expect(JSON.stringify(rows)).not.toContain(key);
    expect(await authenticate(key)).toEqual({ id: expect.any(String), name: 'ingestion-worker' });
  });

  it('create refuses a duplicate name (exit 1) and a malformed one (exit 2)', async () => {
    const duplicate = await cli('service-key:create', '--name', 'ingestion-worker');
    expect(duplicate.code).toBe(1);
    expect(duplicate.err).toContain('A service key named "ingestion-worker" already exists');
    expect(duplicate.out).toBe('');
    for (const name of ['Upper', '-dash-first', 'a'.repeat(65), 'with space', 'é']) {
      const bad = await cli('service-key:create', `--name=${name}`);
      expect(bad.code, name).toBe(2);
      expect(bad.err).toContain('Invalid service key name');
    }
    expect((await cli('service-key:create', '--name', 'a'.repeat(64))).code).toBe(0);
    expect((await cli('service-key:create')).code).toBe(2);
  });

  it('list shows name, prefix, created, last used and revoked; never a key or hash', async () => {
    const { out } = await cli('service-key:create', '--name', 'listed', '--json');
    const { key, prefix } = JSON.parse(out) as { key: string; prefix: string };
    await authenticate(key);
    const json = await cli('service-key:list', '--json');
    expect(json.code).toBe(0);
    const listed = (JSON.parse(json.out) as { keys: Record<string, unknown>[] }).keys.find((k) => k.name === 'listed');
    expect(listed).toEqual({ id: expect.any(String), name: 'listed', prefix, createdAt: expect.any(String), lastUsedAt: expect.any(String), revokedAt: null });
    const text = await cli('service-key:list');
    expect(text.out).toMatch(/NAME\s+PREFIX\s+CREATED\s+LAST USED\s+REVOKED/);
    expect(text.out).toContain(prefix);
    const hashes = (await db.sql<{ key_hash: string }>('select key_hash from service_keys')).map((r) => r.key_hash);
    for (const output of [json.out, text.out]) {
      expect(output).not.toContain(key);
      for (const hash of hashes) expect(output).not.toContain(hash);
    }
  });

  it('revoke refuses the key at once; again changes nothing; an unknown name exits 1', async () => {
    const { out } = await cli('service-key:create', '--name', 'to-revoke', '--json');
    const { key } = JSON.parse(out) as { key: string };
    expect(await authenticate(key)).not.toBeNull();

    const revoked = await cli('service-key:revoke', '--name', 'to-revoke', '--json');
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.out)).toMatchObject({ name: 'to-revoke', revokedAt: expect.any(String), alreadyRevoked: false });
    expect(await authenticate(key)).toBeNull();

    const again = await cli('service-key:revoke', '--name', 'to-revoke');
    expect(again.code).toBe(0);
    expect(again.out).toContain('already revoked');

    const unknown = await cli('service-key:revoke', '--name', 'no-such-key');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe('Error: No service key named "no-such-key".\n');
    const unknownJson = await cli('service-key:revoke', '--name', 'no-such-key', '--json');
    expect(JSON.parse(unknownJson.err)).toEqual({ error: 'No service key named "no-such-key".' });
  });
});

describe('service-key commands as a process (npm run cli)', () => {
  const run = (...args: string[]) =>
    promisify(execFile)('node_modules/.bin/tsx', ['server/cli/main.ts', ...args], { env: { ...process.env } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );

  it('create --json prints a working key; revoke of an unknown name exits 1', async () => {
    const created = await run('service-key:create', '--name', 'from-a-process', '--json');
    expect(created.code, created.stderr).toBe(0);
    const { key } = JSON.parse(created.stdout) as { key: string };
    expect(await authenticate(key)).toMatchObject({ name: 'from-a-process' });

    const unknown = await run('service-key:revoke', '--name', 'never-created');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No service key named "never-created".');
  }, 60_000);
});
