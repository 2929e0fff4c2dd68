/**
 * The OAuth 2.0 protocol work, done by oauth4webapi (docs/decisions/011-oauth-engine.md) from
 * the connector's spec: the authorization URL with S256 PKCE, the callback's validation (RFC 9207
 * `iss`), the code exchange with the spec's client authentication, and RFC 7009 revocation.
 * Provider quirks come in through the spec (`normalizeTokenAnswer`), never as branches here.
 */
import { createHmac } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { parseLearnedValues, type ConnectionSettings } from '../connectors/settings.js';
import type { OAuthSpec, ProviderCallContext } from '../connectors/types.js';
import { appAuthentication } from './app-jwt.js';
import { grantSigner } from '../oauth1/signature.js';
import { SecretValue } from '../secrets/secret-value.js';
import type { OAuthClientConfig } from './config.js';
import { overridingFetch } from './origin-overrides.js';
import { ProviderError, type ProviderStep } from './provider-error.js';

export type ConfiguredClient = OAuthClientConfig & { clientId: string; clientSecret: SecretValue };

/** What a code exchange gives: the grant's tokens, and what the provider said about them. */
export interface TokenSet {
  accessToken: SecretValue;
  refreshToken: SecretValue | null;
  tokenType: string;
  expiresAt: Date | null;
  scopes: string[] | null;
  /** The spec's `learned` values the answer carried (`from: 'token'`), validated. */
  learned: ConnectionSettings;
}

/**
 * The PKCE verifier of an authorization, derived from its state and a server secret: nothing
 * to store, and only this server can compute it (RFC 7636 §4.1: 43 characters of base64url).
 */
export function pkceVerifier(secret: string, connector: string, state: string): string {
  return createHmac('sha256', secret).update(`plugboard-pkce:${connector}:${state}`).digest('base64url');
}

function authorizationServer(config: OAuthClientConfig): oauth.AuthorizationServer {
  return {
    issuer: config.issuer,
    authorization_endpoint: config.authorizeUrl,
    token_endpoint: config.tokenUrl,
    ...(config.revokeUrl ? { revocation_endpoint: config.revokeUrl } : {}),
  };
}

function clientAuthentication(config: ConfiguredClient): oauth.ClientAuth {
  const secret = config.clientSecret.reveal();
  return config.spec.clientAuthentication === 'client_secret_basic' ? clientSecretBasic(secret) : oauth.ClientSecretPost(secret);
}

/**
 * HTTP Basic client authentication (RFC 6749 §2.3.1). The id and secret are form-encoded as the
 * RFC asks, but unreserved characters stay as they are: oauth4webapi's ClientSecretBasic also
 * escapes `-`, `.` and `_`, which servers that decode (as the RFC says they must) read the same,
 * while providers that do not decode (Notion's ids are UUIDs) would refuse every request.
 */
function clientSecretBasic(secret: string): oauth.ClientAuth {
  return (_as, client, _body, headers) => {
    const credentials = `${encodeURIComponent(client.client_id)}:${encodeURIComponent(secret)}`;
    headers.set('authorization', `Basic ${Buffer.from(credentials).toString('base64')}`);
  };
}

/**
 * A fetch for one provider: overridden origins, the flow's deadline, the spec's body format and
 * answer quirks (`hook`: a hook's own calls, which get neither).
 */
export function providerFetcher(config: OAuthClientConfig, step: ProviderStep, timeoutMs: number, hook = false) {
  const base = overridingFetch(fetch, config.originOverrides);
  const { spec } = config;
  const protocolStep = !hook && (step === 'token' || step === 'revoke');
  return async (url: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    let response: Response;
    const request = withHeaders(protocolStep && spec.requestBody === 'json' ? asJsonBody(init) : init, spec.requestHeaders);
    try {
      response = await base(url, { ...request, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const name = (error as Error).name;
      throw new ProviderError(step, null, name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network');
    }
    if (!protocolStep || step !== 'token' || !response.ok || (!spec.normalizeTokenAnswer && !spec.okField)) return response;
    const body: unknown = await response.json().catch(() => {
      throw new ProviderError(step, response.status, 'malformed_response');
    });
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ProviderError(step, response.status, 'malformed_response');
    const answer = checkOkField(spec, body as Record<string, unknown>, response.status);
    const normalized = spec.normalizeTokenAnswer ? spec.normalizeTokenAnswer(answer) : answer;
    return new Response(JSON.stringify(normalized), { status: response.status, headers: { 'content-type': 'application/json' } });
  };
}

/** The same parameters as a JSON object (Notion's token and revocation endpoints). */
function asJsonBody(init: RequestInit): RequestInit {
  if (!(init.body instanceof URLSearchParams)) return init;
  const headers = new Headers(init.headers);
  headers.set('content-type', 'application/json');
  return { ...init, headers, body: JSON.stringify(Object.fromEntries(init.body)) };
}

/** The spec's own headers (Notion-Version) on a request; the caller's Authorization and body headers stay. */
function withHeaders(init: RequestInit, extra: Readonly<Record<string, string>> | undefined): RequestInit {
  if (!extra) return init;
  const headers = new Headers(init.headers);
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return { ...init, headers };
}

/** An error inside a 200 answer (Slack's `ok: false`): a ProviderError with the provider's code. */
function checkOkField(spec: OAuthSpec<string>, body: Record<string, unknown>, status: number): Record<string, unknown> {
  if (!spec.okField || body[spec.okField] === true) return body;
  if (body[spec.okField] !== false) throw new ProviderError('token', status, 'malformed_response');
  const code = typeof body.error === 'string' && /^[a-z_]{1,64}$/.test(body.error) ? body.error : null;
  throw new ProviderError('token', status, 'http_status', code && spec.clientErrorCodes?.includes(code) ? 'invalid_client' : code);
}

function requestOptions(config: OAuthClientConfig, step: ProviderStep, timeoutMs: number) {
  return {
    [oauth.customFetch]: providerFetcher(config, step, timeoutMs),
    // Plain http only for loopback stand-ins (sandboxes, tests); production endpoints are https.
    [oauth.allowInsecureRequests]: config.loopbackHttp,
  };
}

/** Token requests also carry the spec's extra parameters (Zendesk's requested lifetimes). */
function tokenRequestOptions(config: OAuthClientConfig, timeoutMs: number) {
  const extra = config.spec.tokenRequestParams;
  return { ...requestOptions(config, 'token', timeoutMs), ...(extra ? { additionalParameters: { ...extra } } : {}) };
}

/** The provider's consent URL for a new authorization. */
export async function authorizationUrl(config: ConfiguredClient, state: string, pkceSecret: string): Promise<string> {
  const url = new URL(config.authorizeUrl);
  const { spec } = config;
  // An installation page: the state is all it carries back (spec.authorizeRequest).
  if (spec.authorizeRequest === 'state_only') {
    url.searchParams.set('state', state);
    return url.toString();
  }
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('redirect_uri', config.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('state', state);
  if (spec.scopes?.length) url.searchParams.set('scope', spec.scopes.join(spec.scopeSeparator ?? ' '));
  if (spec.pkce !== false) {
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(pkceVerifier(pkceSecret, config.connector, state)));
    url.searchParams.set('code_challenge_method', 'S256');
  }
  for (const [name, value] of Object.entries(spec.authorizeParams ?? {})) url.searchParams.set(name, value);
  return url.toString();
}

/** The callback's parameters, exactly as received (codes are opaque: Intercom's end with `=`). */
export interface CallbackParameters {
  code: string;
  state: string;
  iss?: string | undefined;
}

/**
 * Validates the callback (RFC 9207 `iss` when sent) and trades the code for tokens. Throws a
 * ProviderError: step `token`, with the HTTP status, or `malformed_response` for an answer that
 * does not validate (a mismatched `iss` included).
 */
export async function exchangeCode(
  config: ConfiguredClient,
  callback: CallbackParameters,
  pkceSecret: string,
  timeoutMs: number,
): Promise<TokenSet> {
  const as = authorizationServer(config);
  const client: oauth.Client = { client_id: config.clientId };
  try {
    const received = new URLSearchParams({ code: callback.code, state: callback.state });
    if (callback.iss !== undefined) received.set('iss', callback.iss);
    const params = oauth.validateAuthResponse(as, client, received, callback.state);
    const verifier = config.spec.pkce === false ? oauth.nopkce : pkceVerifier(pkceSecret, config.connector, callback.state);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      clientAuthentication(config),
      params,
      config.redirectUri,
      verifier,
      tokenRequestOptions(config, timeoutMs),
    );
    const result = await oauth.processAuthorizationCodeResponse(as, client, response);
    return tokenSet(config.spec, result);
  } catch (error) {
    throw asProviderError(error, 'token');
  }
}

function tokenSet(spec: OAuthSpec<string>, result: oauth.TokenEndpointResponse): TokenSet {
  const learned = parseLearnedValues(spec.learned, 'token', result);
  // Names the entry only: the value came from the provider and may be anything.
  if (!learned.success) throw new ProviderError('token', 200, 'malformed_response');
  return {
    learned: learned.values,
    accessToken: new SecretValue(result.access_token),
    refreshToken: result.refresh_token ? new SecretValue(result.refresh_token) : null,
    tokenType: result.token_type === 'bearer' ? 'Bearer' : result.token_type,
    expiresAt: typeof result.expires_in === 'number' ? new Date(Date.now() + result.expires_in * 1000) : null,
    scopes: typeof result.scope === 'string' ? result.scope.split(/[\s,]+/).filter(Boolean) : null,
  };
}

/**
 * Trades a refresh token for new tokens (RFC 6749 §6). The answer's `refresh_token` is optional:
 * null means the provider kept the old one, which the caller must keep too (Google), and a
 * rotating provider's old token is spent now (Atlassian, Notion). `invalid_grant` comes back as
 * a ProviderError with status 400: the grant is gone, only a reconnect helps.
 */
export async function refreshTokens(config: ConfiguredClient, refreshToken: SecretValue, timeoutMs: number): Promise<TokenSet> {
  const as = authorizationServer(config);
  const client: oauth.Client = { client_id: config.clientId };
  try {
    const response = await oauth.refreshTokenGrantRequest(
      as,
      client,
      clientAuthentication(config),
      refreshToken.reveal(),
      tokenRequestOptions(config, timeoutMs),
    );
    return tokenSet(config.spec, await oauth.processRefreshTokenResponse(as, client, response));
  } catch (error) {
    throw asProviderError(error, 'token');
  }
}

/** RFC 7009 revocation at the spec's revocation endpoint. An unknown token is fine (RFC 7009 §2.2). */
export async function revokeWithRfc7009(config: ConfiguredClient, token: SecretValue, timeoutMs: number): Promise<'revoked'> {
  const as = authorizationServer(config);
  try {
    const response = await oauth.revocationRequest(
      as,
      { client_id: config.clientId },
      clientAuthentication(config),
      token.reveal(),
      requestOptions(config, 'revoke', timeoutMs),
    );
    await oauth.processRevocationResponse(response);
    return 'revoked';
  } catch (error) {
    throw asProviderError(error, 'revoke');
  }
}

/**
 * What a hook receives: the API base, the connection's settings (asked and learned) and a fetch
 * that honours overrides and the deadline.
 */
export function hookContext(
  config: OAuthClientConfig,
  step: ProviderStep,
  accessToken: SecretValue,
  timeoutMs: number,
  /** The grant's refresh token, for a revoke hook that ends the whole grant with it (Google). */
  refreshToken: SecretValue | null = null,
  /** An install or renew hook's own API calls: no token-endpoint quirks applied to them. */
  raw = false,
): ProviderCallContext {
  const fetcher = providerFetcher(config, step, timeoutMs, raw);
  const app = appAuthentication(config);
  // OAuth 1.0a: the grant's second secret is its token secret, and hooks sign with it.
  const signer = refreshToken ? grantSigner(config, accessToken, refreshToken) : null;
  return {
    apiUrl: config.apiUrl,
    settings: config.connectionSettings ?? {},
    accessToken,
    refreshToken,
    revokeUrl: config.revokeUrl,
    fetch: (url, init) => fetcher(url, init),
    ...(app ? { app } : {}),
    ...(signer ? { oauth1: signer } : {}),
  };
}

/** oauth4webapi's and fetch's errors as ProviderErrors, which carry no body, code or token. */
export function asProviderError(error: unknown, step: ProviderStep): Error {
  if (error instanceof ProviderError) return error;
  if (error instanceof oauth.ResponseBodyError) {
    // Only a well-formed code is kept: a provider's free text could echo what it was sent.
    return new ProviderError(step, error.status, 'http_status', /^[a-z_]{1,64}$/.test(error.error) ? error.error : null);
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) return new ProviderError(step, error.status);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof ProviderError) return cause;
  if (error instanceof oauth.OperationProcessingError || error instanceof oauth.AuthorizationResponseError || error instanceof TypeError) {
    const status = error instanceof oauth.OperationProcessingError && cause instanceof Response ? cause.status : null;
    // An error status without an RFC 6749 error body is still the provider's refusal.
    if (status !== null && status >= 400) return new ProviderError(step, status);
    return new ProviderError(step, status, 'malformed_response');
  }
  return error instanceof Error ? error : new Error(String(error));
}
