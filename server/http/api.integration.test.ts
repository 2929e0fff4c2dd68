import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTenant, makeUser } from '../../test/support/factories.js';
import { useTestDatabase } from '../../test/support/database.js';
import { useTokenApiWorld } from '../../test/support/token-api.js';
import { MAX_BATCH_SIZE } from './trpc-handler.js';

const run = promisify(execFile);
const db = useTestDatabase();
// The app, plus a Linear sandbox for the token API's examples (tenant acme connects Linear).
const world = useTokenApiWorld(db, {
  env: {
    INTERCOM_CLIENT_ID: 'docs-client',
    INTERCOM_CLIENT_SECRET: 'docs-secret',
    INTERCOM_OAUTH_URL: 'https://app.intercom.com/oauth',
  },
});
const app = world.app;
const DOC_BASE = 'http://localhost:3000';

/** Each ```sh block of docs/api.md with the ```json answer that follows it. */
function examples(): { command: string; sample: unknown }[] {
  const text = readFileSync(path.resolve('docs/api.md'), 'utf8');
  const pairs = [...text.matchAll(/```sh\n([\s\S]*?)```[^`]*?```json\n([\s\S]*?)```/g)];
  return pairs.map(([, command, sample]) => ({ command: command!.trim(), sample: JSON.parse(sample!) as unknown }));
}

/** Values the docs may show differently (ids, names, times) are compared by type; these exactly. */
const EXACT_KEYS = new Set(['message', 'code', 'httpStatus', 'email', 'role', 'path', 'connector', 'success', 'state', 'error', 'reason', 'tokenType']);

function shapeErrors(actual: unknown, sample: unknown, at = '$', key = ''): string[] {
  if (sample === null || actual === null) return [];
  if (Array.isArray(sample)) {
    if (!Array.isArray(actual)) return [`${at}: expected an array`];
    // A batch answer is compared by position; inside an answer, the first item stands for all.
    if (at === '$' && sample.length > 1) {
      if (actual.length !== sample.length) return [`${at}: ${actual.length} items, documented ${sample.length}`];
      return actual.flatMap((item, i) => shapeErrors(item, sample[i], `${at}[${i}]`));
    }
    return sample.length ? actual.flatMap((item, i) => shapeErrors(item, sample[0], `${at}[${i}]`)) : [];
  }
  if (typeof sample === 'object') {
    if (typeof actual !== 'object' || Array.isArray(actual)) return [`${at}: expected an object`];
    const a = Object.keys(actual).sort().join();
    const s = Object.keys(sample).sort().join();
    if (a !== s) return [`${at}: keys ${a} differ from the documented ${s}`];
    return Object.entries(sample).flatMap(([k, v]) => shapeErrors((actual as Record<string, unknown>)[k], v, `${at}.${k}`, k));
  }
  if (typeof actual !== typeof sample) return [`${at}: ${JSON.stringify(actual)} is not a ${typeof sample}`];
  if ((EXACT_KEYS.has(key) || typeof sample === 'boolean') && actual !== sample) {
    return [`${at}: ${JSON.stringify(actual)} differs from the documented ${JSON.stringify(sample)}`];
  }
  return [];
}

describe('docs/api.md', () => {
  let cwd: string;
  /** The service key the token API's examples read from PLUGBOARD_KEY. */
  let serviceKey: string;
  beforeAll(async () => {
    cwd = mkdtempSync(path.join(tmpdir(), 'plugboard-api-docs-'));
    const em = db.orm.em.fork();
    await makeTenant(em, 'acme');
    await makeUser(em, 'acme', 'admin', 'ada@acme.test');
    await world.connect('acme');
    serviceKey = (await world.serviceKey('docs-examples')).key;
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('documents every procedure the brief of the API promises', () => {
    const commands = examples().map((e) => e.command).join('\n');
    for (const procedure of ['auth.signIn', 'auth.me', 'auth.signOut', 'catalog.list', 'intercom.status', 'intercom.events', 'intercom.connect', 'intercom.disconnect']) {
      expect(commands).toContain(`/api/trpc/${procedure}`);
    }
    expect(commands).toContain('-H "Authorization: Bearer $PLUGBOARD_KEY" \'http://localhost:3000/api/v1/connections/linear/token?tenant=acme\'');
    expect(commands).toContain('-X POST -H "Authorization: Bearer $PLUGBOARD_KEY" \'http://localhost:3000/api/v1/connections/linear/token/refresh?tenant=acme\'');
  });

  it('runs each curl command as written and gets the documented answer', async () => {
    const all = examples();
    expect(all.length).toBeGreaterThanOrEqual(14);
    const tokens: string[] = [];
    for (const { command, sample } of all) {
      expect(command).toMatch(/^curl /);
      const { stdout } = await run('bash', ['-c', command.replaceAll(DOC_BASE, app.base)], { cwd, env: { ...process.env, PLUGBOARD_KEY: serviceKey } });
      let answer: unknown;
      try {
        answer = JSON.parse(stdout);
      } catch {
        throw new Error(`${command}\nanswered non-JSON: ${stdout}`);
      }
      expect(shapeErrors(answer, sample), `${command}\n${stdout}`).toEqual([]);
      if (command.includes('intercom.connect')) {
        const { authorizeUrl } = (answer as { result: { data: { authorizeUrl: string } } }).result.data;
        expect(authorizeUrl).toMatch(/^https:\/\/app\.intercom\.com\/oauth\?client_id=docs-client&/);
      }
      if (command.includes('$PLUGBOARD_KEY') && command.includes('/connections/linear/')) tokens.push((answer as { accessToken: string }).accessToken);
    }
    // The token the provider holds for acme, then the one the refresh got from it.
    const minted = world.sandbox.tokens().filter((t) => t.kind === 'access');
    expect(tokens).toEqual(minted.slice(-2).map((t) => t.token));
    expect(minted.at(-1)?.revoked).toBe(false);
  });
});

describe('batches', () => {
  const many = (n: number, procedure: string) => Array.from({ length: n }, () => procedure).join(',');

  it(`answers a GET batch of up to ${MAX_BATCH_SIZE} calls and refuses ${MAX_BATCH_SIZE + 1} with a clear 400`, async () => {
    const ok = await fetch(`${app.base}/api/trpc/${many(MAX_BATCH_SIZE, 'auth.me')}?batch=1`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toHaveLength(MAX_BATCH_SIZE);

    const tooMany = await fetch(`${app.base}/api/trpc/${many(MAX_BATCH_SIZE + 1, 'auth.me')}?batch=1`);
    expect(tooMany.status).toBe(400);
    const body = (await tooMany.json()) as { error: { message: string; data: { code: string } } };
    expect(body.error.message).toBe(`A batch may hold at most ${MAX_BATCH_SIZE} calls; this one has ${MAX_BATCH_SIZE + 1}.`);
    expect(body.error.data.code).toBe('BAD_REQUEST');
  });

  it('refuses a POST batch over the limit before running any of it', async () => {
    const calls = MAX_BATCH_SIZE + 1;
    const input = Object.fromEntries(Array.from({ length: calls }, (_, i) => [i, { email: 'ada@acme.test', password: 'wrong' }]));
    const response = await fetch(`${app.base}/api/trpc/${many(calls, 'auth.signIn')}?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    expect(response.status).toBe(400);
    expect(app.logs.text()).not.toContain('sign-in failed');
  });
});

describe('procedures without input', () => {
  it('take a POST with no body and no Content-Type', async () => {
    const signIn = await fetch(`${app.base}/api/trpc/auth.signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ada@acme.test', password: 'correct horse battery staple' }),
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    const disconnect = await fetch(`${app.base}/api/trpc/intercom.disconnect`, { method: 'POST', headers: { cookie } });
    expect(disconnect.status).toBe(200);
    expect(await disconnect.json()).toEqual({ result: { data: { success: true, redirectTo: null, finishing: false } } });
    const signOut = await fetch(`${app.base}/api/trpc/auth.signOut`, { method: 'POST', headers: { cookie } });
    expect(signOut.status).toBe(200);
    const me = await fetch(`${app.base}/api/trpc/auth.me`, { headers: { cookie } });
    expect(await me.json()).toEqual({ result: { data: null } });
  });

  it('still refuse an input they do not take', async () => {
    const response = await fetch(`${app.base}/api/trpc/auth.me?input=${encodeURIComponent('{"x":1}')}`);
    expect(response.status).toBe(400);
  });
});
