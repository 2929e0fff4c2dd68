/**
 * A loopback OAuth 2.0 provider driven by a connector's profile (./profile.ts), so `npm start`
 * without the connector's client id, and tests, run the real engine against it: a consent page
 * (Approve / Deny), a token endpoint (authorization_code with single-use 10-minute codes and
 * PKCE S256 when a challenge was sent; refresh_token with optional rotation; form or JSON
 * bodies), revocation, and an identity endpoint, each answering errors the provider's way.
 * Plus `tokens()`, `issueCode()`, a request log without secrets and one-shot `faults`.
 * Only `sandbox` hooks, tests and ./cli.ts load it: never production code.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ProviderSandbox } from '../connectors/types.js';
import { faultQueue, type SandboxFault } from './faults.js';
import { grantStore, type GrantResult } from './grants.js';
import {
  type Reply,
  appendQuery,
  authorizationScheme,
  bearerToken,
  bodyParams,
  clientAuthenticated,
  json,
  mediaType,
  readBody,
  redirect,
  splitTarget,
  validRedirectUri,
} from './http.js';
import { consentPage, errorPage } from './pages.js';
import type {
  IssuedToken,
  RequestedLifetimes,
  SandboxClient,
  SandboxEndpoint,
  SandboxError,
  SandboxProfile,
  SandboxRequestRecord,
  TokenAnswer,
} from './profile.js';

export type { SandboxProfile, SandboxClient, SandboxEndpoint, IssuedToken, SandboxRequestRecord } from './profile.js';
export type { SandboxFault } from './faults.js';

export interface OAuthSandbox extends ProviderSandbox {
  /** `http://127.0.0.1:<port>`, which is also `apiUrl`. */
  readonly url: string;
  readonly log: readonly SandboxRequestRecord[];
  readonly faults: { next(endpoint: SandboxEndpoint, fault: SandboxFault): void; clear(): void };
  /** Every token issued since start or reset(), oldest first. */
  tokens(): IssuedToken[];
  /** A code for the client, as the consent page's Approve would mint (procedure tests). */
  issueCode(redirectUri: string, state: string, codeChallenge?: string): string;
  /** Forgets consents, codes, tokens, faults and the log. */
  reset(): void;
}

export interface SandboxOptions {
  /** A clock in epoch milliseconds, for expiry tests. */
  readonly now?: () => number;
  /** Default 0: a free port. */
  readonly port?: number;
  /** Default 127.0.0.1: the sandbox mints real-looking tokens, keep it local. */
  readonly host?: string;
  /** Called once a request's answer has been sent (the record then carries `status`). */
  readonly onRequest?: (record: SandboxRequestRecord) => void;
}

const JSON_ERROR_HEADERS: Record<string, Record<string, string>> = {
  invalid_client: { 'www-authenticate': 'Basic realm="sandbox"' },
  invalid_token: { 'www-authenticate': 'Bearer error="invalid_token"' },
};

export async function startOAuthSandbox(profile: SandboxProfile, client: SandboxClient, options: SandboxOptions = {}): Promise<OAuthSandbox> {
  if (!client.clientId || !client.clientSecret) throw new TypeError('The sandbox needs a client id and secret');
  const now = options.now ?? Date.now;
  const store = grantStore(profile, now);
  const log: SandboxRequestRecord[] = [];
  const sockets = new Set<Socket>();
  const shutdown = new AbortController();
  const decisionPath = `${profile.authorizePath}/decision`;
  const shape = (answer: TokenAnswer) => (profile.tokenAnswer ? profile.tokenAnswer(answer) : answer);
  // The URL is known once listening; id tokens are minted only after that.
  let issuer = '';
  /** Whether the user has consented to this client before (Google's refresh token rule). */
  let consented = false;
  const signingKey = profile.idToken ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey : null;
  /** An OpenID Connect ID token for this client (RS256, the sandbox's own key). */
  function idToken(claims: Readonly<Record<string, unknown>>): string {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const iat = Math.floor(now() / 1000);
    const input = `${part({ alg: 'RS256', typ: 'JWT', kid: 'sandbox' })}.${part({ iss: issuer, aud: client.clientId, azp: client.clientId, iat, exp: iat + 3600, jti: randomBytes(8).toString('hex'), ...claims })}`;
    return `${input}.${sign('sha256', Buffer.from(input), signingKey!).toString('base64url')}`;
  }

  /** An error the profile's way (default RFC 6749 §5.2 JSON). */
  function fail(endpoint: SandboxError['endpoint'], status: number, error: string, description?: string, grantType?: string): Reply {
    if (profile.errorAnswer) {
      const answer = profile.errorAnswer({ endpoint, status, error, description, ...(grantType ? { grantType } : {}) });
      return json(answer.status, answer.body);
    }
    return json(status, { error, ...(description ? { error_description: description } : {}) }, status === 401 ? JSON_ERROR_HEADERS[error] : {});
  }

  const faults = faultQueue(
    {
      error: (endpoint, status) => fail(endpoint, status, status >= 500 ? 'server_error' : 'sandbox_fault', `Sandbox fault: HTTP ${status}`),
      sample: (endpoint) =>
        endpoint === 'token' ? shape({ access_token: profile.tokenPrefix, token_type: 'Bearer' })
        : endpoint === 'identity' ? profile.identity.answer
        : {},
    },
    shutdown.signal,
  );

  function authorize(query: URLSearchParams): Reply {
    const refuse = (message: string) => errorPage(profile.provider, 400, message);
    if (query.get('client_id') !== client.clientId) return refuse('Unknown client_id');
    const redirectUri = query.get('redirect_uri');
    if (!validRedirectUri(redirectUri)) return refuse('Invalid redirect_uri: an absolute http(s) URL without a fragment');
    if (query.get('response_type') !== 'code') return refuse('Unsupported response_type');
    const state = query.get('state');
    if (!state) return refuse('Missing state');
    const challenge = query.get('code_challenge');
    if (challenge !== null && (query.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge))) {
      return refuse('Only S256 code challenges are supported');
    }
    const scopes = (query.get('scope') ?? '').split(profile.scopeSeparator).filter(Boolean);
    const offline = profile.refreshTokens?.offlineConsent
      ? query.get('access_type') === 'offline' && (!consented || (query.get('prompt') ?? '').split(' ').includes('consent'))
      : true;
    const consentId = store.openConsent({ redirectUri, state, scopes, codeChallenge: challenge, refreshToken: offline });
    const choosable = profile.scopeChoice ? scopes.filter((scope) => !profile.scopeChoice?.fixed.includes(scope)) : undefined;
    return consentPage({ provider: profile.provider, accountName: profile.accountName, clientId: client.clientId, scopes, redirectUri, consentId, decisionPath, choosable });
  }

  function decide(req: IncomingMessage, body: string): Reply {
    if (mediaType(req) !== 'application/x-www-form-urlencoded') return errorPage(profile.provider, 415, 'The decision must be posted as a form');
    const form = new URLSearchParams(body);
    const request = store.takeConsent(form.get('consent') ?? '');
    if (!request) return errorPage(profile.provider, 400, 'This authorization request is unknown or expired');
    const decision = form.get('decision');
    if (decision === 'approve') {
      // With a scope choice, the grant holds the fixed scopes and those left ticked.
      consented = true;
      const ticked = form.getAll('grant');
      const fixed = profile.scopeChoice?.fixed;
      const scopes = fixed ? request.scopes.filter((scope) => fixed.includes(scope) || ticked.includes(scope)) : request.scopes;
      return redirect(appendQuery(request.redirectUri, [['code', store.issueCode({ ...request, scopes })], ['state', request.state]]));
    }
    if (decision === 'deny') return redirect(appendQuery(request.redirectUri, [['error', 'access_denied'], ['state', request.state]]));
    return errorPage(profile.provider, 400, 'The decision must be approve or deny');
  }

  const tokenReply = (result: GrantResult, grantType: string): Reply => {
    if (!result.ok) return fail('token', 400, result.error, undefined, grantType);
    const granted = (result.answer.scope ?? '').split(' ');
    const withIdToken = profile.idToken && granted.includes('openid') ? { ...shape(result.answer), id_token: idToken(profile.idToken.claims) } : shape(result.answer);
    return json(200, withIdToken);
  };

  /** The lifetimes a token request asks for (`requestedLifetimes`), or why they are refused. */
  function askedLifetimes(params: URLSearchParams): RequestedLifetimes | string {
    const ranges = profile.requestedLifetimes;
    if (!ranges) return {};
    const asked: { access?: number; refresh?: number } = {};
    for (const [name, field, [min, max]] of [['access', 'expires_in', ranges.access], ['refresh', 'refresh_token_expires_in', ranges.refresh]] as const) {
      const raw = params.get(field);
      if (raw === null) continue;
      const seconds = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
      if (!(seconds >= min && seconds <= max)) return `${field} must be a whole number of seconds from ${min} to ${max}`;
      asked[name] = seconds;
    }
    return asked;
  }

  function token(req: IncomingMessage, params: URLSearchParams): Reply {
    // The client first, so a wrong secret never burns a good code.
    if (!clientAuthenticated(req, params, profile.clientAuthentication, client)) return fail('token', 401, 'invalid_client');
    const grantType = params.get('grant_type') ?? (profile.minimalCodeExchange ? 'authorization_code' : null);
    const asked = askedLifetimes(params);
    if (typeof asked === 'string') return fail('token', 400, 'invalid_request', asked, grantType ?? undefined);
    if (grantType === 'authorization_code') {
      const code = params.get('code');
      if (!code) return fail('token', 400, 'invalid_request', 'code is required', grantType);
      return tokenReply(store.exchangeCode(code, params.get('redirect_uri'), params.get('code_verifier'), asked), grantType);
    }
    if (grantType === 'refresh_token' && profile.refreshTokens) {
      const refreshToken = params.get('refresh_token');
      return refreshToken ? tokenReply(store.refresh(refreshToken, asked), grantType) : fail('token', 400, 'invalid_request', 'refresh_token is required', grantType);
    }
    return fail('token', 400, 'unsupported_grant_type', undefined, grantType ?? undefined);
  }

  function revoke(req: IncomingMessage, body: string, query: URLSearchParams, revocation: NonNullable<SandboxProfile['revocation']>): Reply {
    const form = mediaType(req) === 'application/x-www-form-urlencoded' ? new URLSearchParams(body) : null;
    if (revocation.style === 'token') {
      // No client authentication: the token itself, in the form or the query string.
      const value = form?.get('token') ?? query.get('token');
      if (!value) return fail('revoke', 400, 'invalid_request', 'token is required');
      if (store.revoke(value, true) !== 'revoked') return fail('revoke', 400, 'invalid_token', 'Token expired or revoked');
      return { status: 200, headers: { 'cache-control': 'no-store' }, body: '' };
    }
    if (revocation.style === 'rfc7009') {
      // RFC 7009 §2.1: client authentication and `token`, in the body the token endpoint takes.
      const params = bodyParams(req, body, profile.tokenRequestBodies ?? ['form']);
      if (typeof params === 'string') return fail('revoke', 400, 'invalid_request', params);
      const form = params;
      if (!clientAuthenticated(req, form, profile.clientAuthentication, client)) return fail('revoke', 401, 'invalid_client');
      const value = form.get('token');
      if (!value) return fail('revoke', 400, 'invalid_request', 'token is required');
      if (revocation.refreshTokensOnly && store.kindOf(value) === 'access') {
        return fail('revoke', 400, 'invalid_request', 'Send the refresh token: access tokens are not accepted');
      }
      store.revoke(value, revocation.endsGrant === true);
      return { status: 200, headers: { 'cache-control': 'no-store' }, body: '' };
    }
    const value = bearerToken(req) ?? form?.get('access_token');
    const outcome = value ? store.revoke(value, true) : 'unknown';
    if (outcome === 'revoked') return revocation.noContent ? { status: 204, headers: {}, body: '' } : json(200, revocation.answer ?? {});
    const status = outcome === 'unknown' ? 401 : (revocation.alreadyRevoked ?? 400);
    return status === 401 ? fail('revoke', 401, 'invalid_token') : fail('revoke', 400, 'invalid_request', 'The token is already revoked');
  }

  function identity(req: IncomingMessage): Reply {
    const value = bearerToken(req);
    if (!value || !store.authenticate(value)) return fail('identity', 401, 'invalid_token');
    return json(200, profile.identity.answer);
  }

  async function route(req: IncomingMessage, path: string, query: URLSearchParams): Promise<Reply> {
    if (req.method === 'GET' && path === profile.authorizePath) return authorize(query);
    const endpoint: SandboxEndpoint | 'decision' | null =
      path === decisionPath ? 'decision'
      : path === profile.tokenPath ? 'token'
      : path === profile.revocation?.path ? 'revoke'
      : path === profile.identity.path ? 'identity'
      : null;
    if (endpoint === null) return fail('other', 404, 'not_found');
    const expected = endpoint === 'identity' ? profile.identity.method : endpoint === 'revoke' ? (profile.revocation?.method ?? 'POST') : 'POST';
    if (req.method !== expected) {
      const refused = fail(endpoint === 'decision' ? 'other' : endpoint, 405, 'method_not_allowed');
      return { ...refused, status: 405, headers: { ...refused.headers, allow: expected } };
    }
    // The body first, so that a fault never leaves one unread on a keep-alive connection.
    const body = await readBody(req);
    if (body === null) return fail(endpoint === 'decision' ? 'other' : endpoint, 413, 'invalid_request', 'The body is larger than 64 KB');
    if (endpoint === 'decision') return decide(req, body);
    const injected = await faults.take(endpoint);
    if (injected) return injected;
    for (const required of profile.requiredHeaders ?? []) {
      if (req.headers[required.name] !== required.value) {
        return fail(endpoint, 400, required.error, `The ${required.name} header must be ${required.value}`);
      }
    }
    if (endpoint === 'identity') return identity(req);
    if (endpoint === 'revoke' && profile.revocation) return revoke(req, body, query, profile.revocation);
    const params = bodyParams(req, body, profile.tokenRequestBodies ?? ['form']);
    return typeof params === 'string' ? fail('token', 400, 'invalid_request', params) : token(req, params);
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const { path, query } = splitTarget(req.url ?? '/');
    const headers: Record<string, string> = {};
    for (const name of profile.loggedHeaders ?? []) {
      const value = req.headers[name];
      if (value !== undefined && !/^(authorization|cookie|proxy-authorization)$/.test(name)) headers[name] = String(value);
    }
    const record: SandboxRequestRecord = {
      method: req.method ?? 'GET',
      path,
      authorization: authorizationScheme(req),
      contentType: req.headers['content-type'] ?? null,
      headers,
      at: new Date(now()).toISOString(),
    };
    // Logged on arrival, so a test sees a request still waiting on a delay fault.
    log.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
      options.onRequest?.(record);
    });
    // A rejection is close() aborting a delay (or a bug): drop the connection rather than answer.
    route(req, path, query).then((reply) => res.writeHead(reply.status, reply.headers).end(reply.body), () => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`;
  issuer = url;
  let closing: Promise<void> | null = null;

  return {
    url,
    oauthUrl: `${url}${profile.authorizePath}`,
    apiUrl: url,
    log,
    faults: { next: (endpoint, fault) => faults.next(endpoint, fault), clear: () => faults.clear() },
    tokens: () => store.list(),
    issueCode(redirectUri, state, codeChallenge) {
      if (!validRedirectUri(redirectUri)) throw new TypeError('redirectUri must be an absolute http(s) URL without a fragment');
      if (!state) throw new TypeError('state must not be empty');
      return store.issueCode({ redirectUri, state, scopes: [], codeChallenge: codeChallenge ?? null });
    },
    reset() {
      store.clear();
      consented = false;
      log.length = 0;
      faults.clear();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        shutdown.abort();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
