/**
 * The test authorization server, driven by oauth4webapi exactly as the OAuth engine drives a
 * provider: discovery, authorization URL with S256 PKCE, `iss` and `state` validation (RFC 9207),
 * code exchange with client_secret_basic and client_secret_post, refresh with rotation, RFC 7009
 * revocation, RFC 7662 introspection and userinfo. Every rejection asserted here comes from
 * oidc-provider or oauth4webapi, except the registered-client-authentication check, which the
 * helper adds in front of oidc-provider (which itself accepts either secret method).
 */
import * as oauth from 'oauth4webapi';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthorizationPageError,
  startAuthorizationServer,
  type AuthorizationServer,
  type RegisteredClient,
} from './oidc-provider.js';

const REDIRECT_URI = 'http://127.0.0.1:9/oauth/callback';
const OTHER_REDIRECT_URI = 'http://127.0.0.1:9/oauth/other-callback';

// Secrets with characters that client_secret_basic must form-encode before base64 (RFC 6749 2.3.1).
const basicClient: RegisteredClient = {
  clientId: 'plugboard-basic',
  clientSecret: 'basic: secret+with/odd=chars%20&more',
  redirectUris: [REDIRECT_URI, OTHER_REDIRECT_URI],
  tokenEndpointAuthMethod: 'client_secret_basic',
};
const postClient: RegisteredClient = {
  clientId: 'plugboard-post',
  clientSecret: 'post secret: &=+/',
  redirectUris: [REDIRECT_URI],
  tokenEndpointAuthMethod: 'client_secret_post',
};

const ACCESS_TOKEN_TTL = 45;
/** Only loopback http in tests: oauth4webapi refuses plain http without this option. */
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let server: AuthorizationServer;
let as: oauth.AuthorizationServer;

beforeAll(async () => {
  server = await startAuthorizationServer({
    clients: [basicClient, postClient],
    accessTokenTtlSeconds: ACCESS_TOKEN_TTL,
    accounts: { 'acct-ada': { email: 'ada@example.com', email_verified: true, name: 'Ada Lovelace' } },
    extraScopes: ['read'],
  });
  const issuer = new URL(server.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
});

afterAll(async () => {
  await server?.close();
});

afterEach(() => {
  expect(server?.serverErrors ?? []).toEqual([]);
});

function clientAuth(client: RegisteredClient): oauth.ClientAuth {
  return client.tokenEndpointAuthMethod === 'client_secret_basic'
    ? oauth.ClientSecretBasic(client.clientSecret)
    : oauth.ClientSecretPost(client.clientSecret);
}

interface Attempt {
  url: URL;
  state: string;
  codeVerifier: string;
}

async function authorizationRequest(
  client: RegisteredClient,
  { scope = 'openid email', redirectUri = REDIRECT_URI, pkce = true, prompt = '' } = {},
): Promise<Attempt> {
  const state = oauth.generateRandomState();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const url = new URL(as.authorization_endpoint!);
  url.searchParams.set('client_id', client.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', scope);
  url.searchParams.set('state', state);
  if (prompt) url.searchParams.set('prompt', prompt);
  if (pkce) {
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
  }
  return { url, state, codeVerifier };
}

async function exchange(
  client: RegisteredClient,
  attempt: Attempt,
  callback: URL,
  { redirectUri = REDIRECT_URI, codeVerifier = attempt.codeVerifier, auth = clientAuth(client) } = {},
): Promise<oauth.TokenEndpointResponse> {
  const oauthClient: oauth.Client = { client_id: client.clientId };
  const params = oauth.validateAuthResponse(as, oauthClient, callback, attempt.state);
  const response = await oauth.authorizationCodeGrantRequest(as, oauthClient, auth, params, redirectUri, codeVerifier, insecure);
  return oauth.processAuthorizationCodeResponse(as, oauthClient, response);
}

/** Authorization code flow end to end; answers the tokens. */
async function connect(client: RegisteredClient, scope?: string): Promise<oauth.TokenEndpointResponse> {
  const attempt = await authorizationRequest(client, { scope });
  const callback = await server.approve(attempt.url, { accountId: 'acct-ada' });
  return exchange(client, attempt, callback);
}

async function refresh(client: RegisteredClient, refreshToken: string): Promise<oauth.TokenEndpointResponse> {
  const oauthClient: oauth.Client = { client_id: client.clientId };
  const response = await oauth.refreshTokenGrantRequest(as, oauthClient, clientAuth(client), refreshToken, insecure);
  return oauth.processRefreshTokenResponse(as, oauthClient, response);
}

async function introspect(client: RegisteredClient, token: string): Promise<oauth.IntrospectionResponse> {
  const oauthClient: oauth.Client = { client_id: client.clientId };
  const response = await oauth.introspectionRequest(as, oauthClient, clientAuth(client), token, insecure);
  return oauth.processIntrospectionResponse(as, oauthClient, response);
}

async function revoke(client: RegisteredClient, token: string, tokenTypeHint?: string): Promise<void> {
  const oauthClient: oauth.Client = { client_id: client.clientId };
  const additionalParameters = tokenTypeHint ? { token_type_hint: tokenTypeHint } : undefined;
  const response = await oauth.revocationRequest(as, oauthClient, clientAuth(client), token, { ...insecure, additionalParameters });
  await oauth.processRevocationResponse(response);
}

/** The OAuth error code of a rejected promise (ResponseBodyError, AuthorizationResponseError). */
async function oauthError(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof oauth.ResponseBodyError || error instanceof oauth.AuthorizationResponseError) return error.error;
  if (error instanceof AuthorizationPageError) return error.error;
  throw new Error(`expected an OAuth error, got ${String(error)}`);
}

describe('the test authorization server, as oauth4webapi sees it', () => {
  it('advertises S256 PKCE, iss in authorization responses, revocation and the two secret methods', () => {
    expect(as.issuer).toBe(server.issuer);
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    expect(as.authorization_response_iss_parameter_supported).toBe(true);
    expect(as.revocation_endpoint).toBe(server.endpoints.revocation);
    expect(as.token_endpoint).toBe(server.endpoints.token);
    expect(as.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post']);
  });

  it.each([basicClient, postClient])('runs the code flow with S256 PKCE for a $tokenEndpointAuthMethod client', async (client) => {
    const sent: { authorization: string | undefined; body: URLSearchParams }[] = [];
    const attempt = await authorizationRequest(client);
    const callback = await server.approve(attempt.url, { accountId: 'acct-ada' });
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('state')).toBe(attempt.state);
    expect(callback.searchParams.get('iss')).toBe(server.issuer);

    const oauthClient: oauth.Client = { client_id: client.clientId };
    const params = oauth.validateAuthResponse(as, oauthClient, callback, attempt.state);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      oauthClient,
      clientAuth(client),
      params,
      REDIRECT_URI,
      attempt.codeVerifier,
      {
        ...insecure,
        [oauth.customFetch]: (url, options) => {
          sent.push({ authorization: options.headers.authorization, body: new URLSearchParams(options.body) });
          return fetch(url, options);
        },
      },
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, oauthClient, response);

    // The client authenticated where its registration says, and only there.
    expect(sent).toHaveLength(1);
    const [request] = sent;
    if (client.tokenEndpointAuthMethod === 'client_secret_basic') {
      expect(request?.authorization).toMatch(/^Basic /);
      expect(request?.body.has('client_secret')).toBe(false);
    } else {
      expect(request?.authorization).toBeUndefined();
      expect(request?.body.get('client_secret')).toBe(client.clientSecret);
    }
    expect(request?.body.get('code_verifier')).toBe(attempt.codeVerifier);

    expect(tokens.token_type).toBe('bearer'); // oauth4webapi lower-cases it
    expect(tokens.expires_in).toBe(ACCESS_TOKEN_TTL);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.scope?.split(' ').sort()).toEqual(['email', 'openid']);

    const introspection = await introspect(client, tokens.access_token);
    expect(introspection).toMatchObject({ active: true, client_id: client.clientId, sub: 'acct-ada' });

    const userinfo = await oauth.processUserInfoResponse(
      as,
      oauthClient,
      'acct-ada',
      await oauth.userInfoRequest(as, oauthClient, tokens.access_token, insecure),
    );
    expect(userinfo).toEqual({ sub: 'acct-ada', email: 'ada@example.com', email_verified: true });

    expect(server.token(tokens.access_token)).toMatchObject({ model: 'AccessToken', clientId: client.clientId, revoked: false });
  });

  it('issues a refresh token for a plain OAuth request (no openid, no offline_access)', async () => {
    const tokens = await connect(postClient, 'read');
    expect(tokens.scope).toBe('read');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.id_token).toBeUndefined();
  });

  it('keeps offline_access only when the request also says prompt=consent (OpenID Connect Core 11)', async () => {
    const ignored = await connect(basicClient, 'openid offline_access');
    expect(ignored.scope).toBe('openid');

    const attempt = await authorizationRequest(basicClient, { scope: 'openid offline_access', prompt: 'consent' });
    const kept = await exchange(basicClient, attempt, await server.approve(attempt.url, { accountId: 'acct-ada' }));
    expect(kept.scope?.split(' ').sort()).toEqual(['offline_access', 'openid']);
  });

  it('answers the account values it was given, and new ones after setAccount', async () => {
    server.setAccount('acct-grace', { email: 'grace@example.com', name: 'Grace Hopper' });
    const attempt = await authorizationRequest(basicClient, { scope: 'openid email profile' });
    const tokens = await exchange(basicClient, attempt, await server.approve(attempt.url, { accountId: 'acct-grace' }));
    const oauthClient: oauth.Client = { client_id: basicClient.clientId };
    const userinfo = await oauth.processUserInfoResponse(
      as,
      oauthClient,
      'acct-grace',
      await oauth.userInfoRequest(as, oauthClient, tokens.access_token, insecure),
    );
    expect(userinfo).toEqual({ sub: 'acct-grace', email: 'grace@example.com', name: 'Grace Hopper' });
  });

  it.each([
    [basicClient, oauth.ClientSecretPost(basicClient.clientSecret)],
    [postClient, oauth.ClientSecretBasic(postClient.clientSecret)],
  ])('rejects the secret of a $tokenEndpointAuthMethod client sent the other way', async (client, auth) => {
    const attempt = await authorizationRequest(client);
    const callback = await server.approve(attempt.url, { accountId: 'acct-ada' });
    expect(await oauthError(exchange(client, attempt, callback, { auth }))).toBe('invalid_client');
    // The code was not spent: sent the registered way, it still works.
    await expect(exchange(client, attempt, callback)).resolves.toMatchObject({ token_type: 'bearer' });
  });

  it('rejects a wrong secret', async () => {
    const attempt = await authorizationRequest(postClient);
    const callback = await server.approve(attempt.url, { accountId: 'acct-ada' });
    const code = exchange(postClient, attempt, callback, { auth: oauth.ClientSecretPost('not the secret') });
    expect(await oauthError(code)).toBe('invalid_client');
  });
});

describe('access token lifetime', () => {
  it('ends an access token after the configured TTL, while its refresh token still works', async () => {
    const shortLived = await startAuthorizationServer({ clients: [postClient], accessTokenTtlSeconds: 1 });
    try {
      const issuer = new URL(shortLived.issuer);
      const metadata = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
      const oauthClient: oauth.Client = { client_id: postClient.clientId };
      const auth = clientAuth(postClient);
      const state = oauth.generateRandomState();
      const verifier = oauth.generateRandomCodeVerifier();
      const url = new URL(metadata.authorization_endpoint!);
      url.search = new URLSearchParams({
        client_id: postClient.clientId,
        redirect_uri: REDIRECT_URI,
        response_type: 'code',
        scope: 'openid',
        state,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      }).toString();
      const params = oauth.validateAuthResponse(metadata, oauthClient, await shortLived.approve(url, { accountId: 'acct-ada' }), state);
      const tokens = await oauth.processAuthorizationCodeResponse(
        metadata,
        oauthClient,
        await oauth.authorizationCodeGrantRequest(metadata, oauthClient, auth, params, REDIRECT_URI, verifier, insecure),
      );
      expect(tokens.expires_in).toBe(1);
      const active = async (token: string) =>
        (
          await oauth.processIntrospectionResponse(
            metadata,
            oauthClient,
            await oauth.introspectionRequest(metadata, oauthClient, auth, token, insecure),
          )
        ).active;
      expect(await active(tokens.access_token)).toBe(true);

      await new Promise((resolve) => setTimeout(resolve, 2_100));
      expect(await active(tokens.access_token)).toBe(false);
      const refreshed = await oauth.processRefreshTokenResponse(
        metadata,
        oauthClient,
        await oauth.refreshTokenGrantRequest(metadata, oauthClient, auth, tokens.refresh_token!, insecure),
      );
      expect(await active(refreshed.access_token)).toBe(true);
      expect(shortLived.serverErrors).toEqual([]);
    } finally {
      await shortLived.close();
    }
  });
});

describe('authorization response validation (RFC 9207 iss, state)', () => {
  it('accepts the server iss and rejects another one, a missing one, and a wrong state', async () => {
    const attempt = await authorizationRequest(basicClient);
    const callback = await server.approve(attempt.url, { accountId: 'acct-ada' });
    const oauthClient: oauth.Client = { client_id: basicClient.clientId };
    expect(oauth.validateAuthResponse(as, oauthClient, callback, attempt.state).get('code')).toBe(callback.searchParams.get('code'));

    const mixUp = new URL(callback);
    mixUp.searchParams.set('iss', 'https://attacker.example');
    expect(() => oauth.validateAuthResponse(as, oauthClient, mixUp, attempt.state)).toThrow(oauth.OperationProcessingError);
    expect(() => oauth.validateAuthResponse(as, oauthClient, mixUp, attempt.state)).toThrow(/iss/);

    const missing = new URL(callback);
    missing.searchParams.delete('iss');
    expect(() => oauth.validateAuthResponse(as, oauthClient, missing, attempt.state)).toThrow(/"iss" \(issuer\) missing/);

    expect(() => oauth.validateAuthResponse(as, oauthClient, callback, 'another state')).toThrow(/state/);
  });

  it('turns a denial into access_denied, still carrying iss and state', async () => {
    const attempt = await authorizationRequest(basicClient);
    const callback = await server.deny(attempt.url);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('iss')).toBe(server.issuer);
    const oauthClient: oauth.Client = { client_id: basicClient.clientId };
    const validate = () => oauth.validateAuthResponse(as, oauthClient, callback, attempt.state);
    expect(validate).toThrow(oauth.AuthorizationResponseError);
    expect(await oauthError(Promise.resolve().then(validate))).toBe('access_denied');
  });
});

describe('PKCE is required', () => {
  it('rejects an authorization request without a code challenge', async () => {
    const attempt = await authorizationRequest(basicClient, { pkce: false });
    const callback = await server.approve(attempt.url, { accountId: 'acct-ada' });
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('rejects a code exchanged with another verifier', async () => {
    const attempt = await authorizationRequest(basicClient);
    const callback = await server.approve(attempt.url, { accountId: 'acct-ada' });
    const code = exchange(basicClient, attempt, callback, { codeVerifier: oauth.generateRandomCodeVerifier() });
    expect(await oauthError(code)).toBe('invalid_grant');
  });
});

describe('redirect URIs and codes', () => {
  it('refuses an unregistered redirect_uri at the authorization endpoint (an error page, no redirect)', async () => {
    const attempt = await authorizationRequest(basicClient, { redirectUri: 'http://127.0.0.1:9/elsewhere' });
    const rejection = await server.approve(attempt.url, { accountId: 'acct-ada' }).catch((e: unknown) => e);
    expect(rejection).toBeInstanceOf(AuthorizationPageError);
    expect(rejection).toMatchObject({ status: 400, error: 'invalid_redirect_uri' });
  });

  it('rejects an exchange whose redirect_uri differs from the authorization request', async () => {
    const attempt = await authorizationRequest(basicClient);
    const callback = await server.approve(attempt.url, { accountId: 'acct-ada' });
    const code = exchange(basicClient, attempt, callback, { redirectUri: OTHER_REDIRECT_URI });
    expect(await oauthError(code)).toBe('invalid_grant');
  });

  it('rejects a replayed code and revokes what the code issued', async () => {
    const attempt = await authorizationRequest(postClient);
    const callback = await server.approve(attempt.url, { accountId: 'acct-ada' });
    const tokens = await exchange(postClient, attempt, callback);
    expect(await oauthError(exchange(postClient, attempt, callback))).toBe('invalid_grant');

    expect(await introspect(postClient, tokens.access_token)).toEqual({ active: false });
    expect(server.token(tokens.access_token)?.revoked).toBe(true);
    expect(server.token(callback.searchParams.get('code')!)?.consumed).toBe(true);
  });
});

describe('refresh tokens rotate', () => {
  it('answers a new refresh token, and reuse of the old one is invalid_grant and ends the grant', async () => {
    const first = await connect(basicClient);
    const second = await refresh(basicClient, first.refresh_token!);
    expect(second.refresh_token).toEqual(expect.any(String));
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.expires_in).toBe(ACCESS_TOKEN_TTL);
    expect(server.token(first.refresh_token!)).toMatchObject({ consumed: true });

    expect(await oauthError(refresh(basicClient, first.refresh_token!))).toBe('invalid_grant');
    // Reuse detection revokes the whole grant: the refresh token rotated in before is gone too.
    // Two refreshes racing with one token therefore disconnect the account.
    expect(await oauthError(refresh(basicClient, second.refresh_token!))).toBe('invalid_grant');
    expect(await introspect(basicClient, second.access_token)).toEqual({ active: false });
  });

  it('refuses another client’s refresh token', async () => {
    const tokens = await connect(basicClient);
    expect(await oauthError(refresh(postClient, tokens.refresh_token!))).toBe('invalid_grant');
  });
});

describe('revocation (RFC 7009)', () => {
  it.each([basicClient, postClient])('revokes a refresh token for a $tokenEndpointAuthMethod client', async (client) => {
    const tokens = await connect(client);
    await revoke(client, tokens.refresh_token!, 'refresh_token');
    expect(server.token(tokens.refresh_token!)?.revoked).toBe(true);
    expect(await introspect(client, tokens.refresh_token!)).toEqual({ active: false });
    expect(await oauthError(refresh(client, tokens.refresh_token!))).toBe('invalid_grant');
  });

  it('revokes an access token, after which userinfo refuses it (and, here, the grant’s refresh token)', async () => {
    const tokens = await connect(basicClient);
    await revoke(basicClient, tokens.access_token, 'access_token');
    expect(await introspect(basicClient, tokens.access_token)).toEqual({ active: false });
    const oauthClient: oauth.Client = { client_id: basicClient.clientId };
    const response = await oauth.userInfoRequest(as, oauthClient, tokens.access_token, insecure);
    expect(response.status).toBe(401);
    await response.body?.cancel();
    // RFC 7009 section 2.1 leaves this to the server ("MAY"); oidc-provider revokes the grant's tokens.
    expect(await oauthError(refresh(basicClient, tokens.refresh_token!))).toBe('invalid_grant');
  });

  it('answers 200 for a token it does not know, so revoking twice is harmless', async () => {
    await expect(revoke(postClient, 'never-issued')).resolves.toBeUndefined();
  });

  it('does not let a client revoke another client’s token', async () => {
    const tokens = await connect(basicClient);
    expect(await oauthError(revoke(postClient, tokens.refresh_token!))).toBe('invalid_request');
    expect(server.token(tokens.refresh_token!)?.revoked).toBe(false);
    await expect(refresh(basicClient, tokens.refresh_token!)).resolves.toMatchObject({ token_type: 'bearer' });
  });
});
