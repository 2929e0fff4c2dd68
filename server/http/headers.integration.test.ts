import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allowConsoleError } from '../../test/support/console.js';
import { useTestDatabase } from '../../test/support/database.js';
import { useHttpApp } from '../../test/support/http-app.js';

const db = useTestDatabase();
// A public folder with the Remix build and one plain file, as a deployment has (robots.txt).
const publicDir = mkdtempSync(path.join(tmpdir(), 'plugboard-public-'));
symlinkSync(path.resolve('public/build'), path.join(publicDir, 'build'));
writeFileSync(path.join(publicDir, 'robots.txt'), 'User-agent: *\nDisallow: /\n');
afterAll(() => rmSync(publicDir, { recursive: true, force: true }));

const app = useHttpApp(db, () => ({}), { publicDir: () => publicDir });
const https = useHttpApp(db, () => ({ APP_URL: 'https://plugboard.example' }));

/** Remix's handleError (app/entry.server.tsx) reports unmatched URLs on console.error. */
const expectsRemix404 = () => allowConsoleError();

async function assetPath(): Promise<string> {
  const html = await (await fetch(`${app.base}/login`)).text();
  const asset = /\/build\/[^"]+\.js/.exec(html)?.[0];
  if (!asset) throw new Error('no asset in the login page');
  return asset;
}

describe('Cache-Control', () => {
  it.each([
    ['the login page', '/login'],
    ['a Remix data request', '/login?_data=routes%2Flogin'],
    ['a page behind sign-in (redirect)', '/integrations'],
    ['a missing page', '/no-such-page'],
    ['a tRPC answer', '/api/trpc/auth.me'],
    ['a tRPC error', '/api/trpc/catalog.list'],
    ['the health check', '/healthz'],
  ])('is private, no-store on %s', async (_what, url) => {
    expectsRemix404();
    const response = await fetch(`${app.base}${url}`, { redirect: 'manual' });
    expect(response.headers.get('cache-control')).toBe('private, no-store');
  });

  it('is private, no-store on an action answer', async () => {
    const response = await fetch(`${app.base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=nobody%40example.test&password=wrong',
      redirect: 'manual',
    });
    expect(response.headers.get('cache-control')).toBe('private, no-store');
  });

  it('keeps long caching on fingerprinted assets and short caching on other public files', async () => {
    const asset = await fetch(`${app.base}${await assetPath()}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const robots = await fetch(`${app.base}/robots.txt`);
    expect(robots.status).toBe(200);
    expect(robots.headers.get('cache-control')).toBe('public, max-age=3600');
  });
});

describe('Referrer-Policy', () => {
  it.each([
    '/integrations/intercom/callback',
    '/integrations/intercom/callback/',
    '/integrations/google-drive/callback/',
    '/integrations/google_email/callback',
    '/INTEGRATIONS/Intercom/CALLBACK',
    '/integrations/intercom/%63allback',
    '/integrations/intercom%2Fcallback',
    '/%69ntegrations/intercom/callback',
    '//integrations//intercom/callback',
    '/integrations/intercom/callback.data',
  ])('is no-referrer on the OAuth callback variant %s', async (url) => {
    expectsRemix404();
    const response = await fetch(`${app.base}${url}?code=x&state=y`, { redirect: 'manual' });
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it.each(['/login', '/integrations/intercom', '/integrations'])('stays strict-origin-when-cross-origin on %s', async (url) => {
    const response = await fetch(`${app.base}${url}`, { redirect: 'manual' });
    expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
  });
});

describe('Strict-Transport-Security', () => {
  it('is not sent when APP_URL is http', async () => {
    const response = await fetch(`${app.base}/healthz`);
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  it('is sent when APP_URL is https', async () => {
    const response = await fetch(`${https.base}/healthz`);
    expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  });
});

describe('request log levels', () => {
  type Line = { level: number; msg: string; path?: string; status?: number };
  const requestLines = () =>
    app.logs.lines.map((l) => JSON.parse(l) as Line).filter((l) => l.msg === 'request');
  const levelOf = (p: string) => requestLines().findLast((l) => l.path === p)?.level;

  it('logs probes, the manifest and static files at debug, everything else at info', async () => {
    expectsRemix404();
    const asset = await assetPath();
    await fetch(`${app.base}/healthz`);
    await fetch(`${app.base}/__manifest?p=%2Flogin&version=x`);
    await fetch(`${app.base}${asset}`);
    await fetch(`${app.base}/favicon.ico`);
    await fetch(`${app.base}/robots.txt`);
    await fetch(`${app.base}/api/trpc/auth.me`);
    await fetch(`${app.base}/no-such-page`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const quiet of ['/healthz', '/__manifest', asset, '/favicon.ico', '/robots.txt']) {
      expect(levelOf(quiet), quiet).toBe(20);
    }
    expect(levelOf('/login')).toBe(30);
    expect(levelOf('/api/trpc/auth.me')).toBe(30);
    expect(levelOf('/no-such-page')).toBe(30);
  });
});
