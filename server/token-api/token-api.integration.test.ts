/**
 * The token API over real HTTP: the app on a real database, service keys as the CLI makes them,
 * Linear tenants connected over HTTP against the generic sandbox with 2-second tokens (refresh
 * margin 1 s), so expiry, concurrent refreshes and a revoked grant happen for real.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/support/database.js';
import { useTokenApiWorld } from '../../test/support/token-api.js';
import { revokeServiceKey } from '../auth/service-keys.js';
import { LINEAR_SANDBOX_ORGANIZATION as ORG } from '../connectors/linear/sandbox-profile.js';

const db = useTestDatabase();
const world = useTokenApiWorld(db, { accessTokenTtlSeconds: 2, env: { TOKEN_REFRESH_MARGIN_SECONDS: '1' } });
const path = (connector: string, tenant?: string) => `/api/v1/connections/${connector}/token${tenant === undefined ? '' : `?tenant=${encodeURIComponent(tenant)}`}`;

const tokenCalls = () => world.sandbox.log.filter((r) => r.method === 'POST' && r.path === '/oauth/token');
const liveAccessTokens = () => world.sandbox.tokens().filter((t) => t.kind === 'access' && !t.revoked);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function json(response: Response): Promise<Record<string, unknown>> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return (await response.json()) as Record<string, unknown>;
}

/** Waits until a token expiring at `expiresAt` is inside the 1 s refresh margin. */
async function untilDue(expiresAt: string) {
  await sleep(Math.max(0, Date.parse(expiresAt) - 1000 - Date.now() + 50));
}

afterAll(() => {
  // Every token, code, key and the client secret seen in this file: none may reach a log line.
  const text = world.app.logs.text();
  for (const secret of world.secrets()) expect(text.includes(secret), 'a secret reached the log').toBe(false);
});

describe('authentication', () => {
  it('refuses a missing, malformed, unknown or revoked key with the same 401', async () => {
    const tenant = await world.tenant();
    const revoked = await world.serviceKey();
    await revokeServiceKey(db.orm.em.fork(), revoked.name);
    const unknown = `pbk_${'A'.repeat(43)}`;
    const attempts: Record<string, string | undefined> = {
      missing: undefined,
      basic: `Basic ${Buffer.from('user:pass').toString('base64')}`,
      notAKey: 'Bearer hello',
      truncated: `Bearer ${revoked.key.slice(0, -1)}`,
      unknown: `Bearer ${unknown}`,
      revoked: `Bearer ${revoked.key}`,
    };
    for (const [what, authorization] of Object.entries(attempts)) {
      const response = await fetch(`${world.app.base}${path('linear', tenant.slug)}`, { headers: authorization ? { authorization } : {} });
      expect(response.status, what).toBe(401);
      expect(response.headers.get('www-authenticate'), what).toBe('Bearer realm="plugboard"');
      expect(await json(response), what).toEqual({ error: 'invalid_key', message: 'Send a valid service key: Authorization: Bearer <key>.' });
    }
  });

  it('a key works until it is revoked, and its use is recorded', async () => {
    const tenant = await world.connectedTenant();
    const { key, name } = await world.serviceKey();
    expect((await world.call(path('linear', tenant.slug), { key })).status).toBe(200);
    const [row] = await db.sql<{ last_used_at: Date | null }>('select last_used_at from service_keys where name = $1', [name]);
    expect(row?.last_used_at).toBeInstanceOf(Date);
    await revokeServiceKey(db.orm.em.fork(), name);
    expect((await world.call(path('linear', tenant.slug), { key })).status).toBe(401);
  });
});

describe('requests the API refuses', () => {
  it('400 invalid_request for a missing, repeated, too long or malformed tenant', async () => {
    const { key } = await world.serviceKey();
    const base = '/api/v1/connections/linear/token';
    for (const query of ['', '?tenant=', '?tenant=a&tenant=b', `?tenant=${'a'.repeat(64)}`, '?tenant=Acme%20Inc', '?tenant[x]=1', '?tenant=%27%3B--']) {
      const response = await world.call(`${base}${query}`, { key });
      expect(response.status, query).toBe(400);
      expect(await json(response), query).toMatchObject({ error: 'invalid_request', message: expect.any(String) });
    }
  });

  it('404 for an unknown connector (ids are exact), an unknown tenant, and a connector not connected', async () => {
    const { key } = await world.serviceKey();
    const tenant = await world.connectedTenant();
    const cases: [string, string, string][] = [
      [path('nope', tenant.slug), 'unknown_connector', 'No connector with this id is available.'],
      [path('Linear', tenant.slug), 'unknown_connector', 'No connector with this id is available.'],
      [path('linear', 'no-such-tenant'), 'unknown_tenant', 'No tenant with this slug or id.'],
      [path('linear', '00000000-0000-4000-8000-000000000000'), 'unknown_tenant', 'No tenant with this slug or id.'],
      [path('intercom', tenant.slug), 'not_connected', 'The connector is not connected for this tenant.'],
      [path('linear', (await world.tenant()).id), 'not_connected', 'The connector is not connected for this tenant.'],
    ];
    for (const [url, error, message] of cases) {
      const response = await world.call(url, { key });
      expect(response.status, url).toBe(404);
      expect(await json(response), url).toEqual({ error, message });
    }
  });

  it('405 for other methods, naming the one allowed', async () => {
    const { key } = await world.serviceKey();
    const tenant = await world.tenant();
    for (const [method, refresh, allow] of [['POST', false, 'GET'], ['DELETE', false, 'GET'], ['GET', true, 'POST'], ['PUT', true, 'POST']] as const) {
      const response = await world.call(path('linear', tenant.slug), { key, method, refresh });
      expect(response.status, `${method} ${refresh}`).toBe(405);
      expect(response.headers.get('allow')).toBe(allow);
      expect(await json(response)).toMatchObject({ error: 'method_not_allowed' });
    }
  });

  it('a path that is not valid percent-encoding is a JSON 400, not an error page', async () => {
    const { key } = await world.serviceKey();
    const response = await world.call('/api/v1/connections/%E0%A4%A/token?tenant=acme', { key });
    expect(response.status).toBe(400);
    expect(await json(response)).toEqual({ error: 'invalid_request', message: 'The request could not be understood.' });
  });

  it('an unknown path under /api/v1 is a JSON 404', async () => {
    const { key } = await world.serviceKey();
    const response = await world.call('/api/v1/connections', { key });
    expect(response.status).toBe(404);
    expect(await json(response)).toMatchObject({ error: 'not_found' });
  });
});

describe('tokens', () => {
  it('a connected Linear tenant gets its token, by slug and by id, with the documented answer', async () => {
    const { key } = await world.serviceKey();
    const tenant = await world.connectedTenant();
    for (const ref of [tenant.slug, tenant.id]) {
      const response = await world.call(path('linear', ref), { key });
      expect(response.status).toBe(200);
      const body = await json(response);
      const live = liveAccessTokens().map((t) => t.token);
      expect(live).toContain(body.accessToken);
      expect(body).toEqual({
        accessToken: expect.stringMatching(/^lin_sbx_/),
        tokenType: 'Bearer',
        expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        scopes: ['read'],
        account: { id: ORG.id, name: ORG.name },
        settings: {},
      });
    }
  });

  it('past the refresh point, 20 concurrent requests get one new token from exactly one refresh', async () => {
    const { key } = await world.serviceKey();
    const tenant = await world.connectedTenant();
    const first = await json(await world.call(path('linear', tenant.slug), { key }));
    await untilDue(first.expiresAt as string);
    const before = tokenCalls().length;

    const answers = await Promise.all(Array.from({ length: 20 }, () => world.call(path('linear', tenant.id), { key })));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    const bodies = await Promise.all(answers.map(json));
    const tokens = new Set(bodies.map((b) => b.accessToken));
    expect(tokens.size).toBe(1);
    expect(tokens.has(first.accessToken)).toBe(false);
    expect(tokenCalls().slice(before).map((r) => r.status)).toEqual([200]);
    expect(Date.parse(bodies[0]!.expiresAt as string)).toBeGreaterThan(Date.parse(first.expiresAt as string));
  });

  it('/token/refresh: 10 concurrent reports of a rejected token cause exactly one refresh', async () => {
    const { key } = await world.serviceKey();
    const tenant = await world.connectedTenant();
    const first = await json(await world.call(path('linear', tenant.slug), { key }));
    const before = tokenCalls().length;

    const answers = await Promise.all(Array.from({ length: 10 }, () => world.call(path('linear', tenant.slug), { key, refresh: true })));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    const tokens = new Set((await Promise.all(answers.map(json))).map((b) => b.accessToken));
    expect(tokens.size).toBe(1);
    expect(tokens.has(first.accessToken)).toBe(false);
    expect(tokenCalls().slice(before).map((r) => r.status)).toEqual([200]);
  });

  it('an expired token the provider cannot refresh just now is a 503 token_unavailable with Retry-After', async () => {
    const { key } = await world.serviceKey();
    const tenant = await world.connectedTenant();
    const first = await json(await world.call(path('linear', tenant.slug), { key }));
    await sleep(Date.parse(first.expiresAt as string) - Date.now() + 50);
    world.sandbox.faults.next('token', { status: 500 });

    const refused = await world.call(path('linear', tenant.slug), { key });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await json(refused)).toEqual({
      error: 'token_unavailable',
      message: 'The provider could not refresh the token just now. Try again after Retry-After seconds.',
    });
    expect(tokenCalls().at(-1)?.status).toBe(500);
  });

  it('after the grant is revoked at the provider, a forced refresh answers 409 needs_reconnect (invalid_grant)', async () => {
    const { key } = await world.serviceKey();
    const tenant = await world.connectedTenant();
    const { accessToken } = await json(await world.call(path('linear', tenant.slug), { key }));
    // Linear's revocation is bearer-style: the token authenticates its own revocation and ends the grant.
    const revoke = await fetch(`${world.sandbox.url}/oauth/revoke`, { method: 'POST', headers: { authorization: `Bearer ${String(accessToken)}` } });
    expect(revoke.status).toBe(200);

    const refused = await world.call(path('linear', tenant.slug), { key, refresh: true });
    expect(refused.status).toBe(409);
    expect(await json(refused)).toEqual({
      error: 'needs_reconnect',
      reason: 'invalid_grant',
      message: 'The connection needs to be reconnected by an admin of the tenant.',
    });
    expect(tokenCalls().at(-1)?.status).toBe(400);
    // It stays refused (no further provider call) until an admin reconnects.
    const calls = tokenCalls().length;
    const again = await world.call(path('linear', tenant.id), { key });
    expect(again.status).toBe(409);
    expect(tokenCalls()).toHaveLength(calls);
  });
});

describe('logs', () => {
  it('name the key, tenant, connector and status of each answer, never the token', async () => {
    const { key, name } = await world.serviceKey('logs-check');
    const tenant = await world.connectedTenant();
    const body = await json(await world.call(path('linear', tenant.slug), { key }));
    await world.call(path('linear', 'missing-tenant'), { key });
    const answers = world.app.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'token API answer' && l.serviceKey === name);
    expect(answers).toEqual([
      expect.objectContaining({ level: 30, serviceKey: name, tenantId: tenant.id, connector: 'linear', status: 200 }),
      expect.objectContaining({ level: 30, serviceKey: name, tenantId: null, connector: 'linear', status: 404 }),
    ]);
    expect(world.app.logs.text()).not.toContain(String(body.accessToken));
    expect(world.app.logs.text()).not.toContain(key);
  });
});
