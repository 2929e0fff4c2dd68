import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/support/database.js';
import { LocalSecretBackend, parseMasterKey } from '../secrets/local-backend.js';

import { SecretValue } from '../secrets/secret-value.js';
import { SecretStore } from '../secrets/secret-store.js';
import { runCli } from './main.js';

const db = useTestDatabase();
const MASTER_KEY = randomBytes(32).toString('base64');
const saved = { ...process.env };

beforeAll(() => {
  process.env.DATABASE_URL = db.url;
  process.env.SECRETS_BACKEND = 'local';
  process.env.SECRETS_MASTER_KEY = MASTER_KEY;
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

/** The store the CLI will see: same database, same master key. */
const store = () => new SecretStore(db.orm, new LocalSecretBackend({ orm: db.orm, current: parseMasterKey(MASTER_KEY, 1) }));

async function tenant(slug: string): Promise<string> {
  const [row] = await db.sql<{ id: string }>(
    "insert into tenants (id, created_at, updated_at, slug, name) values (gen_random_uuid(), now(), now(), $1, $1) returning id",
    [slug],
  );
  return row!.id;
}

describe('check:integrity', () => {
  it('exits 0 with nothing to report on a clean database', async () => {
    await tenant('clean-co');
    const { code, out } = await cli('check:integrity', '--tenant', 'clean-co');
    expect(out).toContain('No violations');
    expect(out).toContain('Nothing in flight');
    expect(code).toBe(0);
  });

  it('names an active installation whose token is missing, an open intent and a grant being revoked; exit 1', async () => {
    const tenantId = await tenant('broken-co');
    const grantId = crypto.randomUUID();
    const grantKey = `INTERCOM_GRANT_${grantId.replace(/-/g, '').toUpperCase()}`;
    await db.sql(
      `insert into connector_grants (id, created_at, updated_at, tenant_id, connector, status, secret_key, revoke_attempts, last_error)
       values ($1, now() - interval '2 hours', now(), $2, 'intercom', 'revoking', $3, 3, 'provider_http_500')`,
      [grantId, tenantId, grantKey],
    );
    await store().saveGrantToken(tenantId, grantKey, new SecretValue('tok-being-revoked-0123456789'));
    await db.sql(
      `insert into connector_installations (id, created_at, updated_at, tenant_id, type, status, key_synced)
       values (gen_random_uuid(), now(), now(), $1, 'intercom', 'active', true)`,
      [tenantId],
    );
    await db.sql(
      `insert into connection_intents (id, tenant_id, connector, operation, created_at)
       values (gen_random_uuid(), $1, 'intercom', 'disconnect', now() - interval '5 minutes')`,
      [tenantId],
    );

    const text = await cli('check:integrity', '--tenant', 'broken-co');
    expect(text.code).toBe(1);
    expect(text.out).toContain('active, but INTERCOM_ACCESS_TOKEN is empty');
    expect(text.out).toMatch(/intent\s+disconnect\s+\S+\s+intercom\s+(29\d|30\d)s/);
    expect(text.out).toMatch(/grant\s+revoking\s+\S+\s+intercom\s+\d+s\s+3\s+provider_http_500/);
    expect(text.out).not.toContain('tok-being-revoked');

    const json = await cli('check:integrity', '--tenant', 'broken-co', '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.out) as { ok: boolean; violations: unknown[]; pending: { kind: string }[] };
    expect(report.ok).toBe(false);
    expect(report.violations).toEqual(
      expect.arrayContaining([expect.objectContaining({ tenantId, connector: 'intercom', problem: 'active, but INTERCOM_ACCESS_TOKEN is empty' })]),
    );
    expect(report.pending.map((p) => p.kind).sort()).toEqual(['grant', 'intent']);
    expect(json.out).not.toContain('tok-being-revoked');
  });

  it('refuses an unknown tenant', async () => {
    const { code, err } = await cli('check:integrity', '--tenant', 'no-such-tenant');
    expect(code).toBe(1);
    expect(err).toContain('No tenant "no-such-tenant".');
  });
});
