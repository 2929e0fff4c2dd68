/**
 * Playwright fixtures that create what a test needs straight in the web server's database
 * (tenant, users, sessions) instead of clicking through the UI, and delete it afterwards.
 * Only the sign-in spec drives the real /login form; every other test starts signed in.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, expect, type ConsoleMessage, type Page } from '@playwright/test';
import { Tenant } from '../db/entities/index.js';
import type { UserRole } from '../db/entities/user.js';
import { openOrm, type Orm } from '../db/orm.js';
import { createTenant, createUser } from '../server/auth/accounts.js';
import { serializeSessionCookie, sessionCookieName } from '../server/auth/session-cookie.js';
import { signIn } from '../server/auth/sessions.js';
import { LocalSecretBackend, parseMasterKey, parsePreviousKeys } from '../server/secrets/local-backend.js';
import { E2E_SERVER } from '../playwright.config.js';

export { expect };

/** The web server's DATA_DIR: relative paths in the config resolve against the repository root. */
const dataDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', E2E_SERVER.dataDir);

/**
 * The web server's database. DATABASE_URL reaches the server too (Playwright passes its own
 * environment to webServer), so both sides agree; otherwise the embedded cluster the server
 * started, whose password it wrote on first start. Fixtures run after the webServer is up.
 */
function databaseUrl(): string {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const password = readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim();
  return `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${E2E_SERVER.embeddedPgPort}/plugboard`;
}

/** Same rule as server/services.ts: the env variable wins, else the dev secret the server generated. */
function sessionSecret(): string {
  return process.env.SESSION_SECRET || readFileSync(path.join(dataDir, 'session-secret'), 'utf8').trim();
}

/**
 * The master key the web server's local secret backend encrypts with: the same rule as
 * server/secrets/secret-store.ts (SECRETS_MASTER_KEY wins, else the dev key it generated).
 */
function secretBackendFor(orm: Orm): LocalSecretBackend {
  if (process.env.SECRETS_BACKEND === 'ssm') {
    throw new Error('The secretBackend fixture reads the local backend, but SECRETS_BACKEND=ssm is set');
  }
  const base64 =
    process.env.SECRETS_MASTER_KEY || readFileSync(path.join(dataDir, 'secrets-master-key'), 'utf8').trim();
  return new LocalSecretBackend({
    orm,
    current: parseMasterKey(base64, Number(process.env.SECRETS_MASTER_KEY_VERSION || 1)),
    previous: parsePreviousKeys(process.env.SECRETS_PREVIOUS_MASTER_KEYS),
  });
}

export interface TestTenant {
  id: string;
  slug: string;
  name: string;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  role: UserRole;
}

export interface BrowserErrors {
  /** Lets the current test log browser errors matching `pattern` (e.g. an expected 401). */
  allow(pattern: RegExp): void;
}

interface WorkerFixtures {
  /** One ORM per worker: its pool is tiny because the server needs the connections more. */
  orm: Orm;
  /**
   * The web server's local secret backend, with its master key: decrypts what the server
   * stored, so a test can check a token landed (and compare it with what a page shows).
   */
  secretBackend: LocalSecretBackend;
}

interface TestFixtures {
  /** A fresh tenant with a unique slug and name; deleted after the test with all it owns. */
  tenant: TestTenant;
  admin: TestUser;
  member: TestUser;
  /** Opens a session for `user` directly in the database and gives `page` its cookie. */
  signInAs: (page: Page, user: TestUser) => Promise<void>;
  /** `page`, already signed in as `admin`. */
  signedInPage: Page;
  /** Fails the test on an uncaught page error or a console error it did not expect. */
  browserErrors: BrowserErrors;
}

const PASSWORD = 'e2e correct horse battery staple';
const unique = () => randomBytes(4).toString('hex');

export const test = base.extend<TestFixtures, WorkerFixtures>({
  orm: [
    // Playwright reads fixture dependencies from the destructuring pattern, so it must exist.
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const orm = await openOrm(databaseUrl(), { poolMax: 2 });
      try {
        await use(orm);
      } finally {
        await orm.close(true);
      }
    },
    { scope: 'worker' },
  ],

  secretBackend: [
    async ({ orm }, use) => {
      await use(secretBackendFor(orm));
    },
    { scope: 'worker' },
  ],

  tenant: async ({ orm }, use) => {
    const id = unique();
    const tenant = await createTenant(orm.em.fork(), { slug: `e2e-${id}`, name: `E2E Tenant ${id}` });
    try {
      await use({ id: tenant.id, slug: tenant.slug, name: tenant.name });
    } finally {
      // The foreign keys cascade: users, sessions, installations and secrets go with it.
      await orm.em.fork().nativeDelete(Tenant, { id: tenant.id });
    }
  },

  admin: async ({ orm, tenant }, use) => {
    await use(await makeUser(orm, tenant, 'admin'));
  },

  member: async ({ orm, tenant }, use) => {
    await use(await makeUser(orm, tenant, 'member'));
  },

  signInAs: async ({ orm, baseURL }, use) => {
    if (!baseURL) throw new Error('signInAs needs use.baseURL in playwright.config.ts');
    const secret = sessionSecret();
    await use(async (page, user) => {
      const result = await signIn(orm.em.fork(), { email: user.email, password: user.password }, 1);
      if (!result) throw new Error(`signInAs: the database refused ${user.email}`);
      // The server's own serializer, so the cookie is signed exactly as a real sign-in signs it.
      // The browser-test servers run over http (NODE_ENV=development): the plain cookie name.
      const header = serializeSessionCookie(result.token, { secret, secure: false, maxAgeSeconds: 3600 });
      const name = sessionCookieName(false);
      const value = header.slice(`${name}=`.length, header.indexOf(';'));
      await page.context().addCookies([{ name, value, url: baseURL, httpOnly: true, sameSite: 'Lax' }]);
    });
  },

  signedInPage: async ({ page, admin, signInAs }, use) => {
    await signInAs(page, admin);
    await use(page);
  },

  browserErrors: [
    async ({ page }, use) => {
      const allowed: RegExp[] = [];
      const seen: string[] = [];
      const onConsole = (message: ConsoleMessage) => {
        if (message.type() === 'error') seen.push(`console.error: ${message.text()}`);
      };
      const onPageError = (error: Error) => seen.push(`uncaught: ${error.message}`);
      page.on('console', onConsole);
      page.on('pageerror', onPageError);
      await use({ allow: (pattern) => allowed.push(pattern) });
      page.off('console', onConsole);
      page.off('pageerror', onPageError);
      const unexpected = seen.filter((line) => !allowed.some((pattern) => pattern.test(line)));
      expect(unexpected, 'errors in the browser during the test').toEqual([]);
    },
    { auto: true },
  ],
});

async function makeUser(orm: Orm, tenant: TestTenant, role: UserRole): Promise<TestUser> {
  const email = `${role}-${unique()}@e2e.plugboard.test`;
  const user = await createUser(orm.em.fork(), { tenant: tenant.slug, email, password: PASSWORD, role });
  return { id: user.id, email: user.email, password: PASSWORD, role };
}
