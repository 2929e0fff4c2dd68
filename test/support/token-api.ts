/**
 * A world for the token API: the real HTTP app on the test database, a Linear sandbox started
 * here (short-lived tokens when asked) that the app reaches through PROVIDER_ORIGIN_OVERRIDES as
 * it would reach Linear, tenants connected over HTTP (sign in, connect, consent, exchange), and
 * service keys made by the same code as `service-key:create`.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { createServiceKey } from '../../server/auth/service-keys.js';
import { linearSandboxProfile } from '../../server/connectors/linear/sandbox-profile.js';
import { startOAuthSandbox, type OAuthSandbox } from '../../server/sandbox/oauth-sandbox.js';
import type { TestDatabase } from './database.js';
import { makeTenant, makeUser, TEST_PASSWORD } from './factories.js';
import { useHttpApp, type TestHttpApp } from './http-app.js';

export interface TokenApiWorld {
  readonly app: TestHttpApp;
  readonly sandbox: OAuthSandbox;
  readonly client: { clientId: string; clientSecret: string };
  /** A new tenant with an admin, connected to Linear over HTTP. */
  connectedTenant(): Promise<{ id: string; slug: string }>;
  /** Connects Linear for an existing tenant, through a new admin of it. */
  connect(tenantSlug: string): Promise<void>;
  /** A new tenant with nothing connected. */
  tenant(): Promise<{ id: string; slug: string }>;
  /** A new service key (the plaintext, as `service-key:create` prints it once). */
  serviceKey(name?: string): Promise<{ key: string; name: string; id: string }>;
  /** GET (or POST .../refresh) on the token API with a key. */
  call(path: string, options?: { key?: string | null; method?: string; refresh?: boolean }): Promise<Response>;
  /** Tokens the sandbox minted that a log line must never contain. */
  secrets(): string[];
}

export interface TokenApiWorldOptions {
  /** The sandbox's access token lifetime (Linear's is a day). */
  accessTokenTtlSeconds?: number;
  env?: Record<string, string>;
}

/**
 * Connects `connector` for an existing tenant the way an admin does, over HTTP: a new admin signs
 * in, `<connector>.connect`, Approve on the sandbox's consent page, `<connector>.exchange`.
 * Answers the authorization code (a secret for log checks).
 */
export async function connectOverHttp(options: {
  db: TestDatabase;
  base: string;
  sandbox: OAuthSandbox;
  connector: string;
  tenantSlug: string;
}): Promise<string> {
  const { db, base, sandbox, connector, tenantSlug } = options;
  const user = await makeUser(db.orm.em.fork(), tenantSlug, 'admin');
  const signIn = await fetch(`${base}/api/trpc/auth.signIn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: user.email, password: TEST_PASSWORD }),
  });
  expect(signIn.status).toBe(200);
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
  async function trpc(procedure: string, input?: unknown): Promise<unknown> {
    const response = await fetch(`${base}/api/trpc/${connector}.${procedure}`, {
      method: 'POST',
      headers: { cookie, ...(input === undefined ? {} : { 'content-type': 'application/json' }) },
      body: input === undefined ? undefined : JSON.stringify(input),
    });
    const body = (await response.json()) as { result?: { data: unknown } };
    expect(response.status, `${connector}.${procedure}: ${JSON.stringify(body)}`).toBe(200);
    return body.result?.data;
  }
  const { authorizeUrl } = (await trpc('connect')) as { authorizeUrl: string };
  const consentPage = await (await fetch(authorizeUrl)).text();
  const consent = /name="consent" value="([^"]+)"/.exec(consentPage)?.[1] ?? '';
  const decisionUrl = new URL(authorizeUrl);
  decisionUrl.pathname = `${decisionUrl.pathname}/decision`;
  decisionUrl.search = '';
  const decision = await fetch(decisionUrl, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ consent, decision: 'approve' }),
  });
  expect(decision.status).toBe(302);
  const back = new URL(decision.headers.get('location') ?? '');
  const code = back.searchParams.get('code') ?? '';
  expect(await trpc('exchange', { code, state: back.searchParams.get('state') })).toMatchObject({ success: true });
  expect(sandbox.log.some((r) => r.path === decisionUrl.pathname)).toBe(true);
  return code;
}

export function useTokenApiWorld(db: TestDatabase, options: TokenApiWorldOptions = {}): TokenApiWorld {
  const client = { clientId: 'plugboard-token-api-it', clientSecret: `token-api-client-secret-${randomBytes(12).toString('hex')}` };
  let sandbox: OAuthSandbox | undefined;
  /** Codes and service keys handed out here: secrets a log line must never contain. */
  const seen: string[] = [];
  beforeAll(async () => {
    sandbox = await startOAuthSandbox(
      { ...linearSandboxProfile, accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? linearSandboxProfile.accessTokenTtlSeconds },
      client,
    );
  });
  afterAll(async () => {
    await sandbox?.close();
  });
  // Registered after the sandbox's hook, so its env function sees the sandbox's address.
  const app = useHttpApp(db, () => ({
    LINEAR_CLIENT_ID: client.clientId,
    LINEAR_CLIENT_SECRET: client.clientSecret,
    PROVIDER_ORIGIN_OVERRIDES: `https://linear.app=${sandbox!.url},https://api.linear.app=${sandbox!.url}`,
    OAUTH_HTTP_TIMEOUT_MS: '5000',
    ...options.env,
  }));

  const world: TokenApiWorld = {
    app,
    get sandbox() {
      if (!sandbox) throw new Error('useTokenApiWorld: the sandbox exists only inside tests');
      return sandbox;
    },
    client,
    async tenant() {
      const tenant = await makeTenant(db.orm.em.fork());
      return { id: tenant.id, slug: tenant.slug };
    },
    async connectedTenant() {
      const tenant = await world.tenant();
      await world.connect(tenant.slug);
      return tenant;
    },
    async connect(tenantSlug) {
      seen.push(await connectOverHttp({ db, base: app.base, sandbox: world.sandbox, connector: 'linear', tenantSlug }));
    },
    async serviceKey(name = `svc-${randomBytes(4).toString('hex')}`) {
      const created = await createServiceKey(db.orm.em.fork(), name);
      seen.push(created.key.reveal());
      return { key: created.key.reveal(), name: created.name, id: created.id };
    },
    call(path, { key, method, refresh } = {}) {
      const url = `${app.base}${path.replace(/^\/api\/v1\/connections\/([^/?]+)\/token/, (m) => (refresh ? `${m}/refresh` : m))}`;
      return fetch(url, {
        method: method ?? (refresh ? 'POST' : 'GET'),
        headers: key ? { authorization: `Bearer ${key}` } : {},
      });
    },
    secrets: () => [client.clientSecret, ...seen, ...world.sandbox.tokens().map((t) => t.token)],
  };
  return world;
}
