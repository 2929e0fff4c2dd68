/**
 * The flash notice over real HTTP against the built app: signing out sets a signed `__flash`
 * cookie, the next page shows the notice once and clears the cookie, and a forged cookie shows
 * nothing.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServerBuild } from '@remix-run/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../server/http/app.js';
import { testServices, useTestDatabase } from '../../test/support/database.js';
import { captureLogs } from '../../test/support/logs.js';
import { signedInUser } from '../../test/support/factories.js';
import { serializeSessionCookie } from '../../server/auth/session-cookie.js';
import type { AppServices } from '../../server/services.js';
import { createFlashStorage, readFlash, setFlash } from './flash.server';

const SECRET = 'flash-test-session-secret-flash-test-session-secret';
const db = useTestDatabase();
let server: Server;
let base: string;
let services: AppServices;

beforeAll(async () => {
  // The flash storage resolves the secret as the server does: from the environment.
  process.env.SESSION_SECRET = SECRET;
  const buildFile = path.resolve('build/index.js');
  if (!existsSync(buildFile)) throw new Error('Run `npx remix build` first (npm test does).');
  const build = (await import(pathToFileURL(buildFile).href)) as ServerBuild;
  server = createServer();
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  services = testServices(db.orm, captureLogs().logger, {
    NODE_ENV: 'production',
    APP_URL: base,
    SESSION_SECRET: SECRET,
    SECRETS_BACKEND: 'local',
    SECRETS_MASTER_KEY: randomBytes(32).toString('base64'),
  });
  server.on('request', createHttpApp({ services, build, publicDir: path.resolve('public'), formActionOrigins: [] }));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const NOTICE = 'You have signed out.';

/** The name=value part of the `__flash` Set-Cookie, and its attributes. */
function flashCookie(response: Response): { pair: string; attributes: string } | null {
  const header = response.headers.getSetCookie().find((c) => c.startsWith('__flash='));
  if (!header) return null;
  const [pair, ...rest] = header.split(';');
  return { pair: pair!, attributes: rest.join(';').toLowerCase() };
}

async function signOut(): Promise<Response> {
  const { token } = await signedInUser(services);
  const session = serializeSessionCookie(token, { secret: SECRET, secure: true, maxAgeSeconds: 3600 }).split(';')[0]!;
  return fetch(`${base}/logout`, { method: 'POST', redirect: 'manual', headers: { origin: base, cookie: session } });
}

describe('flash notice over HTTP', () => {
  it('is set by signing out, shown once on the next page, and cleared', async () => {
    const out = await signOut();
    expect(out.status).toBe(302);
    expect(out.headers.get('location')).toBe('/login');
    const set = flashCookie(out);
    expect(set).not.toBeNull();
    expect(set!.attributes).toContain('httponly');
    expect(set!.attributes).toContain('samesite=lax');
    expect(set!.attributes).toContain('path=/');
    // Signed, not readable as plain text in the cookie.
    expect(decodeURIComponent(set!.pair)).not.toContain(NOTICE);

    const first = await fetch(`${base}/login`, { headers: { cookie: set!.pair } });
    expect(first.status).toBe(200);
    const html = await first.text();
    expect(html).toContain(NOTICE);
    expect(html).toMatch(/role="status"[^>]*>[^<]*You have signed out\./);
    const cleared = flashCookie(first);
    expect(cleared?.attributes).toMatch(/expires=thu, 01 jan 1970|max-age=0/);

    // The browser drops the cookie; the next page has no notice and sets no cookie.
    const second = await fetch(`${base}/login`);
    expect(await second.text()).not.toContain(NOTICE);
    expect(flashCookie(second)).toBeNull();
  });

  it('ignores a forged cookie', async () => {
    const forged = createFlashStorage({ secret: 'another-secret-another-secret-another-secret', secure: false });
    const session = await forged.getSession();
    session.flash('flash', { id: 'x', tone: 'error', text: 'Your account is suspended' });
    const pair = (await forged.commitSession(session)).split(';')[0]!;
    const html = await (await fetch(`${base}/login`, { headers: { cookie: pair } })).text();
    expect(html).not.toContain('Your account is suspended');
  });
});

describe('setFlash and readFlash', () => {
  it('round-trip a notice, reject a malformed one, and mark the cookie Secure only over https', async () => {
    const headers = await setFlash(new Request('http://localhost/x'), { tone: 'warning', text: 'Heads up' });
    const pair = headers.get('set-cookie')!.split(';')[0]!;
    const { flash, headers: clear } = await readFlash(new Request('http://localhost/y', { headers: { cookie: pair } }));
    expect(flash).toMatchObject({ tone: 'warning', text: 'Heads up' });
    expect(flash?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(clear.get('set-cookie')).toMatch(/^__flash=;/);

    await expect(setFlash(new Request('http://localhost/x'), { tone: 'loud' as 'info', text: 'x' })).rejects.toThrow();

    const secure = createFlashStorage({ secret: SECRET, secure: true });
    expect((await secure.commitSession(await secure.getSession())).toLowerCase()).toContain('secure');
    const plain = createFlashStorage({ secret: SECRET, secure: false });
    expect((await plain.commitSession(await plain.getSession())).toLowerCase()).not.toContain('secure');
  });

  it('reads no notice and sets no cookie when there is none', async () => {
    const { flash, headers } = await readFlash(new Request('http://localhost/'));
    expect(flash).toBeNull();
    expect(headers.has('set-cookie')).toBe(false);
  });
});
