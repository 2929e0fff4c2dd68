/**
 * The engine against a real authorization server that nobody here wrote (panva's oidc-provider,
 * test/support/oidc-provider.ts): authorization code with S256 PKCE for both client
 * authentication methods, RFC 9207 `iss`, refresh with rotation (an old refresh token is
 * refused), RFC 7009 revocation, a wrong redirect URI and a replayed code refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../env.js';
import { defineConnector } from '../connectors/types.js';
import type { RuntimeEnv } from '../runtime-env.js';
import { SecretValue } from '../secrets/secret-value.js';
import { startAuthorizationServer, type AuthorizationServer, type TokenEndpointAuthMethod } from '../../test/support/oidc-provider.js';
import { resolveOAuthConfig } from './config.js';
import { authorizationUrl, exchangeCode, refreshTokens, revokeWithRfc7009 } from './engine.js';
import { ProviderError } from './provider-error.js';

const APP_URL = 'http://localhost:3000';
const PKCE_SECRET = 'engine-test-pkce-secret-engine-test-pkce-secret';
const TIMEOUT = 5_000;
let server: AuthorizationServer;

const clients: Record<TokenEndpointAuthMethod, { id: string; secret: string }> = {
  client_secret_basic: { id: 'engine-basic', secret: 'basic secret with reserved chars: +/=&%' },
  client_secret_post: { id: 'engine-post', secret: 'post-secret-0123456789' },
};

beforeAll(async () => {
  server = await startAuthorizationServer({
    clients: Object.entries(clients).map(([method, c]) => ({
      clientId: c.id,
      clientSecret: c.secret,
      redirectUris: [`${APP_URL}/integrations/oidc_test/callback`],
      tokenEndpointAuthMethod: method as TokenEndpointAuthMethod,
    })),
    accounts: { ada: { email: 'ada@example.test', name: 'Ada' } },
  });
});
afterAll(async () => {
  expect(server.serverErrors).toEqual([]);
  await server.close();
});

/** A standard provider, as a definition: endpoints, scopes, PKCE, client authentication. */
function definitionFor(method: TokenEndpointAuthMethod) {
  return defineConnector({
    id: 'oidc_test',
    name: 'OIDC test provider',
    tagline: 'A standards-compliant authorization server',
    brandColor: '#123456',
    icon: null,
    category: 'engineering',
    accessItems: ['Everything the test needs'],
    availability: 'available',
    keys: {
      OIDC_TEST_ACCESS_TOKEN: { sensitive: true, description: 'access token' },
      OIDC_TEST_TOKEN_TYPE: { sensitive: false, description: 'token type' },
    },
    oauth: {
      endpoints: { authorize: server.endpoints.authorization, token: server.endpoints.token, revoke: server.endpoints.revocation },
      issuer: server.issuer,
      apiBase: server.issuer,
      scopes: ['openid', 'email'],
      clientAuthentication: method,
      storage: { accessToken: 'OIDC_TEST_ACCESS_TOKEN', tokenType: 'OIDC_TEST_TOKEN_TYPE' },
      identify: () => Promise.resolve({ id: 'ada', name: 'Ada' }),
      revoke: 'rfc7009',
    },
  });
}

function configFor(method: TokenEndpointAuthMethod, env: Record<string, string> = {}) {
  // A test connector is not in the registry, so its credential variables are not in the env
  // schema: they are added after parsing, under the names the engine derives from its id.
  const withClient = {
    ...parseEnv({ NODE_ENV: 'test', APP_URL, ...env }),
    SESSION_SECRET: 'x'.repeat(32),
    OIDC_TEST_CLIENT_ID: clients[method].id,
    OIDC_TEST_CLIENT_SECRET: clients[method].secret,
  } as RuntimeEnv;
  const config = resolveOAuthConfig(definitionFor(method) as never, withClient);
  if (!config.clientId || !config.clientSecret) throw new Error('test client not configured');
  return config as typeof config & { clientId: string; clientSecret: SecretValue };
}

async function authorize(method: TokenEndpointAuthMethod, state = `state-${Math.random().toString(36).slice(2)}xxxxxxxx`) {
  const config = configFor(method);
  const url = new URL(await authorizationUrl(config, state, PKCE_SECRET));
  const back = await server.approve(url, { accountId: 'ada' });
  return { config, state, url, back };
}

const callbackOf = (back: URL) => ({
  code: back.searchParams.get('code')!,
  state: back.searchParams.get('state')!,
  iss: back.searchParams.get('iss') ?? undefined,
});

describe.each(['client_secret_basic', 'client_secret_post'] as const)('%s', (method) => {
  it('authorization code with S256 PKCE: the consent URL carries the challenge, the exchange the verifier', async () => {
    const { config, url, back } = await authorize(method);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('scope')).toBe('openid email');
    expect(back.searchParams.get('iss')).toBe(server.issuer);
    const tokens = await exchangeCode(config, callbackOf(back), PKCE_SECRET, TIMEOUT);
    expect(tokens.tokenType).toBe('Bearer');
    expect(tokens.refreshToken).not.toBeNull();
    expect(tokens.expiresAt!.getTime()).toBeGreaterThan(Date.now());
    expect(server.token(tokens.accessToken.reveal())).toBeDefined();
  });

  it('refresh rotates the refresh token, and the old one is refused with invalid_grant', async () => {
    const { config, back } = await authorize(method);
    const first = await exchangeCode(config, callbackOf(back), PKCE_SECRET, TIMEOUT);
    const second = await refreshTokens(config, first.refreshToken!, TIMEOUT);
    expect(second.refreshToken).not.toBeNull();
    expect(second.refreshToken!.equals(first.refreshToken!)).toBe(false);
    const reuse = await refreshTokens(config, first.refreshToken!, TIMEOUT).catch((e: unknown) => e);
    expect(reuse).toBeInstanceOf(ProviderError);
    expect(reuse).toMatchObject({ step: 'token', status: 400, oauthError: 'invalid_grant' });
  });

  it('RFC 7009 revocation ends the grant: its refresh token no longer works', async () => {
    const { config, back } = await authorize(method);
    const tokens = await exchangeCode(config, callbackOf(back), PKCE_SECRET, TIMEOUT);
    expect(await revokeWithRfc7009(config, tokens.refreshToken!, TIMEOUT)).toBe('revoked');
    const after = await refreshTokens(config, tokens.refreshToken!, TIMEOUT).catch((e: unknown) => e);
    expect(after).toMatchObject({ status: 400, oauthError: 'invalid_grant' });
    // Revoking again is fine (RFC 7009 §2.2): a retried revoke job is harmless.
    expect(await revokeWithRfc7009(config, tokens.refreshToken!, TIMEOUT)).toBe('revoked');
  });
});

describe('what the engine refuses', () => {
  it('a replayed code', async () => {
    const { config, back } = await authorize('client_secret_basic');
    await exchangeCode(config, callbackOf(back), PKCE_SECRET, TIMEOUT);
    const replay = await exchangeCode(config, callbackOf(back), PKCE_SECRET, TIMEOUT).catch((e: unknown) => e);
    expect(replay).toMatchObject({ step: 'token', status: 400, oauthError: 'invalid_grant' });
  });

  it('a wrong redirect URI at the exchange', async () => {
    const { back } = await authorize('client_secret_post');
    const elsewhere = configFor('client_secret_post', { APP_URL: 'http://localhost:3999' });
    const error = await exchangeCode(elsewhere, callbackOf(back), PKCE_SECRET, TIMEOUT).catch((e: unknown) => e);
    expect(error).toMatchObject({ step: 'token', status: 400, oauthError: 'invalid_grant' });
  });

  it('an `iss` that is not the provider’s (a mix-up attack), before the code is spent', async () => {
    const { config, back } = await authorize('client_secret_basic');
    const wrong = await exchangeCode(config, { ...callbackOf(back), iss: 'https://evil.example' }, PKCE_SECRET, TIMEOUT).catch((e: unknown) => e);
    expect(wrong).toMatchObject({ step: 'token', failure: 'malformed_response' });
    // Refused before the exchange: the code was never spent, so the real callback still works.
    expect((await exchangeCode(config, callbackOf(back), PKCE_SECRET, TIMEOUT)).tokenType).toBe('Bearer');
  });

  it('a wrong PKCE verifier (another server secret)', async () => {
    const { config, back } = await authorize('client_secret_post');
    const error = await exchangeCode(config, callbackOf(back), 'another-secret-another-secret-another', TIMEOUT).catch((e: unknown) => e);
    expect(error).toMatchObject({ step: 'token', status: 400, oauthError: 'invalid_grant' });
  });

  it('a wrong client secret', async () => {
    const { back } = await authorize('client_secret_basic');
    const config = configFor('client_secret_basic');
    const wrong = { ...config, clientSecret: new SecretValue('not the secret') };
    const error = await exchangeCode(wrong, callbackOf(back), PKCE_SECRET, TIMEOUT).catch((e: unknown) => e);
    // oidc-provider answers 401 with a WWW-Authenticate challenge (RFC 6749 §5.2).
    expect(error).toMatchObject({ step: 'token', status: 401, failure: 'http_status' });
  });
});
