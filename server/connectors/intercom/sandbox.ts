/**
 * A loopback server that speaks the parts of Intercom's OAuth protocol Plugboard uses, so that
 * dev (no real INTERCOM_CLIENT_ID) and tests drive our real HTTP client code against it.
 *
 * What it mirrors, from Intercom's documentation (summarised in the team's STACK.md, "Intercom
 * OAuth, as Intercom documents it"):
 *   - `GET  /oauth`              the authorize page (app.intercom.com/oauth). No scope parameter:
 *                                Intercom sets permissions on the app, not per request.
 *   - `POST /auth/eagle/token`   code exchange (api.intercom.io). Form or JSON body; answers
 *                                `{token_type, token, access_token}`; tokens never expire and there
 *                                is no refresh token. A bad code gets Intercom's "Unauthorized Code".
 *   - `GET  /me`                 the admin and workspace (`app.id_code`, `app.name`, `app.region`).
 *   - `POST /auth/uninstall`     revokes the bearer token.
 * Plus `POST /oauth/decision`, the sandbox's own target for the consent form.
 *
 * Both the "app" host and the "api" host are this one origin: `oauthUrl` is `${url}/oauth` and
 * `apiUrl` is `url`.
 *
 * Only node:http and node:crypto: the sandbox must not pull dependencies into the app.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  BodyTooLargeError,
  type Reply,
  appendQuery,
  bearerToken,
  faultReply,
  htmlReply,
  intercomError,
  jsonReply,
  mediaType,
  parseFormOrJson,
  parseRedirectUri,
  readBody,
  redirectReply,
  safeEqual,
  singleHeader,
  stringParam,
} from './sandbox-http.js';
import {
  consentPage,
  errorPage,
} from './sandbox-pages.js';

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

export interface IntercomSandboxOptions {
  /** Interface to bind. Default 127.0.0.1: the sandbox mints real-looking tokens, keep it local. */
  host?: string;
  /** Default 0: a free port chosen by the OS. */
  port?: number;
  clientId: string;
  clientSecret: string;
  /** Default `{ idCode: 'sbx' + 5 random chars, name: 'Sandbox Workspace', region: 'US' }`. */
  workspace?: { idCode: string; name: string; region?: string };
  /** Default: a random numeric id, "Sandbox Admin", admin@sandbox.example. */
  admin?: { id: string; name: string; email: string };
  /** Name of the app shown on the consent page. Default "Plugboard". */
  appName?: string;
  /** Clock in epoch milliseconds, for code-expiry tests. Default `Date.now`. */
  now?: () => number;
  /** Called once per request when its response has been sent (the record then carries `status`). */
  onRequest?: (record: SandboxRequestRecord) => void;
}

export type SandboxEndpoint = 'token' | 'me' | 'uninstall';

export type SandboxFault =
  /** Answer with this status. Body defaults to an Intercom-style JSON error. */
  | { status: number; body?: string; contentType?: string }
  /** Wait, then answer normally (the request is processed after the wait). */
  | { delayMs: number }
  /** 200, `content-type: application/json`, and a truncated JSON body. */
  | { malformedJson: true };

export interface SandboxFaults {
  /** Queue a one-shot fault for the next call to `endpoint`; several queue up in order. */
  next(endpoint: SandboxEndpoint, fault: SandboxFault): void;
  clear(): void;
}

/** One request. Never holds a body, a query string or an Authorization header: those carry secrets. */
export interface SandboxRequestRecord {
  method: string;
  /** Path only, without the query string. */
  path: string;
  /** The request's Content-Type header as sent, or null. */
  contentType: string | null;
  /** The `Intercom-Version` header, when sent. */
  intercomVersion?: string;
  /** ISO-8601 time the request arrived. */
  at: string;
  /** Response status, set once the response has been sent (absent while pending or if aborted). */
  status?: number;
}

export interface IntercomSandbox {
  /** `http://host:port`, no trailing slash. */
  readonly url: string;
  /** Authorize page, the stand-in for `https://app.intercom.com/oauth`. */
  readonly oauthUrl: string;
  /** API base, the stand-in for `https://api.intercom.io`. Same origin as `url`. */
  readonly apiUrl: string;
  readonly faults: SandboxFaults;
  readonly log: SandboxRequestRecord[];
  /** Every token issued since start or the last reset(), oldest first. */
  tokens(): { token: string; revoked: boolean }[];
  /** Mint a valid code for the configured client without the consent page (procedure tests). */
  issueCode(redirectUri: string, state: string): string;
  /** Forget codes, tokens, queued faults and the log. Workspace and admin stay. */
  reset(): void;
  /** Stop listening and drop every connection, pending delayed requests included. Idempotent. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

/** Codes are valid for 10 minutes, single use. */
const CODE_TTL_MS = 10 * 60 * 1000;
/** setTimeout's ceiling; a larger delay would fire immediately. */
const MAX_DELAY_MS = 2_147_483_647;


/** Truncated bodies for `malformedJson` faults: what a cut-off response from the real API looks like. */
const MALFORMED_BODIES: Record<SandboxEndpoint, string> = {
  token: '{"token_type": "Bearer", ',
  me: '{"type": "admin", "app": {',
  uninstall: '{',
};

const ENDPOINTS: readonly SandboxEndpoint[] = ['token', 'me', 'uninstall'];


function randomIdCode(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = 'sbx';
  for (let i = 0; i < 5; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

function validateFault(endpoint: SandboxEndpoint, fault: SandboxFault): void {
  if (!ENDPOINTS.includes(endpoint)) throw new TypeError(`Unknown sandbox endpoint: ${String(endpoint)}`);
  if ('status' in fault) {
    if (!Number.isInteger(fault.status) || fault.status < 200 || fault.status > 599) {
      throw new RangeError(`Fault status must be an integer from 200 to 599, got ${fault.status}`);
    }
  } else if ('delayMs' in fault) {
    if (!Number.isFinite(fault.delayMs) || fault.delayMs < 0 || fault.delayMs > MAX_DELAY_MS) {
      throw new RangeError(`Fault delayMs must be between 0 and ${MAX_DELAY_MS}, got ${fault.delayMs}`);
    }
  } else if (!('malformedJson' in fault) || fault.malformedJson !== true) {
    throw new TypeError('A fault is { status, body? }, { delayMs } or { malformedJson: true }');
  }
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

interface CodeGrant {
  clientId: string;
  redirectUri: string;
  expiresAt: number;
}

interface TokenGrant {
  token: string;
  revoked: boolean;
}

export async function startIntercomSandbox(opts: IntercomSandboxOptions): Promise<IntercomSandbox> {
  if (!opts.clientId) throw new TypeError('clientId is required');
  if (!opts.clientSecret) throw new TypeError('clientSecret is required');

  const host = opts.host ?? '127.0.0.1';
  const now = opts.now ?? Date.now;
  const clientId = opts.clientId;
  const clientSecret = opts.clientSecret;
  const appName = opts.appName ?? 'Plugboard';
  const workspace = {
    idCode: opts.workspace?.idCode ?? randomIdCode(),
    name: opts.workspace?.name ?? 'Sandbox Workspace',
    region: opts.workspace?.region ?? 'US',
  };
  // Intercom admin ids are numeric strings.
  const admin = opts.admin ?? {
    id: String(randomInt(1_000_000, 10_000_000)),
    name: 'Sandbox Admin',
    email: 'admin@sandbox.example',
  };
  const appCreatedAt = Math.floor(now() / 1000);

  const codes = new Map<string, CodeGrant>();
  const tokens = new Map<string, TokenGrant>();
  const log: SandboxRequestRecord[] = [];
  const faultQueues: Record<SandboxEndpoint, SandboxFault[]> = { token: [], me: [], uninstall: [] };
  const sockets = new Set<Socket>();
  // Aborted by close(): wakes any delay fault so no timer outlives the server.
  const shutdown = new AbortController();

  const faults: SandboxFaults = {
    next(endpoint, fault) {
      validateFault(endpoint, fault);
      faultQueues[endpoint].push({ ...fault });
    },
    clear() {
      for (const endpoint of ENDPOINTS) faultQueues[endpoint].length = 0;
    },
  };

  function mintCode(redirectUri: string): string {
    const at = now();
    for (const [code, grant] of codes) if (grant.expiresAt <= at) codes.delete(code);
    // Intercom's codes are base64 and "can end with `=`" — a client that trims, re-encodes or
    // decodes `+` as a space gets "Unauthorized Code". 16 random bytes in base64 always end in
    // `==` (and often hold `+` or `/`), so every sandbox code exercises that path.
    let code: string;
    do code = randomBytes(16).toString('base64');
    while (codes.has(code));
    codes.set(code, { clientId, redirectUri, expiresAt: at + CODE_TTL_MS });
    return code;
  }

  function mintToken(): string {
    // Intercom tokens are opaque; the `dG9r` ("tok" in base64) prefix makes sandbox ones recognisable.
    const token = `dG9r${randomBytes(32).toString('base64url')}`;
    tokens.set(token, { token, revoked: false });
    return token;
  }

  /** Take the next queued fault for `endpoint`: a reply to send instead, or undefined to go on. */
  async function takeFault(endpoint: SandboxEndpoint): Promise<Reply | undefined> {
    const fault = faultQueues[endpoint].shift();
    if (fault === undefined) return undefined;
    if ('delayMs' in fault) {
      await sleep(fault.delayMs, undefined, { signal: shutdown.signal });
      return undefined;
    }
    if ('malformedJson' in fault) {
      return {
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
        body: MALFORMED_BODIES[endpoint],
      };
    }
    return faultReply(fault);
  }

  function consent(query: URLSearchParams): Reply {
    const requestClientId = query.get('client_id') ?? '';
    if (requestClientId !== clientId) return errorPage(400, 'Unknown client_id');
    const responseType = query.get('response_type');
    if (responseType !== null && responseType !== 'code') return errorPage(400, 'Unsupported response_type');
    const state = query.get('state') ?? '';
    if (state === '') return errorPage(400, 'Missing state');
    // Intercom falls back to the app's registered URL when redirect_uri is absent; the sandbox has
    // no registry, so it needs one.
    const redirectUri = query.get('redirect_uri') ?? '';
    if (!parseRedirectUri(redirectUri)) {
      return errorPage(400, 'Invalid redirect_uri: must be an absolute http(s) URL without a fragment');
    }
    return htmlReply(
      200,
      consentPage({
        appName,
        clientId,
        workspaceName: workspace.name,
        adminName: admin.name,
        adminEmail: admin.email,
        redirectUri,
        state,
      }),
    );
  }

  function decision(contentType: string | null, body: string): Reply {
    if (mediaType(contentType) !== 'application/x-www-form-urlencoded') {
      return errorPage(415, 'The decision must be posted as a form');
    }
    const form = new URLSearchParams(body);
    if ((form.get('client_id') ?? '') !== clientId) return errorPage(400, 'Unknown client_id');
    const state = form.get('state') ?? '';
    if (state === '') return errorPage(400, 'Missing state');
    const redirectUri = form.get('redirect_uri') ?? '';
    if (!parseRedirectUri(redirectUri)) {
      return errorPage(400, 'Invalid redirect_uri: must be an absolute http(s) URL without a fragment');
    }
    const choice = form.get('decision');
    if (choice === 'approve') {
      const code = mintCode(redirectUri);
      return redirectReply(appendQuery(redirectUri, [['code', code], ['state', state]]));
    }
    if (choice === 'deny') {
      return redirectReply(
        appendQuery(redirectUri, [
          ['error', 'access_denied'],
          ['error_description', 'The admin denied access to the Intercom workspace'],
          ['state', state],
        ]),
      );
    }
    return errorPage(400, 'Decision must be approve or deny');
  }

  function exchange(contentType: string | null, body: string): Reply {
    const parsed = parseFormOrJson(contentType, body);
    if (!parsed.ok) return parsed.reply;
    const { params } = parsed;
    for (const name of ['code', 'client_id', 'client_secret']) {
      if (stringParam(params, name) === undefined) {
        return intercomError(400, 'parameter_not_found', `${name} is required`);
      }
    }
    const code = stringParam(params, 'code') ?? '';
    const requestClientId = stringParam(params, 'client_id') ?? '';
    const requestSecret = stringParam(params, 'client_secret') ?? '';
    // Check the client before touching the code, so a bad secret does not burn a good code.
    if (requestClientId !== clientId || !safeEqual(requestSecret, clientSecret)) {
      return intercomError(401, 'unauthorized', 'Invalid client_id or client_secret');
    }
    const grant = codes.get(code);
    // Unknown, already used, expired, for another client, or (when the client sends one) for
    // another redirect_uri: Intercom answers them all the same way.
    const requestRedirect = stringParam(params, 'redirect_uri');
    if (
      grant === undefined ||
      grant.expiresAt <= now() ||
      grant.clientId !== requestClientId ||
      (requestRedirect !== undefined && requestRedirect !== grant.redirectUri)
    ) {
      if (grant !== undefined && grant.expiresAt <= now()) codes.delete(code);
      return intercomError(401, 'unauthorized', 'Unauthorized Code');
    }
    codes.delete(code); // single use
    const token = mintToken();
    // Intercom answers both `token` and `access_token`; no expires_in, no refresh_token: the
    // token lives until the admin uninstalls the app or we call /auth/uninstall.
    return jsonReply(200, { token_type: 'Bearer', token, access_token: token }, { pragma: 'no-cache' });
  }

  function authenticate(req: IncomingMessage): TokenGrant | undefined {
    const token = bearerToken(req);
    const grant = token === undefined ? undefined : tokens.get(token);
    return grant === undefined || grant.revoked ? undefined : grant;
  }

  const invalidToken = (): Reply => intercomError(401, 'unauthorized', 'Access Token Invalid');

  function me(req: IncomingMessage): Reply {
    if (!authenticate(req)) return invalidToken();
    return jsonReply(200, {
      type: 'admin',
      id: admin.id,
      email: admin.email,
      name: admin.name,
      email_verified: true,
      app: {
        type: 'app',
        id_code: workspace.idCode,
        name: workspace.name,
        created_at: appCreatedAt,
        secure: true,
        identity_verification: false,
        timezone: 'Europe/Dublin',
        region: workspace.region,
      },
      avatar: { type: 'avatar', image_url: null },
      has_inbox_seat: true,
    });
  }

  function uninstall(req: IncomingMessage): Reply {
    const grant = authenticate(req);
    if (!grant) return invalidToken();
    grant.revoked = true;
    return jsonReply(200, {});
  }

  async function route(
    req: IncomingMessage,
    pathname: string,
    query: URLSearchParams,
    record: SandboxRequestRecord,
  ): Promise<Reply> {
    const key = `${req.method ?? ''} ${pathname}`;
    switch (key) {
      case 'GET /oauth':
        return consent(query);
      case 'POST /oauth/decision':
        return decision(record.contentType, await readBody(req));
      case 'POST /auth/eagle/token': {
        // Read the body first so a fault reply never leaves an unread body on a keep-alive socket.
        const body = await readBody(req);
        return (await takeFault('token')) ?? exchange(record.contentType, body);
      }
      case 'GET /me':
        return (await takeFault('me')) ?? me(req);
      case 'POST /auth/uninstall': {
        await readBody(req);
        return (await takeFault('uninstall')) ?? uninstall(req);
      }
      default:
        return intercomError(404, 'not_found', `No route for ${key}`);
    }
  }

  function send(res: ServerResponse, reply: Reply): void {
    res.writeHead(reply.status, { ...reply.headers, 'content-length': String(Buffer.byteLength(reply.body)) });
    res.end(reply.body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Split by hand: `new URL(req.url, base)` would read a request target like `//host/x` as a host.
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    const pathname = queryAt === -1 ? target : target.slice(0, queryAt);
    const query = new URLSearchParams(queryAt === -1 ? '' : target.slice(queryAt + 1));
    const record: SandboxRequestRecord = {
      method: req.method ?? '',
      path: pathname,
      contentType: req.headers['content-type'] ?? null,
      at: new Date(now()).toISOString(),
    };
    const intercomVersion = singleHeader(req.headers['intercom-version']);
    if (intercomVersion !== undefined) record.intercomVersion = intercomVersion;
    // Logged on arrival, so tests can see a request that is still waiting on a delay fault.
    log.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
      opts.onRequest?.(record);
    });

    let reply: Reply;
    try {
      reply = await route(req, pathname, query, record);
    } catch (error) {
      // Not `req.destroyed`: Node destroys a request stream once it has been read to the end.
      if (shutdown.signal.aborted || req.socket.destroyed) {
        // close() woke a delay fault, or the client went away: nobody to answer.
        res.destroy();
        return;
      }
      if (error instanceof BodyTooLargeError) {
        reply = intercomError(413, 'request_too_large', error.message);
      } else {
        throw error;
      }
    }
    send(res, reply);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A sandbox bug: answer 500 rather than hang the client, and say why on stderr.
      process.stderr.write(`intercom sandbox: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      if (res.headersSent) res.destroy();
      else send(res, intercomError(500, 'server_error', 'Sandbox internal error'));
    });
  });
  // Tracked so close() can drop keep-alive and in-flight connections instead of waiting on them.
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const baseUrl = `http://${urlHost}:${port}`;

  let closing: Promise<void> | undefined;

  return {
    url: baseUrl,
    oauthUrl: `${baseUrl}/oauth`,
    apiUrl: baseUrl,
    faults,
    log,
    tokens: () => [...tokens.values()].map(({ token, revoked }) => ({ token, revoked })),
    issueCode(redirectUri: string, state: string): string {
      if (!parseRedirectUri(redirectUri)) {
        throw new TypeError('redirectUri must be an absolute http(s) URL without a fragment');
      }
      // Same preconditions as the consent page, which refuses an empty state.
      if (state === '') throw new TypeError('state must not be empty');
      return mintCode(redirectUri);
    },
    reset() {
      codes.clear();
      tokens.clear();
      log.length = 0;
      faults.clear();
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        shutdown.abort();
        server.close((error) => (error ? reject(error) : resolve()));
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Standalone: tsx server/connectors/intercom/sandbox.ts --port 4600 --client-id x --client-secret y
// ---------------------------------------------------------------------------------------------

const USAGE = `Usage: tsx server/connectors/intercom/sandbox.ts --client-id ID --client-secret SECRET
         [--port 4600] [--host 127.0.0.1] [--workspace-name NAME] [--region US]`;

type CliArgs = ReturnType<typeof parseCli>;

function parseCli(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'workspace-name': { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
}

async function main(argv: string[]): Promise<void> {
  let values: CliArgs['values'];
  try {
    ({ values } = parseCli(argv));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = Number(values.port);
  const clientId = values['client-id'];
  const clientSecret = values['client-secret'];
  if (!clientId || !clientSecret || !Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const workspaceName = values['workspace-name'];
  const region = values.region;
  const sandbox = await startIntercomSandbox({
    host: values.host,
    port,
    clientId,
    clientSecret,
    ...(workspaceName !== undefined || region !== undefined
      ? { workspace: { idCode: randomIdCode(), name: workspaceName ?? 'Sandbox Workspace', region: region ?? 'US' } }
      : {}),
    onRequest: (r) => {
      process.stdout.write(`${r.at} ${r.method} ${r.path} ${r.status ?? '-'}\n`);
    },
  });
  process.stdout.write(
    [
      `Intercom sandbox listening on ${sandbox.url}`,
      `  INTERCOM_OAUTH_URL=${sandbox.oauthUrl}`,
      `  INTERCOM_API_URL=${sandbox.apiUrl}`,
      '',
    ].join('\n'),
  );
  const stop = (signal: NodeJS.Signals): void => {
    process.stdout.write(`${signal}: stopping\n`);
    sandbox.close().then(
      () => {
        process.exitCode ??= 0;
      },
      (error: unknown) => {
        process.stderr.write(`intercom sandbox: close failed: ${String(error)}\n`);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`intercom sandbox: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
