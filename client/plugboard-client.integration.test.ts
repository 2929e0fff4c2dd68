/**
 * The typed client against the real app (same world as the token API's tests: real HTTP, real
 * database, Linear connected through the sandbox with 2-second tokens).
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { useTestDatabase } from '../test/support/database.js';
import { useTokenApiWorld } from '../test/support/token-api.js';
import { LINEAR_SANDBOX_ORGANIZATION as ORG } from '../server/connectors/linear/sandbox-profile.js';
import type { TokenAnswer, TokenApiErrorCode } from '../server/token-api/router.js';
import { createPlugboardClient, PlugboardError, type PlugboardErrorCode, type PlugboardToken } from './plugboard-client.js';

const LIMIT = 6;
const db = useTestDatabase();
const world = useTokenApiWorld(db, {
  accessTokenTtlSeconds: 2,
  env: { TOKEN_REFRESH_MARGIN_SECONDS: '1', TOKEN_API_RATE_LIMIT_PER_MINUTE: String(LIMIT) },
});

async function clientWithNewKey() {
  const { key } = await world.serviceKey();
  return createPlugboardClient({ baseUrl: world.app.base, apiKey: key });
}

async function refusal(call: Promise<unknown>): Promise<PlugboardError> {
  const error = await call.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PlugboardError);
  return error as PlugboardError;
}

describe('createPlugboardClient', () => {
  it('its types are the server\'s (the client imports nothing, so the compiler checks them here)', () => {
    expectTypeOf<PlugboardToken>().toEqualTypeOf<TokenAnswer>();
    expectTypeOf<TokenApiErrorCode>().toExtend<PlugboardErrorCode>();
  });

  it('getToken answers the connection\'s token, typed; refreshToken a new one', async () => {
    const tenant = await world.connectedTenant();
    const seen: string[] = [];
    const { key } = await world.serviceKey();
    const plugboard = createPlugboardClient({
      baseUrl: `${world.app.base}/`,
      apiKey: key,
      fetch: (input, init) => {
        seen.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
        return fetch(input, init);
      },
    });
    const token: PlugboardToken = await plugboard.getToken(tenant.slug, 'linear');
    expect(world.sandbox.tokens().filter((t) => t.kind === 'access').map((t) => t.token)).toContain(token.accessToken);
    expect(token).toMatchObject({ tokenType: 'Bearer', scopes: ['read'], account: { id: ORG.id, name: ORG.name }, settings: {} });
    expect(Date.parse(token.expiresAt ?? '')).toBeGreaterThan(Date.now());

    const fresh = await plugboard.refreshToken(tenant.id, 'linear');
    expect(fresh.accessToken).not.toBe(token.accessToken);
    expect(seen).toEqual(['GET /api/v1/connections/linear/token', 'POST /api/v1/connections/linear/token/refresh']);
  });

  it('throws PlugboardError with status and code for each refusal', async () => {
    const plugboard = await clientWithNewKey();
    const tenant = await world.tenant();
    const cases: [() => Promise<unknown>, number, string][] = [
      [() => createPlugboardClient({ baseUrl: world.app.base, apiKey: `pbk_${'C'.repeat(43)}` }).getToken(tenant.slug, 'linear'), 401, 'invalid_key'],
      [() => plugboard.getToken('Not A Slug', 'linear'), 400, 'invalid_request'],
      [() => plugboard.getToken(tenant.slug, 'no-such-connector'), 404, 'unknown_connector'],
      [() => plugboard.getToken('no-such-tenant', 'linear'), 404, 'unknown_tenant'],
      [() => plugboard.refreshToken(tenant.id, 'linear'), 404, 'not_connected'],
    ];
    for (const [call, status, code] of cases) {
      const error = await refusal(call());
      expect({ status: error.status, code: error.code, reason: error.reason, retryAfterSeconds: error.retryAfterSeconds }).toEqual({ status, code, reason: null, retryAfterSeconds: null });
      expect(error.message).not.toContain('pbk_');
    }
  });

  it('needs_reconnect carries its reason', async () => {
    const plugboard = await clientWithNewKey();
    const tenant = await world.connectedTenant();
    const { accessToken } = await plugboard.getToken(tenant.slug, 'linear');
    await fetch(`${world.sandbox.url}/oauth/revoke`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } });
    const error = await refusal(plugboard.refreshToken(tenant.slug, 'linear'));
    expect([error.status, error.code, error.reason]).toEqual([409, 'needs_reconnect', 'invalid_grant']);
  });

  it('token_unavailable (the provider fails after the token expired) carries Retry-After', async () => {
    const plugboard = await clientWithNewKey();
    const tenant = await world.connectedTenant();
    const { expiresAt } = await plugboard.getToken(tenant.slug, 'linear');
    await new Promise((resolve) => setTimeout(resolve, Date.parse(expiresAt!) - Date.now() + 50));
    world.sandbox.faults.next('token', { status: 503 });
    const error = await refusal(plugboard.getToken(tenant.slug, 'linear'));
    expect([error.status, error.code]).toEqual([503, 'token_unavailable']);
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // Once the provider is back, the next call refreshes.
    expect((await plugboard.getToken(tenant.slug, 'linear')).expiresAt).not.toBe(expiresAt);
  });

  it('rate_limited carries Retry-After', async () => {
    const plugboard = await clientWithNewKey();
    for (let i = 0; i < LIMIT; i++) await refusal(plugboard.getToken('no-such-tenant', 'linear'));
    const error = await refusal(plugboard.getToken('no-such-tenant', 'linear'));
    expect([error.status, error.code]).toEqual([429, 'rate_limited']);
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it('an unreachable Plugboard is a PlugboardError with status 0', async () => {
    const plugboard = createPlugboardClient({ baseUrl: 'http://127.0.0.1:9', apiKey: `pbk_${'D'.repeat(43)}` });
    const error = await refusal(plugboard.getToken('acme', 'linear'));
    expect([error.status, error.code]).toEqual([0, 'bad_response']);
  });
});
