import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServerBuild } from '@remix-run/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTenant, makeUser, TEST_PASSWORD } from '../../test/support/factories.js';
import { testServices, useTestDatabase } from '../../test/support/database.js';
import { captureLogs } from '../../test/support/logs.js';
import { createHttpApp } from './app.js';

const db = useTestDatabase();
let server: Server;
let base: string;
let logs: ReturnType<typeof captureLogs>;
let APP_ORIGIN: string;

beforeAll(async () => {
  const buildFile = path.resolve('build/index.js');
  if (!existsSync(buildFile)) throw new Error('Run `npx remix build` first (npm test does).');
  const build = (await import(pathToFileURL(buildFile).href)) as ServerBuild;
  // Listen first: APP_URL must be the origin the requests come from (Remix checks it too).
  server = createServer();
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  APP_ORIGIN = base;
  logs = captureLogs();
  const app = createHttpApp({
    services: testServices(db.orm, logs.logger, { APP_URL: base }),
    build,
    publicDir: path.resolve('public'),
    formActionOrigins: ['https://app.intercom.com'],
  });
  server.on('request', app);
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});


describe('HTTP server', () => {
  it('answers /healthz when the database is reachable', async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', database: 'ok' });
  });

  it('sends security headers with a fresh CSP nonce on every page', async () => {
    const [a, b] = await Promise.all([fetch(`${base}/login`), fetch(`${base}/login`)]);
    for (const response of [a, b]) {
      expect(response.status).toBe(200);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("form-action 'self' https://app.intercom.com");
      expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
    }
    const nonce = (r: Response) => /'nonce-([^']+)'/.exec(r.headers.get('content-security-policy') ?? '')?.[1];
    expect(nonce(a)).not.toBe(nonce(b));
    const html = await a.text();
    expect(html).toContain(`nonce="${nonce(a)}"`);
  });

  it('keeps the callback out of Referer headers', async () => {
    const response = await fetch(`${base}/integrations/intercom/callback?code=x&state=y`, { redirect: 'manual' });
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('echoes a well-formed request id and replaces a malformed one', async () => {
    const given = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'req-12345678' } });
    expect(given.headers.get('x-request-id')).toBe('req-12345678');
    const bad = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'bad id\r\n' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves fingerprinted assets as immutable', async () => {
    const html = await (await fetch(`${base}/login`)).text();
    const asset = /\/build\/[^"]+\.js/.exec(html)?.[0];
    expect(asset).toBeTruthy();
    const response = await fetch(`${base}${asset}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toContain('immutable');
  });

  it('answers tRPC over plain JSON: 400 with field errors, 401 without a session', async () => {
    const invalid = await fetch(`${base}/api/trpc/auth.signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: APP_ORIGIN },
      body: JSON.stringify({ email: 'nope', password: '' }),
    });
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as { error: { data: { fieldErrors: Record<string, string[]> } } };
    expect(body.error.data.fieldErrors.email).toEqual(['Enter a valid email address.']);
    expect(body.error.data.fieldErrors.password).toEqual(['Enter your password.']);

    const anonymous = await fetch(`${base}/api/trpc/catalog.list`);
    expect(anonymous.status).toBe(401);
  });

  it('signs in over HTTP, then lists the catalog with the cookie', async () => {
    const em = db.orm.em.fork();
    const tenant = await makeTenant(em);
    const user = await makeUser(em, tenant.slug, 'member');
    const signIn = await fetch(`${base}/api/trpc/auth.signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: APP_ORIGIN },
      body: JSON.stringify({ email: user.email, password: TEST_PASSWORD }),
    });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    const list = await fetch(`${base}/api/trpc/catalog.list`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(list.status).toBe(200);
    const { result } = (await list.json()) as { result: { data: { id: string; status: string }[] } };
    expect(result.data).toHaveLength(16);
    // A member may read but not connect.
    const connect = await fetch(`${base}/api/trpc/intercom.connect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: APP_ORIGIN, cookie: cookie.split(';')[0]! },
    });
    expect(connect.status).toBe(403);
  });

  it('answers a plain call in one JSON document and streams a batch the client asked to stream', async () => {
    const em = db.orm.em.fork();
    const tenant = await makeTenant(em);
    const user = await makeUser(em, tenant.slug, 'member');
    const signIn = await fetch(`${base}/api/trpc/auth.signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: APP_ORIGIN },
      body: JSON.stringify({ email: user.email, password: TEST_PASSWORD }),
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    const plain = await fetch(`${base}/api/trpc/catalog.list,intercom.status?batch=1&input=${encodeURIComponent('{}')}`, { headers: { cookie } });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-length')).toMatch(/^\d+$/);
    const answers = (await plain.json()) as { result: { data: unknown } }[];
    expect(answers).toHaveLength(2);
    expect((answers[1]!.result.data as { connector: string }).connector).toBe('intercom');

    // httpBatchStreamLink's request: the answer is jsonl, sent in chunks as each call finishes.
    const streamed = await fetch(`${base}/api/trpc/catalog.list,intercom.status?batch=1&input=${encodeURIComponent('{}')}`, {
      headers: { cookie, 'trpc-accept': 'application/jsonl' },
    });
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get('transfer-encoding')).toBe('chunked');
    const lines = (await streamed.text()).trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.join('\n')).toContain('"connector":"intercom"');
  });

  it('serves the public folder’s files and leaves every other path to the app', async () => {
    const icon = await fetch(`${base}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toContain('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('public, max-age=3600');
    // Not a public file: Remix answers (its 404 page), with the app's no-store policy.
    const missing = await fetch(`${base}/favicon-missing.svg`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('cache-control')).toBe('private, no-store');
  });

  it('refuses state-changing requests from another origin', async () => {
    const response = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=a%40b.c&password=x',
    });
    expect(response.status).toBe(403);
  });

  it('logs one JSON line per request without query strings or passwords', async () => {
    await fetch(`${base}/integrations/intercom/callback?code=SECRETCODE123&state=abc`, { redirect: 'manual' });
    await fetch(`${base}/login`, {
      method: 'POST',
      headers: { origin: APP_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=someone%40example.test&password=hunter2-password',
    });
    const text = logs.text();
    expect(text).not.toContain('SECRETCODE123');
    expect(text).not.toContain('hunter2-password');
    const lines = logs.lines.map((l) => JSON.parse(l) as { msg: string; path?: string; requestId?: string });
    const callback = lines.find((l) => l.msg === 'request' && l.path === '/integrations/intercom/callback');
    expect(callback?.requestId).toBeTruthy();
  });
});
