/**
 * A loopback stand-in for Trello's OAuth 1.0a and the few REST calls Plugboard makes, for
 * development and tests. It checks every HMAC-SHA1 signature with the consumer secret and the
 * token secret it issued (a wrong signature is a 401), as Trello does; request tokens and
 * verifiers are single use. Node built-ins and the shared sandbox helpers only.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parseAuthorizationHeader, verifySignature } from '../../oauth1/signature.js';
import { appendQuery, readBody, redirect, splitTarget, type Reply } from '../../sandbox/http.js';
import { errorPage, escape, html } from '../../sandbox/pages.js';

export const TRELLO_SANDBOX_MEMBER = { id: '5f0c1a2b3c4d5e6f7a8b9c0d', username: 'ada_sandbox', fullName: 'Ada Lovelace (sandbox)' } as const;

/** Every request the sandbox answered, for tests: the signature's verdict, never a secret. */
export interface TrelloSandboxRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly signature: 'valid' | 'invalid' | 'absent';
}

export interface TrelloSandbox {
  readonly url: string;
  readonly oauthUrl: string;
  readonly apiUrl: string;
  readonly requests: TrelloSandboxRequest[];
  /** The access tokens issued and still valid. */
  liveTokens(): string[];
  /** Every token issued (access and request), for tests that check none reaches a log. */
  issuedSecrets(): string[];
  /** Tokens deleted with DELETE /1/tokens/{token}. */
  deletedTokens(): string[];
  /** The member revokes the app's access in their Trello settings. */
  revokeAtTrello(token: string): void;
  reset(): void;
  close(): Promise<void>;
}

const text = (status: number, body: string): Reply => ({ status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body });
const form = (values: Record<string, string>): Reply => ({
  status: 200,
  headers: { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-store' },
  body: new URLSearchParams(values).toString(),
});
const id = (bytes = 24) => randomBytes(bytes).toString('hex');

/** Clock skew Trello tolerates is not documented; five minutes, as many OAuth 1.0a servers allow. */
const TIMESTAMP_WINDOW_SECONDS = 300;

export interface TrelloSandboxOptions {
  port?: number;
  host?: string;
  /** Told of every answered request (the sandbox CLI prints them). */
  onRequest?: (r: { at: string; method: string; path: string; status: number }) => void;
}

export async function startTrelloSandbox(client: { clientId: string; clientSecret: string }, options: TrelloSandboxOptions = {}): Promise<TrelloSandbox> {
  interface RequestToken { secret: string; callback: string; verifier: string | null; used: boolean }
  const requestTokens = new Map<string, RequestToken>();
  const accessTokens = new Map<string, { secret: string }>();
  const deleted: string[] = [];
  const issued: string[] = [];
  const nonces = new Set<string>();
  const requests: TrelloSandboxRequest[] = [];
  let origin = '';

  /** The request's OAuth parameters when their signature is valid for these secrets; a refusal otherwise. */
  function signed(req: IncomingMessage, tokenSecret: (token: string | undefined) => string | null): { params: Record<string, string> } | Reply {
    const params = parseAuthorizationHeader(req.headers.authorization);
    if (!params) return text(401, 'missing oauth signature');
    if (params.oauth_consumer_key !== client.clientId) return text(401, 'invalid key');
    const timestamp = Number(params.oauth_timestamp);
    if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > TIMESTAMP_WINDOW_SECONDS) return text(401, 'invalid timestamp');
    const secret = tokenSecret(params.oauth_token);
    if (secret === null) return text(401, 'invalid token');
    if (!verifySignature(params, { method: req.method ?? 'GET', url: `${origin}${req.url ?? '/'}` }, client.clientSecret, secret)) return text(401, 'invalid signature');
    // RFC 5849 §3.3: a nonce is used once for a timestamp and credentials.
    const nonce = `${params.oauth_timestamp}:${params.oauth_nonce}:${params.oauth_token ?? ''}`;
    if (!params.oauth_nonce || nonces.has(nonce)) return text(401, 'nonce already used');
    nonces.add(nonce);
    return { params };
  }

  async function route(req: IncomingMessage): Promise<{ reply: Reply; signature: TrelloSandboxRequest['signature'] }> {
    const method = req.method ?? 'GET';
    const { path, query } = splitTarget(req.url ?? '/');
    const verdict = (reply: Reply | { params: Record<string, string> }) => ('status' in reply ? (reply.body === 'missing oauth signature' ? 'absent' : 'invalid') : 'valid');

    if (method === 'POST' && path === '/1/OAuthGetRequestToken') {
      const check = signed(req, (token) => (token === undefined ? '' : null));
      if ('status' in check) return { reply: check, signature: verdict(check) };
      const callback = check.params.oauth_callback;
      if (!callback || !/^https?:\/\//.test(callback)) return { reply: text(400, 'invalid oauth_callback'), signature: 'valid' };
      const token = id(16);
      const secret = id(16);
      issued.push(token, secret);
      requestTokens.set(token, { secret, callback, verifier: null, used: false });
      return { reply: form({ oauth_token: token, oauth_token_secret: secret, oauth_callback_confirmed: 'true' }), signature: 'valid' };
    }

    if (method === 'GET' && path === '/1/OAuthAuthorizeToken') {
      const token = query.get('oauth_token') ?? '';
      const pending = requestTokens.get(token);
      if (!pending || pending.used || pending.verifier) return { reply: errorPage('Trello', 400, 'Invalid token'), signature: 'absent' };
      const name = query.get('name') ?? 'An unknown application';
      const scope = query.get('scope') ?? 'read';
      const expiration = query.get('expiration') ?? '30days';
      return {
        reply: html(
          200,
          'Trello',
          'Authorize — Trello sandbox',
          `<h1>Let ${escape(name)} use your account?</h1>
<p class="muted">A local stand-in for Trello's authorization page, signed in as ${escape(TRELLO_SANDBOX_MEMBER.fullName)}.</p>
<dl><dt>Scope</dt><dd>${escape(scope)}</dd><dt>Expiration</dt><dd>${escape(expiration)}</dd><dt>Returns to</dt><dd>${escape(new URL(pending.callback).origin)}</dd></dl>
<form method="post" action="/1/OAuthAuthorizeToken"><input type="hidden" name="oauth_token" value="${escape(token)}">
<div class="actions"><button type="submit" name="decision" value="deny">Deny</button>
<button type="submit" name="decision" value="approve" class="primary">Allow</button></div></form>`,
        ),
        signature: 'absent',
      };
    }

    if (method === 'POST' && path === '/1/OAuthAuthorizeToken') {
      const body = new URLSearchParams((await readBody(req)) ?? '');
      const token = body.get('oauth_token') ?? '';
      const pending = requestTokens.get(token);
      if (!pending || pending.used || pending.verifier) return { reply: errorPage('Trello', 400, 'Invalid token'), signature: 'absent' };
      if (body.get('decision') !== 'approve') {
        // Refused: back to the callback with the request token and no verifier, which is then dead.
        pending.used = true;
        return { reply: redirect(appendQuery(pending.callback, [['oauth_token', token]])), signature: 'absent' };
      }
      pending.verifier = id(16);
      issued.push(pending.verifier);
      return { reply: redirect(appendQuery(pending.callback, [['oauth_token', token], ['oauth_verifier', pending.verifier]])), signature: 'absent' };
    }

    if (method === 'POST' && path === '/1/OAuthGetAccessToken') {
      const check = signed(req, (token) => {
        const pending = token ? requestTokens.get(token) : undefined;
        return pending && !pending.used && pending.verifier ? pending.secret : null;
      });
      if ('status' in check) return { reply: check, signature: verdict(check) };
      const pending = requestTokens.get(check.params.oauth_token!)!;
      if (check.params.oauth_verifier !== pending.verifier) return { reply: text(401, 'invalid verifier'), signature: 'valid' };
      pending.used = true;
      const token = id(32);
      const secret = id(16);
      issued.push(token, secret);
      accessTokens.set(token, { secret });
      return { reply: form({ oauth_token: token, oauth_token_secret: secret }), signature: 'valid' };
    }

    const live = (token: string | undefined) => (token ? (accessTokens.get(token)?.secret ?? null) : null);
    if (method === 'GET' && path === '/1/members/me') {
      const check = signed(req, live);
      if ('status' in check) return { reply: check, signature: verdict(check) };
      return { reply: { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(TRELLO_SANDBOX_MEMBER) }, signature: 'valid' };
    }

    const tokenPath = /^\/1\/tokens\/([A-Za-z0-9]+)$/.exec(path);
    if (method === 'DELETE' && tokenPath) {
      const check = signed(req, live);
      if ('status' in check) return { reply: check, signature: verdict(check) };
      const target = tokenPath[1]!;
      if (!accessTokens.has(target)) return { reply: text(404, 'token not found'), signature: 'valid' };
      accessTokens.delete(target);
      deleted.push(target);
      return { reply: { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"_value":null}' }, signature: 'valid' };
    }
    return { reply: text(404, 'Cannot find the resource'), signature: 'absent' };
  }

  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    route(req).then(
      ({ reply, signature }) => {
        const record = { method: req.method ?? 'GET', path: splitTarget(req.url ?? '/').path, status: reply.status };
        requests.push({ ...record, signature });
        options.onRequest?.({ at: new Date().toISOString(), ...record });
        res.writeHead(reply.status, reply.headers).end(reply.body);
      },
      () => res.destroy(),
    );
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve()));
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  origin = `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`;

  return {
    url: origin,
    oauthUrl: origin,
    apiUrl: origin,
    requests,
    liveTokens: () => [...accessTokens.keys()],
    issuedSecrets: () => [...issued, ...[...requestTokens.values()].map((t) => t.secret), ...[...accessTokens.values()].map((t) => t.secret)],
    deletedTokens: () => [...deleted],
    revokeAtTrello: (token) => void accessTokens.delete(token),
    reset() {
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
