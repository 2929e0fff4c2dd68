/**
 * `npm run worker` on its own: a separate process on the same database takes a queued
 * revocation and settles it, and stops cleanly on SIGTERM. Two of them never run a job twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/support/database.js';
import { startIntercomSandbox, type IntercomSandbox } from '../../test/support/intercom-sandbox.js';
import { LocalSecretBackend, parseMasterKey } from '../secrets/local-backend.js';
import { grantSecretKey, SecretStore } from '../secrets/secret-store.js';
import { SecretValue } from '../secrets/secret-value.js';
import { enqueue } from './queue.js';

const db = useTestDatabase();
const MASTER_KEY = randomBytes(32).toString('base64');
const CLIENT = { clientId: 'worker-it', clientSecret: `secret-${randomBytes(8).toString('hex')}` };
let sandbox: IntercomSandbox;

beforeAll(async () => {
  sandbox = await startIntercomSandbox(CLIENT, { workspace: { idCode: 'wrk1', name: 'Worker Co' } });
});
afterAll(async () => {
  await sandbox.close();
});

function startWorkerProcess(): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--enable-source-maps', 'dist/worker.js'], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      SECRETS_BACKEND: 'local',
      SECRETS_MASTER_KEY: MASTER_KEY,
      INTERCOM_CLIENT_ID: CLIENT.clientId,
      INTERCOM_CLIENT_SECRET: CLIENT.clientSecret,
      INTERCOM_OAUTH_URL: sandbox.oauthUrl,
      INTERCOM_API_URL: sandbox.apiUrl,
      OAUTH_SANDBOX: 'off',
      LOG_LEVEL: 'info',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, output: () => output, exited };
}

/** A real token from the sandbox's token endpoint, as a code exchange would get it. */
async function mint(): Promise<string> {
  const code = sandbox.issueCode('http://localhost:3000/integrations/intercom/callback', 'worker-test-state');
  const response = await fetch(`${sandbox.apiUrl}/auth/eagle/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ code, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret }),
  });
  const body = (await response.json()) as { access_token: string };
  return body.access_token;
}

async function until(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('npm run worker', () => {
  it('revokes queued grants from another process, each exactly once with two workers, and stops on SIGTERM', async () => {
    const store = new SecretStore(db.orm, new LocalSecretBackend({ orm: db.orm, current: parseMasterKey(MASTER_KEY, 1) }));
    const [tenant] = await db.sql<{ id: string }>(
      "insert into tenants (id, created_at, updated_at, slug, name) values (gen_random_uuid(), now(), now(), 'workers', 'Workers') returning id",
    );
    // Five grants to revoke, each holding a real token the sandbox issued.
    const grantIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const token = await mint();
      const id = randomUUID();
      await store.saveGrantToken(tenant!.id, grantSecretKey('intercom', id), new SecretValue(token));
      await db.sql(
        `insert into connector_grants (id, created_at, updated_at, tenant_id, connector, status, secret_key, revoke_attempts, revoke_requested_at)
         values ($1, now(), now(), $2, 'intercom', 'revoking', $3, 0, now())`,
        [id, tenant!.id, grantSecretKey('intercom', id)],
      );
      grantIds.push(id);
    }
    const workers = [startWorkerProcess(), startWorkerProcess()];
    try {
      await until(async () => workers.every((w) => w.output().includes('job worker started')));
      const em = db.orm.em.fork();
      await em.transactional(async (tx) => {
        for (const grantId of grantIds) await enqueue(tx, 'revoke_grant', { grantId }, { jobKey: `revoke_grant:${grantId}` });
      });
      await until(async () => {
        const rows = await db.sql<{ status: string }>('select status from connector_grants where id = any($1)', [grantIds]);
        return rows.every((r) => r.status === 'revoked');
      });
      expect(sandbox.tokens().every((t) => t.revoked)).toBe(true);
      // Each token was revoked by exactly one call: no job ran twice.
      expect(sandbox.log.filter((r) => r.path === '/auth/uninstall')).toHaveLength(5);
      for (const grantId of grantIds) {
        expect(await store.getGrantToken(tenant!.id, grantSecretKey('intercom', grantId))).toBeNull();
      }
    } finally {
      for (const w of workers) w.child.kill('SIGTERM');
    }
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
    for (const w of workers) expect(w.output()).not.toMatch(/dG9r/); // no sandbox token in any log
  });
});
