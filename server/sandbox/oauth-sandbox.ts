/**
 * A loopback OAuth 2.0 provider driven by a connector's profile (./profile.ts), so `npm start`
 * without the connector's client id, and tests, run the real engine against it: a consent page
 * (Approve / Deny), a token endpoint (authorization_code with single-use 10-minute codes and
 * PKCE S256 when a challenge was sent; refresh_token with optional rotation; RFC 6749 errors),
 * revocation, and an identity endpoint. Plus `tokens()`, a request log without secrets and
 * one-shot `faults`. Only `sandbox` hooks load it, by dynamic import: never production code.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderSandbox } from '../connectors/types.js';
import { grantStore, type GrantResult } from './grants.js';
import {
  type Reply,
  appendQuery,
  authorizationScheme,
  bearerToken,
  clientAuthenticated,
  json,
  mediaType,
  oauthError,
  readBody,
  redirect,
  validRedirectUri,
} from './http.js';
import { consentPage, errorPage } from './pages.js';
import type { IssuedToken, SandboxClient, SandboxEndpoint, SandboxFault, SandboxProfile, SandboxRequestRecord } from './profile.js';

export type { SandboxProfile, SandboxClient, SandboxFault, SandboxEndpoint, IssuedToken, SandboxRequestRecord } from './profile.js';

export interface OAuthSandbox extends ProviderSandbox {
  /** `http://127.0.0.1:<port>`, which is also `apiUrl`. */
  readonly url: string;
  readonly log: readonly SandboxRequestRecord[];
  readonly faults: { next(endpoint: SandboxEndpoint, fault: SandboxFault): void; clear(): void };
  /** Every token issued since start or reset(), oldest first. */
  tokens(): IssuedToken[];
  /** Forgets consents, codes, tokens, faults and the log. */
  reset(): void;
}

/** `options.now`: a clock in epoch milliseconds, for expiry tests. */
export async function startOAuthSandbox(profile: SandboxProfile, client: SandboxClient, options: { now?: () => number } = {}): Promise<OAuthSandbox> {
  if (!client.clientId || !client.clientSecret) throw new TypeError('The sandbox needs a client id and secret');
  const now = options.now ?? Date.now;
  const store = grantStore(profile, now);
  const log: SandboxRequestRecord[] = [];
  const queued: Record<SandboxEndpoint, SandboxFault[]> = { token: [], revoke: [], identity: [] };
  const sockets = new Set<Socket>();
  const shutdown = new AbortController();
  const decisionPath = `${profile.authorizePath}/decision`;
  const clearFaults = () => Object.values(queued).forEach((list) => (list.length = 0));

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
    const consentId = store.openConsent({ redirectUri, state, scopes, codeChallenge: challenge });
    return consentPage({ provider: profile.provider, accountName: profile.accountName, clientId: client.clientId, scopes, redirectUri, consentId, decisionPath });
  }

  function decide(form: URLSearchParams): Reply {
    const request = store.takeConsent(form.get('consent') ?? '');
    if (!request) return errorPage(profile.provider, 400, 'This authorization request is unknown or expired');
    const decision = form.get('decision');
    if (decision === 'approve') return redirect(appendQuery(request.redirectUri, [['code', store.issueCode(request)], ['state', request.state]]));
    if (decision === 'deny') return redirect(appendQuery(request.redirectUri, [['error', 'access_denied'], ['state', request.state]]));
    return errorPage(profile.provider, 400, 'The decision must be approve or deny');
  }

  const tokenReply = (result: GrantResult): Reply => (result.ok ? json(200, result.answer) : oauthError(result.error));

  function token(req: IncomingMessage, form: URLSearchParams): Reply {
    if (!clientAuthenticated(req, form, profile.clientAuthentication, client)) return oauthError('invalid_client', 401);
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const code = form.get('code');
      if (!code) return oauthError('invalid_request');
      return tokenReply(store.exchangeCode(code, form.get('redirect_uri'), form.get('code_verifier')));
    }
    if (grantType === 'refresh_token' && profile.refreshTokens) {
      const refreshToken = form.get('refresh_token');
      return refreshToken ? tokenReply(store.refresh(refreshToken)) : oauthError('invalid_request');
    }
    return oauthError('unsupported_grant_type');
  }

  function revoke(req: IncomingMessage, form: URLSearchParams): Reply {
    if (profile.revocation.style === 'rfc7009') {
      if (!clientAuthenticated(req, form, profile.clientAuthentication, client)) return oauthError('invalid_client', 401);
      const value = form.get('token');
      if (!value) return oauthError('invalid_request');
      store.revoke(value, false);
      return { status: 200, headers: { 'cache-control': 'no-store' }, body: '' };
    }
    const value = bearerToken(req) ?? form.get('access_token');
    const outcome = value ? store.revoke(value, true) : 'unknown';
    return outcome === 'revoked' ? json(200, {}) : outcome === 'unknown' ? oauthError('invalid_token', 401) : oauthError('invalid_request');
  }

  function identity(req: IncomingMessage): Reply {
    const value = bearerToken(req);
    if (!value || !store.authenticate(value)) return json(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    return json(200, profile.identity.answer);
  }

  async function fault(endpoint: SandboxEndpoint): Promise<Reply | null> {
    const next = queued[endpoint].shift();
    if (!next) return null;
    if ('delayMs' in next) {
      await sleep(next.delayMs, undefined, { signal: shutdown.signal });
      return null;
    }
    return json(next.status, { error: next.status >= 500 ? 'server_error' : 'sandbox_fault' });
  }

  async function route(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const { pathname } = url;
    if (req.method === 'GET' && pathname === profile.authorizePath) return authorize(url.searchParams);
    const endpoint: SandboxEndpoint | 'decision' | null =
      pathname === decisionPath ? 'decision'
      : pathname === profile.tokenPath ? 'token'
      : pathname === profile.revocation.path ? 'revoke'
      : pathname === profile.identity.path ? 'identity'
      : null;
    if (endpoint === null) return json(404, { error: 'not_found' });
    const expected = endpoint === 'identity' ? profile.identity.method : 'POST';
    if (req.method !== expected) return json(405, { error: 'method_not_allowed' }, { allow: expected });
    if (endpoint !== 'decision') {
      const injected = await fault(endpoint);
      if (injected) return injected;
    }
    const body = await readBody(req);
    if (body === null) return oauthError('invalid_request', 413);
    if (endpoint === 'identity') return identity(req);
    const form = mediaType(req) === 'application/x-www-form-urlencoded' ? new URLSearchParams(body) : null;
    // Linear and RFC 6749 §4.1.3 / RFC 7009 §2.1: form bodies only. A bearer revoke may have none.
    if (form === null && !(endpoint === 'revoke' && profile.revocation.style === 'bearer' && body === '')) {
      return endpoint === 'decision' ? errorPage(profile.provider, 415, 'The decision must be posted as a form') : oauthError('invalid_request');
    }
    const params = form ?? new URLSearchParams();
    if (endpoint === 'decision') return decide(params);
    return endpoint === 'token' ? token(req, params) : revoke(req, params);
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const record: SandboxRequestRecord = {
      method: req.method ?? 'GET',
      path: new URL(req.url ?? '/', 'http://sandbox').pathname,
      authorization: authorizationScheme(req),
      contentType: req.headers['content-type'] ?? null,
      at: new Date(now()).toISOString(),
    };
    log.push(record);
    // A rejection is close() aborting a delay (or a bug): drop the connection rather than answer.
    route(req).then((reply) => res.writeHead((record.status = reply.status), reply.headers).end(reply.body), () => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closing: Promise<void> | null = null;

  return {
    url,
    oauthUrl: `${url}${profile.authorizePath}`,
    apiUrl: url,
    log,
    faults: {
      next(endpoint, next) {
        if (!(endpoint in queued)) throw new TypeError(`Unknown sandbox endpoint: ${String(endpoint)}`);
        queued[endpoint].push(next);
      },
      clear: () => clearFaults(),
    },
    tokens: () => store.list(),
    reset() {
      store.clear();
      log.length = 0;
      clearFaults();
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
