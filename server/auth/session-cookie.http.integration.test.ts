import { randomBytes } from 'node:crypto';
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
import { createHttpApp } from '../http/app.js';

/** The app over real HTTP with the production environment: Secure, __Host- session cookies. */
const db = useTestDatabase();
let server: Server;
let base: string;

beforeAll(async () => {
  const buildFile = path.resolve('build/index.js');
  if (!existsSync(buildFile)) throw new Error('Run `npx remix build` first (npm test does).');
  const build = (await import(pathToFileURL(buildFile).href)) as ServerBuild;
  server = createServer();
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const services = testServices(db.orm, captureLogs().logger, {
    NODE_ENV: 'production',
    APP_URL: base,
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    SECRETS_BACKEND: 'local',
    SECRETS_MASTER_KEY: randomBytes(32).toString('base64'),
  });
  server.on('request', createHttpApp({ services, build, publicDir: path.resolve('public'), formActionOrigins: [] }));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('session cookie in production, over HTTP', () => {
  it('is __Host-plugboard_session, and the plain name is ignored', async () => {
    const em = db.orm.em.fork();
    const user = await makeUser(em, (await makeTenant(em)).slug, 'member');
    const signIn = await fetch(`${base}/api/trpc/auth.signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: JSON.stringify({ email: user.email, password: TEST_PASSWORD }),
    });
    expect(signIn.status).toBe(200);
    const setCookie = signIn.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^__Host-plugboard_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure$/);

    const prefixed = setCookie.split(';')[0]!;
    const me = async (cookie: string) => {
      const response = await fetch(`${base}/api/trpc/auth.me`, { headers: { cookie } });
      expect(response.status).toBe(200);
      return ((await response.json()) as { result: { data: { email: string } | null } }).result.data;
    };
    expect((await me(prefixed))?.email).toBe(user.email);
    // The same valid, signed value without the prefix: what a sibling subdomain could set.
    expect(await me(prefixed.replace(/^__Host-/, ''))).toBeNull();
    expect((await fetch(`${base}/api/trpc/catalog.list`, { headers: { cookie: prefixed.replace(/^__Host-/, '') } })).status).toBe(401);
  });
});
