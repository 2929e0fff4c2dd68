/**
 * The app shell over real HTTP, with the production wiring (NODE_ENV=production, so Remix
 * sanitises errors as it would in production): redirect targets from input, 404 and error
 * pages, and what reaches the logs and the console when a loader or action fails.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServerBuild } from '@remix-run/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { serializeSessionCookie } from '../auth/session-cookie.js';
import type { AppServices } from '../services.js';
import { makeTenant, makeUser, signedInUser, TEST_PASSWORD } from '../../test/support/factories.js';
import { testServices, useTestDatabase } from '../../test/support/database.js';
import { captureLogs } from '../../test/support/logs.js';
import { createHttpApp } from './app.js';

const db = useTestDatabase();
let server: Server;
let base: string;
let services: AppServices;
let logs: ReturnType<typeof captureLogs>;

beforeAll(async () => {
  const buildFile = path.resolve('build/index.js');
  if (!existsSync(buildFile)) throw new Error('Run `npx remix build` first (npm test does).');
  const build = (await import(pathToFileURL(buildFile).href)) as ServerBuild;
  server = createServer();
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  logs = captureLogs();
  services = testServices(db.orm, logs.logger, {
    NODE_ENV: 'production',
    APP_URL: base,
    SESSION_SECRET: 'test-session-secret-test-session-secret',
    SECRETS_BACKEND: 'local',
    SECRETS_MASTER_KEY: randomBytes(32).toString('base64'),
  });
  server.on('request', createHttpApp({ services, build, publicDir: path.resolve('public'), formActionOrigins: [] }));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

// Nothing from Remix may reach the console: the setup file fails a test on console.error;
// these catch the rest.
let consoleSpies: MockInstance[] = [];
beforeEach(() => {
  consoleSpies = (['log', 'info', 'warn', 'debug'] as const).map((m) => vi.spyOn(console, m));
});
afterEach(() => {
  for (const spy of consoleSpies) {
    const calls = [...spy.mock.calls];
    spy.mockRestore();
    expect(calls).toEqual([]);
  }
});

async function sessionCookie(): Promise<string> {
  const { token } = await signedInUser(services);
  return serializeSessionCookie(token, { secret: services.env.SESSION_SECRET, secure: true, maxAgeSeconds: 3600 }).split(';')[0]!;
}

function signInPost(body: Record<string, string>) {
  return fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body).toString(),
  });
}

const title = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1];

/** Raw query strings an attacker could send; each must land on /integrations, never 5xx. */
const hostileTargets = [
  '/%09/evil.example',
  '/%0a/evil.example',
  '/%0d/evil.example',
  '/%0d%0aSet-Cookie:%20a=b',
  '%E3%80%82evil.example',
  '//evil.example',
  '/%5Cevil.example',
  '/%2F/evil.example',
  'https://evil.example',
  'javascript:alert(1)',
];

describe('redirect targets', () => {
  it('sends a signed-in user to /integrations, never to another host', async () => {
    const cookie = await sessionCookie();
    for (const target of hostileTargets) {
      const response = await fetch(`${base}/login?redirectTo=${target}`, { redirect: 'manual', headers: { cookie } });
      expect(response.status, target).toBe(302);
      expect(response.headers.get('location'), target).toBe('/integrations');
    }
  });

  it('keeps a same-site target for a signed-in user', async () => {
    const cookie = await sessionCookie();
    const response = await fetch(`${base}/login?redirectTo=${encodeURIComponent('/integrations/intercom?x=1')}`, {
      redirect: 'manual',
      headers: { cookie },
    });
    expect(response.headers.get('location')).toBe('/integrations/intercom?x=1');
  });

  it('sends a user who just signed in to /integrations, never to another host', async () => {
    const em = db.orm.em.fork();
    const user = await makeUser(em, (await makeTenant(em)).slug);
    for (const target of hostileTargets) {
      const response = await signInPost({
        email: user.email,
        password: TEST_PASSWORD,
        redirectTo: decodeURIComponent(target),
      });
      expect(response.status, target).toBe(302);
      expect(response.headers.get('location'), target).toBe('/integrations');
      expect(response.headers.get('set-cookie'), target).toMatch(/^__Host-plugboard_session=/);
    }
    const kept = await signInPost({ email: user.email, password: TEST_PASSWORD, redirectTo: '/integrations/intercom' });
    expect(kept.headers.get('location')).toBe('/integrations/intercom');
  });

  it('renders the sign-in form with a safe hidden target', async () => {
    const html = await (await fetch(`${base}/login?redirectTo=/%09/evil.example`)).text();
    // The form posts back to the same URL; the action reads the hidden field, never the query.
    expect(/name="redirectTo" value="([^"]*)"/.exec(html)?.[1]).toBe('/integrations');
  });
});

describe('sign-in form', () => {
  it('marks invalid fields and names the problem in a server render', async () => {
    const response = await signInPost({ email: 'not-an-email', password: '' });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('role="alert"');
    expect(html).toMatch(/<input id="email"[^>]*aria-invalid="true"[^>]*aria-describedby="email-error"/);
    expect(html).toMatch(/<input id="password"[^>]*aria-invalid="true"[^>]*aria-describedby="password-error"/);
    expect(html).toContain('<p id="email-error" class="field-error">Enter a valid email address.</p>');
    expect(html).toContain('<p id="password-error" class="field-error">Enter your password.</p>');
  });
});

describe('404 and error pages', () => {
  it('renders an unknown URL inside the app shell with a title and status 404', async () => {
    const cookie = await sessionCookie();
    for (const url of ['/this-does-not-exist', '/integrations/nope', '/integrations/nope/callback?code=c&state=s', '/a/b/c']) {
      const response = await fetch(`${base}${url}`, { redirect: 'manual', headers: { cookie } });
      expect(response.status, url).toBe(404);
      const html = await response.text();
      expect(title(html), url).toBe('Page not found · Plugboard');
      expect(html, url).toContain('class="topbar"');
      expect(html, url).toContain('Sign out');
      expect(html, url).toContain('<h1>Page not found</h1>');
      expect(html, url).toContain('href="/integrations"');
      expect(html, url).not.toContain('No route matches');
    }
  });

  it('answers 404 inside the shell for anonymous visitors and for POSTs', async () => {
    const get = await fetch(`${base}/this-does-not-exist`);
    expect(get.status).toBe(404);
    const html = await get.text();
    expect(title(html)).toBe('Page not found · Plugboard');
    expect(html).toContain('href="/login"');
    const post = await fetch(`${base}/this-does-not-exist`, {
      method: 'POST',
      headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=b',
    });
    expect(post.status).toBe(404);
    expect(title(await post.text())).toBe('Page not found · Plugboard');
  });

  it("logs the router's own refusals as warnings, not as failures", async () => {
    const cookie = await sessionCookie();
    const response = await fetch(`${base}/integrations?index`, {
      method: 'POST',
      headers: { cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=b',
    });
    expect(response.status).toBe(405);
    expect(title(await response.text())).toBe('Something went wrong · Plugboard');
    const requestId = response.headers.get('x-request-id');
    const lines = logs.lines.map((l) => JSON.parse(l) as { msg: string; level: number; requestId?: string; status?: number });
    expect(lines.find((l) => l.requestId === requestId && l.msg === 'request refused')).toMatchObject({ level: 40, status: 405 });
    expect(lines.find((l) => l.requestId === requestId && l.msg === 'request failed')).toBeUndefined();
  });

  it('still sends an anonymous visitor of a connector page to sign in', async () => {
    const response = await fetch(`${base}/integrations/nope`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/login?redirectTo=%2Fintegrations%2Fnope');
  });

  it('turns a database failure into a generic 500 page, logged without the statement', async () => {
    const email = `leak-${randomBytes(4).toString('hex')}@example.test`;
    const connection = db.orm.em.getConnection();
    // A real driver error: sign-in's query names a table that is not there, with the email in it.
    await connection.execute('alter table "users" rename to "users_moved_away"');
    let response: Response;
    try {
      response = await signInPost({ email, password: 'whatever-password' });
    } finally {
      await connection.execute('alter table "users_moved_away" rename to "users"');
    }
    expect(response.status).toBe(500);
    const html = await response.text();
    expect(title(html)).toBe('Something went wrong · Plugboard');
    expect(html).toContain('class="topbar"');
    expect(html).toContain('<h1>Something went wrong</h1>');
    expect(html).not.toContain(email);
    expect(html).not.toMatch(/users|relation|select/i);

    const requestId = response.headers.get('x-request-id');
    const failed = logs.lines
      .map((l) => JSON.parse(l) as { msg: string; requestId?: string; path?: string; err?: { type?: string } })
      .find((l) => l.msg === 'request failed' && l.requestId === requestId);
    expect(failed).toMatchObject({ path: '/login', err: { type: 'TRPCError' } });
    expect(logs.text()).not.toContain(email);
  });
});
