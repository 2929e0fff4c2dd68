/**
 * A loopback stand-in for GitHub as a GitHub App sees it, for `npm start` without
 * GITHUB_CLIENT_ID and for the tests: the installation page (pick an account, Install or Cancel)
 * that comes back with `code`, `installation_id`, `setup_action` and `state` (or
 * `setup_action=request` for an organization the user may not install on); the code exchange
 * (errors as HTTP 200, a form unless `Accept: application/json`); `GET /user/installations`;
 * `DELETE /applications/{client_id}/token`; and, for the app's RS256 JWT (checked against the
 * public half of a key pair made at start, whose private half the app is given), one-hour
 * installation tokens, the installation, and `DELETE /installation/token`. The facts come from
 * the pages cited in ./definition.ts. Only the sandbox hook, tests and the sandbox CLI load it.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { jwtVerify } from 'jose';
import type { ProviderSandbox } from '../types.js';
import { faultQueue, type SandboxFault } from '../../sandbox/faults.js';
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
  safeEqual,
  splitTarget,
} from '../../sandbox/http.js';
import { errorPage, escape, html } from '../../sandbox/pages.js';
import type { SandboxClient, SandboxEndpoint, SandboxRequestRecord } from '../../sandbox/profile.js';

export const GITHUB_SANDBOX_SLUG = 'plugboard-sandbox';
/** The sandbox's one user, and the accounts its installation page offers. */
export const GITHUB_SANDBOX_USER = { login: 'sbx-admin', id: 7001 } as const;
export const GITHUB_SANDBOX_ACCOUNTS = [
  { login: 'sbx-octo-org', id: 9001, type: 'Organization', canInstall: true },
  { login: GITHUB_SANDBOX_USER.login, id: GITHUB_SANDBOX_USER.id, type: 'User', canInstall: true },
  // A member, not an owner: GitHub sends an installation request to the owners instead.
  { login: 'sbx-member-org', id: 9003, type: 'Organization', canInstall: false },
] as const;
/** An account the sandbox user has nothing to do with. */
export const GITHUB_SANDBOX_STRANGER = { login: 'sbx-stranger-org', id: 9004, type: 'Organization' } as const;

const CODE_TTL_MS = 10 * 60 * 1000;
const USER_TOKEN_TTL_S = 8 * 3600;
const INSTALLATION_TOKEN_TTL_S = 3600;
const PERMISSIONS = { issues: 'read', metadata: 'read', pull_requests: 'read' } as const;
const ERROR_URI = 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors';

interface Account {
  readonly login: string;
  readonly id: number;
  readonly type: string;
}
interface Installation {
  readonly id: number;
  readonly account: Account;
  /** Accounts whose installations the sandbox user's token lists. */
  readonly userCanAccess: boolean;
  removed: boolean;
}
export interface GitHubSandboxToken {
  readonly token: string;
  readonly kind: 'user' | 'installation';
  readonly installation: number | null;
  revoked: boolean;
  readonly expiresAt: number;
}

export interface GitHubSandbox extends ProviderSandbox {
  readonly url: string;
  readonly app: { readonly privateKey: string; readonly slug: string };
  /** Every request: method, path (no query), auth scheme, status; never a body or a credential. */
  readonly log: readonly SandboxRequestRecord[];
  /** One-shot faults: `token` (minting installation tokens), `identity` (the installation), `revoke`. */
  readonly faults: { next(endpoint: SandboxEndpoint, fault: SandboxFault): void; clear(): void };
  tokens(): GitHubSandboxToken[];
  installations(): { id: number; account: string; removed: boolean }[];
  /** The app installed on an account the sandbox user cannot access (for a spoofed `installation_id`). */
  installElsewhere(): number;
  /** Installations the user can access besides the page's, so its list needs several pages. */
  addUserInstallations(count: number): void;
  /** Uninstalls the app on GitHub: its tokens stop working and new ones are refused (404). */
  uninstall(id: number): void;
  /** Forgets installations, codes, tokens, faults and the log (the key pair stays). */
  reset(): void;
}

export interface GitHubSandboxOptions {
  readonly now?: () => number;
  readonly port?: number;
  readonly host?: string;
  readonly onRequest?: (record: SandboxRequestRecord) => void;
}

export async function startGitHubSandbox(
  client: SandboxClient & { redirectUri?: string },
  options: GitHubSandboxOptions = {},
): Promise<GitHubSandbox> {
  if (!client.clientId || !client.clientSecret) throw new TypeError('The sandbox needs a client id and secret');
  const now = options.now ?? Date.now;
  // The app's "User authorization callback URL": GitHub sends the browser there after install.
  const callbackUrl = client.redirectUri ?? 'http://localhost:3000/integrations/github/callback';
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKey: KeyObject = keys.publicKey;
  const privateKey = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const installPath = `/apps/${GITHUB_SANDBOX_SLUG}/installations/new`;
  const decisionPath = `${installPath}/decision`;

  const log: SandboxRequestRecord[] = [];
  const sockets = new Set<Socket>();
  const shutdown = new AbortController();
  const pending = new Map<string, { state: string | null; expiresAt: number }>();
  const codes = new Map<string, { expiresAt: number; used: boolean }>();
  const tokens = new Map<string, GitHubSandboxToken>();
  const installations = new Map<number, Installation>();
  let nextInstallation = 41_000_001;

  const failure = (status: number, message: string): Reply =>
    json(status, { message, documentation_url: 'https://docs.github.com/rest', status: String(status) });
  const faults = faultQueue(
    {
      error: (_endpoint, status) => failure(status, status >= 500 ? 'Server Error' : 'Sandbox fault'),
      sample: (endpoint) => (endpoint === 'token' ? { token: 'ghs_sample', expires_at: new Date(now()).toISOString() } : { id: 1 }),
    },
    shutdown.signal,
  );

  const mint = (kind: GitHubSandboxToken['kind'], installation: number | null, ttlSeconds: number): GitHubSandboxToken => {
    const prefix = kind === 'user' ? 'ghu_sbx_' : 'ghs_sbx_';
    const entry: GitHubSandboxToken = { token: `${prefix}${randomBytes(27).toString('base64url')}`, kind, installation, revoked: false, expiresAt: now() + ttlSeconds * 1000 };
    tokens.set(entry.token, entry);
    return entry;
  };
  const live = (value: string | undefined, kind: GitHubSandboxToken['kind']) => {
    const entry = value ? tokens.get(value) : undefined;
    return entry && entry.kind === kind && !entry.revoked && entry.expiresAt > now() ? entry : null;
  };
  const install = (account: Account, userCanAccess: boolean): { installation: Installation; created: boolean } => {
    const existing = [...installations.values()].find((i) => i.account.id === account.id && !i.removed);
    if (existing) return { installation: existing, created: false };
    const installation: Installation = { id: nextInstallation++, account, userCanAccess, removed: false };
    installations.set(installation.id, installation);
    return { installation, created: true };
  };

  /** The app's JWT (DOCS.jwt): RS256 with our key, unexpired, issued by the client id, living at most 10 minutes. */
  async function appAuthenticated(req: IncomingMessage): Promise<boolean> {
    const jwt = bearerToken(req);
    if (!jwt) return false;
    try {
      const { payload } = await jwtVerify(jwt, publicKey, { algorithms: ['RS256'], currentDate: new Date(now()), clockTolerance: 60 });
      if (typeof payload.iat !== 'number' || typeof payload.exp !== 'number' || payload.exp - payload.iat > 600) return false;
      // The sandbox app has no numeric id: its JWTs are issued by the client id (GitHub's recommendation).
      return payload.iss === client.clientId;
    } catch {
      return false;
    }
  }

  function installationPage(query: URLSearchParams): Reply {
    const id = randomBytes(16).toString('base64url');
    pending.set(id, { state: query.get('state'), expiresAt: now() + CODE_TTL_MS });
    const choices = GITHUB_SANDBOX_ACCOUNTS.map(
      (account, index) =>
        `<label style="display:block;margin:6px 0"><input type="radio" name="account" value="${escape(account.login)}"${index === 0 ? ' checked' : ''}> ${escape(account.login)}${account.canInstall ? '' : ' (you are a member: the owners are asked to approve)'}</label>`,
    ).join('');
    return html(
      200,
      'GitHub',
      'Install Plugboard — GitHub sandbox',
      `<h1>Install Plugboard on your GitHub account</h1>
<p class="muted">A local stand-in for GitHub's installation page. No real account is involved. Installing also authorizes Plugboard to verify who you are.</p>
<dl><dt>Permissions</dt><dd>${escape(Object.entries(PERMISSIONS).map(([n, l]) => `${n}: ${l}`).join(', '))}</dd><dt>Returns to</dt><dd>${escape(new URL(callbackUrl).origin)}</dd></dl>
<form method="post" action="${escape(decisionPath)}"><input type="hidden" name="installation" value="${escape(id)}">
<fieldset style="border:0;padding:0"><legend>Where to install</legend>${choices}</fieldset>
<div class="actions"><button type="submit" name="decision" value="cancel">Cancel</button>
<button type="submit" name="decision" value="install" class="primary">Install &amp; Authorize</button></div></form>`,
    );
  }

  function decide(req: IncomingMessage, body: string): Reply {
    if (mediaType(req) !== 'application/x-www-form-urlencoded') return errorPage('GitHub', 415, 'The decision must be posted as a form');
    const form = new URLSearchParams(body);
    const request = pending.get(form.get('installation') ?? '');
    pending.delete(form.get('installation') ?? '');
    if (!request || request.expiresAt <= now()) return errorPage('GitHub', 400, 'This installation request is unknown or expired');
    const back = (params: [string, string][]) => redirect(appendQuery(callbackUrl, request.state === null ? params : [...params, ['state', request.state]]));
    const decision = form.get('decision');
    if (decision === 'cancel') return back([['error', 'access_denied']]);
    const account = GITHUB_SANDBOX_ACCOUNTS.find((a) => a.login === form.get('account'));
    if (decision !== 'install' || !account) return errorPage('GitHub', 400, 'Pick an account, then Install or Cancel');
    // An installation request for the owners: no installation exists yet, so no id.
    if (!account.canInstall) return back([['setup_action', 'request']]);
    const { installation, created } = install(account, true);
    const code = randomBytes(10).toString('hex');
    codes.set(code, { expiresAt: now() + CODE_TTL_MS, used: false });
    return back([['code', code], ['installation_id', String(installation.id)], ['setup_action', created ? 'install' : 'update']]);
  }

  /** DOCS.userToken and DOCS.tokenErrors: errors are HTTP 200; JSON only when asked for. */
  function exchange(req: IncomingMessage, body: string): Reply {
    const wantsJson = (req.headers.accept ?? '').includes('application/json');
    const answer = (value: Record<string, string | number>): Reply =>
      wantsJson
        ? json(200, value)
        : { status: 200, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'cache-control': 'no-store' }, body: new URLSearchParams(Object.entries(value).map(([k, v]) => [k, String(v)])).toString() };
    const refuse = (error: string, description: string) => answer({ error, error_description: description, error_uri: ERROR_URI });
    const params = bodyParams(req, body, ['form', 'json']);
    if (typeof params === 'string') return refuse('bad_verification_code', params);
    if (!clientAuthenticated(req, params, 'client_secret_post', client)) return refuse('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.');
    const redirectUri = params.get('redirect_uri');
    if (redirectUri !== null && redirectUri !== callbackUrl) return refuse('redirect_uri_mismatch', 'The redirect_uri MUST match the registered callback URL for this application.');
    const entry = codes.get(params.get('code') ?? '');
    if (!entry || entry.used || entry.expiresAt <= now()) return refuse('bad_verification_code', 'The code passed is incorrect or expired.');
    entry.used = true;
    const token = mint('user', null, USER_TOKEN_TTL_S);
    const refresh = `ghr_sbx_${randomBytes(27).toString('base64url')}`;
    return answer({ access_token: token.token, expires_in: USER_TOKEN_TTL_S, refresh_token: refresh, refresh_token_expires_in: 15_811_200, scope: '', token_type: 'bearer' });
  }

  function userInstallations(req: IncomingMessage, query: URLSearchParams): Reply {
    if (!live(bearerToken(req), 'user')) return failure(401, 'Bad credentials');
    const perPage = Math.min(100, Math.max(1, Number(query.get('per_page') ?? 30) || 30));
    const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
    const visible = [...installations.values()].filter((i) => i.userCanAccess && !i.removed).sort((a, b) => a.id - b.id);
    return json(200, {
      total_count: visible.length,
      installations: visible.slice((page - 1) * perPage, page * perPage).map(installationJson),
    });
  }

  function installationJson(i: Installation) {
    const settings = i.account.type === 'Organization' ? `https://github.com/organizations/${i.account.login}/settings/installations/${i.id}` : `https://github.com/settings/installations/${i.id}`;
    return {
      id: i.id,
      account: { login: i.account.login, id: i.account.id, type: i.account.type },
      app_slug: GITHUB_SANDBOX_SLUG,
      target_type: i.account.type,
      html_url: settings,
      permissions: PERMISSIONS,
      repository_selection: 'selected',
    };
  }

  /** DOCS.restAppTokens: Basic client authentication, `{ access_token }`; 204, 404 unknown. */
  function deleteUserToken(req: IncomingMessage, body: string, clientId: string): Reply {
    if (!safeEqual(clientId, client.clientId) || !clientAuthenticated(req, new URLSearchParams(), 'client_secret_basic', client)) return failure(401, 'Requires authentication');
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return failure(422, 'Invalid request');
    }
    const token = typeof value === 'object' && value !== null ? (value as { access_token?: unknown }).access_token : undefined;
    const entry = typeof token === 'string' ? tokens.get(token) : undefined;
    if (!entry || entry.kind !== 'user') return failure(404, 'Not Found');
    entry.revoked = true;
    return { status: 204, headers: {}, body: '' };
  }

  async function route(req: IncomingMessage, path: string, query: URLSearchParams, body: string): Promise<Reply> {
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === installPath) return installationPage(query);
    if (method === 'POST' && path === decisionPath) return decide(req, body);
    if (method === 'POST' && path === '/login/oauth/access_token') return exchange(req, body);
    if (method === 'GET' && path === '/user/installations') return userInstallations(req, query);
    const appToken = /^\/applications\/([^/]+)\/token$/.exec(path);
    if (method === 'DELETE' && appToken) return deleteUserToken(req, body, decodeURIComponent(appToken[1] ?? ''));
    const minting = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
    const reading = /^\/app\/installations\/(\d+)$/.exec(path);
    if ((method === 'POST' && minting) || (method === 'GET' && reading)) {
      const endpoint: SandboxEndpoint = minting ? 'token' : 'identity';
      const fault = await faults.take(endpoint);
      if (fault) return fault;
      if (!(await appAuthenticated(req))) return failure(401, 'A JSON web token could not be decoded');
      const installation = installations.get(Number((minting ?? reading)?.[1]));
      if (!installation || installation.removed) return failure(404, 'Not Found');
      if (reading) return json(200, installationJson(installation));
      const token = mint('installation', installation.id, INSTALLATION_TOKEN_TTL_S);
      return json(201, { token: token.token, expires_at: new Date(token.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'), permissions: PERMISSIONS, repository_selection: 'selected' });
    }
    if (method === 'DELETE' && path === '/installation/token') {
      const fault = await faults.take('revoke');
      if (fault) return fault;
      const entry = live(bearerToken(req), 'installation');
      if (!entry) return failure(401, 'Bad credentials');
      entry.revoked = true;
      return { status: 204, headers: {}, body: '' };
    }
    // What an installation token is for: proves in tests whether a token still works.
    if (method === 'GET' && path === '/installation/repositories') {
      const entry = live(bearerToken(req), 'installation');
      if (!entry || installations.get(entry.installation ?? 0)?.removed) return failure(401, 'Bad credentials');
      return json(200, { total_count: 1, repositories: [{ id: 1, name: 'sandbox-repo', full_name: `${installations.get(entry.installation ?? 0)?.account.login}/sandbox-repo` }] });
    }
    if (method === 'GET' && path === '/user') {
      return live(bearerToken(req), 'user') ? json(200, { login: GITHUB_SANDBOX_USER.login, id: GITHUB_SANDBOX_USER.id }) : failure(401, 'Bad credentials');
    }
    return failure(404, 'Not Found');
  }

  const server = createServer((req, res) => {
    const { path, query } = splitTarget(req.url ?? '/');
    const record: SandboxRequestRecord = {
      method: req.method ?? '',
      path,
      authorization: authorizationScheme(req),
      contentType: req.headers['content-type'] ?? null,
      // Headers the documented quirks turn on; never a credential.
      headers: Object.fromEntries(
        (['accept', 'x-github-api-version'] as const).flatMap((name) => (typeof req.headers[name] === 'string' ? [[name, req.headers[name]]] : [])),
      ),
      at: new Date(now()).toISOString(),
    };
    log.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
      options.onRequest?.(record);
    });
    readBody(req)
      .then((body) => (body === null ? failure(413, 'Payload too large') : route(req, path, query, body)))
      .then((reply) => res.writeHead(reply.status, reply.headers).end(reply.body), () => res.destroy());
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
  let closing: Promise<void> | null = null;
  let others = 0;

  return {
    url,
    oauthUrl: `${url}${installPath}`,
    apiUrl: url,
    app: { privateKey, slug: GITHUB_SANDBOX_SLUG },
    log,
    faults: { next: (endpoint, fault) => faults.next(endpoint, fault), clear: () => faults.clear() },
    tokens: () => [...tokens.values()].map((t) => ({ ...t })),
    installations: () => [...installations.values()].map((i) => ({ id: i.id, account: i.account.login, removed: i.removed })),
    installElsewhere: () => install(GITHUB_SANDBOX_STRANGER, false).installation.id,
    addUserInstallations(count) {
      for (let n = 0; n < count; n += 1) {
        others += 1;
        install({ login: `sbx-team-${others}`, id: 20_000 + others, type: 'Organization' }, true);
      }
    },
    uninstall(id) {
      const installation = installations.get(id);
      if (installation) installation.removed = true;
      for (const token of tokens.values()) if (token.installation === id) token.revoked = true;
    },
    reset() {
      pending.clear();
      codes.clear();
      tokens.clear();
      installations.clear();
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
