/**
 * A real OAuth 2.0 / OpenID Connect authorization server for tests: panva's `oidc-provider`,
 * started in-process on loopback.
 *
 * Nobody here wrote its protocol code, so a client that works against it works because it
 * follows the standards, not because both sides share our misreadings. It is configured the
 * way a strict provider behaves:
 * - authorization code flow only, PKCE required (oidc-provider 9 accepts S256 only);
 * - `iss` in every authorization response (RFC 9207, advertised in discovery);
 * - refresh tokens rotated on every use, and a reused one answers `invalid_grant` and revokes
 *   the whole grant (oidc-provider's reuse detection);
 * - a replayed authorization code answers `invalid_grant` and revokes what the code issued;
 * - RFC 7009 revocation and RFC 7662 introspection enabled;
 * - short, configurable token lifetimes.
 *
 * Consent is headless: `approve(authorizeUrl, { accountId })` drives the real interaction over
 * HTTP with a cookie jar, as a browser would (authorization request, the login and consent
 * prompts answered through `provider.interactionFinished`, the resume request), and returns the
 * redirect back to the client with `code`, `state` and `iss`. `deny(...)` ends with
 * `error=access_denied`.
 *
 * The server is plain http on 127.0.0.1: oauth4webapi refuses http unless the request options
 * carry its `allowInsecureRequests` symbol, which only tests and loopback sandboxes may set.
 */
import { generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
// @ts-expect-error -- oidc-provider ships no type declarations; the small surface used here is typed below.
import ProviderModule, { errors as providerErrors } from 'oidc-provider';

/* ---------------------------------------------------------------------------------------------
 * The part of oidc-provider's API this helper uses (see its docs/README.md).
 * ------------------------------------------------------------------------------------------- */

interface OidcInteraction {
  uid: string;
  prompt: {
    name: string;
    details: {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
  };
  params: Record<string, unknown>;
  session?: { accountId: string };
  grantId?: string;
}

interface OidcGrant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(indicator: string, scope: string): void;
  save(): Promise<string>;
}

interface OidcProvider {
  readonly issuer: string;
  callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<OidcInteraction>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  urlFor(route: string): string;
  on(event: string, listener: (...args: unknown[]) => void): void;
  readonly Grant: {
    new (properties: { accountId: string; clientId: string }): OidcGrant;
    find(id: string): Promise<OidcGrant | undefined>;
  };
}

type OidcProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;
const Provider = ProviderModule as OidcProviderConstructor;
const { InvalidRequest } = providerErrors as { InvalidRequest: new (description: string) => Error };

/* ---------------------------------------------------------------------------------------------
 * Public interface
 * ------------------------------------------------------------------------------------------- */

export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface RegisteredClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** Scopes the client may request (space separated); every supported scope when omitted. */
  scope?: string;
}

/** Claims an account answers with (userinfo, ID token), besides `sub`. */
export type AccountClaims = Record<string, unknown>;

export interface AuthorizationServerOptions {
  clients: RegisteredClient[];
  /** Access token lifetime; short by default so expiry is easy to reach. Default 60 s. */
  accessTokenTtlSeconds?: number;
  /** Default 1 day. */
  refreshTokenTtlSeconds?: number;
  /** Default 60 s. */
  authorizationCodeTtlSeconds?: number;
  /** Default true: every refresh answers a new refresh token and consumes the old one. */
  rotateRefreshToken?: boolean;
  /**
   * Default false: a refresh token is issued to every client allowed the refresh_token grant,
   * as most OAuth 2.0 providers do. True follows OpenID Connect: only with `offline_access`.
   */
  refreshTokenRequiresOfflineAccess?: boolean;
  /** Known accounts by account id; any other account id answers only `sub`. */
  accounts?: Record<string, AccountClaims>;
  /** Scopes besides `openid offline_access email profile` (plain OAuth scopes such as `read`). */
  extraScopes?: string[];
  /**
   * Default true: the token, revocation and introspection endpoints answer `invalid_client` when
   * a client sends its secret another way than its registered `token_endpoint_auth_method`.
   * oidc-provider itself accepts either secret method from either client; strict providers
   * (Notion takes only Basic, others only the body) do not, and the engine must send what the
   * connector definition says.
   */
  strictClientAuthentication?: boolean;
}

/** A token or grant as the server stored it. For opaque tokens `id` is the token value itself. */
export interface RecordedArtifact {
  readonly model: ArtifactModel;
  readonly id: string;
  readonly clientId: string | undefined;
  readonly accountId: string | undefined;
  readonly grantId: string | undefined;
  readonly scope: string | undefined;
  readonly issuedAt: Date | undefined;
  readonly expiresAt: Date | undefined;
  /** Used once already (an exchanged code, a rotated refresh token). */
  readonly consumed: boolean;
  /** Removed by revocation, by reuse detection, or with its grant. */
  readonly revoked: boolean;
}

export type ArtifactModel = 'AccessToken' | 'RefreshToken' | 'AuthorizationCode' | 'Grant';

/** The authorization or interaction endpoint answered with an error page instead of a redirect. */
export class AuthorizationPageError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly errorDescription: string | undefined,
  ) {
    super(`authorization server answered ${status} ${error}${errorDescription ? `: ${errorDescription}` : ''}`);
    this.name = 'AuthorizationPageError';
  }
}

export interface AuthorizationServer {
  /** `http://127.0.0.1:<port>`; discovery lives at `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: string;
  readonly endpoints: {
    readonly authorization: string;
    readonly token: string;
    readonly revocation: string;
    readonly introspection: string;
    readonly userinfo: string;
  };
  /** Approves the authorization request as `accountId`; resolves to the redirect to the client. */
  approve(authorizeUrl: string | URL, options: { accountId: string }): Promise<URL>;
  /** Denies it; resolves to the redirect to the client, carrying `error=access_denied`. */
  deny(authorizeUrl: string | URL): Promise<URL>;
  /** Sets (replaces) the claims an account answers with. */
  setAccount(accountId: string, claims: AccountClaims): void;
  /** Every token and grant the server stored, oldest first, optionally of one model. */
  artifacts(model?: ArtifactModel): RecordedArtifact[];
  /** The stored record of a token value (access token, refresh token or code). */
  token(value: string): RecordedArtifact | undefined;
  /** Errors oidc-provider answered as `server_error` (a test should expect none). */
  readonly serverErrors: readonly Error[];
  close(): Promise<void>;
}

/* ---------------------------------------------------------------------------------------------
 * Storage: an oidc-provider adapter over a Map, recording what it stored
 * ------------------------------------------------------------------------------------------- */

interface Payload {
  jti?: string;
  uid?: string;
  userCode?: string;
  grantId?: string;
  clientId?: string;
  accountId?: string;
  scope?: string;
  iat?: number;
  exp?: number;
  consumed?: number;
  [key: string]: unknown;
}

type MutableArtifact = { -readonly [K in keyof RecordedArtifact]: RecordedArtifact[K] };

const RECORDED_MODELS = new Set<string>(['AccessToken', 'RefreshToken', 'AuthorizationCode', 'Grant']);

class Store {
  /** Live records by `${model}:${id}`; what `find` sees. */
  readonly live = new Map<string, Payload>();
  readonly sessionByUid = new Map<string, string>();
  readonly userCodes = new Map<string, string>();
  /** The log of recorded models, kept after revocation so tests can inspect it. */
  readonly log = new Map<string, MutableArtifact>();

  record(model: string, id: string, payload: Payload): void {
    if (!RECORDED_MODELS.has(model)) return;
    const key = `${model}:${id}`;
    const seconds = (value: number | undefined) => (value === undefined ? undefined : new Date(value * 1000));
    this.log.set(key, {
      model: model as ArtifactModel,
      id,
      clientId: payload.clientId,
      accountId: payload.accountId,
      grantId: model === 'Grant' ? id : payload.grantId,
      scope: model === 'Grant' ? grantScope(payload) : payload.scope,
      issuedAt: seconds(payload.iat),
      expiresAt: seconds(payload.exp),
      consumed: payload.consumed !== undefined,
      revoked: false,
    });
  }

  remove(key: string): void {
    this.live.delete(key);
    const logged = this.log.get(key);
    if (logged) logged.revoked = true;
  }
}

function grantScope(payload: Payload): string | undefined {
  const openid = payload.openid as { scope?: string } | undefined;
  return openid?.scope;
}

/** oidc-provider's adapter interface (docs: "adapter"); one instance per model. */
class RecordingAdapter {
  constructor(
    private readonly model: string,
    private readonly store: Store,
  ) {}

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: Payload): Promise<void> {
    // Expiry is left to oidc-provider, which checks `exp` on every find.
    this.store.live.set(this.key(id), payload);
    if (this.model === 'Session' && payload.uid) this.store.sessionByUid.set(payload.uid, id);
    if (payload.userCode) this.store.userCodes.set(payload.userCode, id);
    this.store.record(this.model, id, payload);
  }

  async find(id: string): Promise<Payload | undefined> {
    return this.store.live.get(this.key(id));
  }

  async findByUid(uid: string): Promise<Payload | undefined> {
    const id = this.store.sessionByUid.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode: string): Promise<Payload | undefined> {
    const id = this.store.userCodes.get(userCode);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id: string): Promise<void> {
    const payload = this.store.live.get(this.key(id));
    if (!payload) return;
    payload.consumed = Math.floor(Date.now() / 1000);
    const logged = this.store.log.get(this.key(id));
    if (logged) logged.consumed = true;
  }

  async destroy(id: string): Promise<void> {
    this.store.remove(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const prefix = `${this.model}:`;
    for (const [key, payload] of [...this.store.live]) {
      if (key.startsWith(prefix) && payload.grantId === grantId) this.store.remove(key);
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * The server
 * ------------------------------------------------------------------------------------------- */

const SUPPORTED_SCOPES = ['openid', 'offline_access', 'email', 'profile'];

let signingKey: JsonWebKey | undefined;
/** One RS256 key per test process (ID tokens need a signing key; generating one costs ~100 ms). */
function idTokenSigningKey(): JsonWebKey {
  signingKey ??= {
    ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
    use: 'sig',
    alg: 'RS256',
    kid: 'test-rs256',
  };
  return signingKey;
}

export async function startAuthorizationServer(options: AuthorizationServerOptions): Promise<AuthorizationServer> {
  const accounts = new Map(Object.entries(options.accounts ?? {}));
  const store = new Store();
  const serverErrors: Error[] = [];
  const requiresOfflineAccess = options.refreshTokenRequiresOfflineAccess ?? false;
  const rotate = options.rotateRefreshToken ?? true;

  // The issuer names the port, so listen first and hand requests to the provider once it exists.
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  // Every option whose default prints a "you SHOULD change this" notice is set explicitly.
  const provider = constructProvider(server, issuer, {
    clients: options.clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: client.redirectUris,
      token_endpoint_auth_method: client.tokenEndpointAuthMethod,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...(client.scope === undefined ? {} : { scope: client.scope }),
    })),
    adapter: (model: string) => new RecordingAdapter(model, store),
    jwks: { keys: [idTokenSigningKey()] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: [...SUPPORTED_SCOPES, ...(options.extraScopes ?? [])],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username', 'picture', 'locale', 'zoneinfo', 'updated_at'],
    },
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    pkce: { required: () => true },
    rotateRefreshToken: () => rotate,
    issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }, source: { scopes: Set<string> }) =>
      client.grantTypeAllowed('refresh_token') && (!requiresOfflineAccess || source.scopes.has('offline_access')),
    ttl: {
      AccessToken: options.accessTokenTtlSeconds ?? 60,
      AuthorizationCode: options.authorizationCodeTtlSeconds ?? 60,
      RefreshToken: options.refreshTokenTtlSeconds ?? 24 * 60 * 60,
      IdToken: 60 * 60,
      Interaction: 10 * 60,
      Session: 24 * 60 * 60,
      Grant: 24 * 60 * 60,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: {
        enabled: true,
        // RFC 7009 section 2.1: a client may revoke only its own tokens, and is told when it may not.
        allowedPolicy: (_ctx: unknown, client: { clientId: string }, token: { clientId: string }) => {
          if (token.clientId !== client.clientId) throw new InvalidRequest('client is not authorized to revoke the presented token');
          return true;
        },
      },
      introspection: {
        enabled: true,
        allowedPolicy: (_ctx: unknown, client: { clientId: string }, token: { clientId: string }) =>
          token.clientId === client.clientId,
      },
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, accountId: string) => ({
      accountId,
      claims: () => ({ ...accounts.get(accountId), sub: accountId }),
    }),
    clientBasedCORS: () => false,
    // Error pages as JSON, so `approve` can report what went wrong (oidc-provider keeps the status).
    renderError: (ctx: { type: string; body: unknown }, out: Record<string, unknown>) => {
      ctx.type = 'json';
      ctx.body = { error: out.error, error_description: out.error_description };
    },
  });
  provider.on('server_error', (_ctx, error) => {
    serverErrors.push(error instanceof Error ? error : new Error(String(error)));
  });
  // A listener of our own keeps Koa from printing errors with console.error.
  provider.on('error', (error) => {
    serverErrors.push(error instanceof Error ? error : new Error(String(error)));
  });

  const providerCallback = provider.callback();
  const registeredMethods = new Map(options.clients.map((client) => [client.clientId, client.tokenEndpointAuthMethod]));
  const authenticatedPaths = new Set(['token', 'revocation', 'introspection'].map((route) => new URL(provider.urlFor(route)).pathname));
  const strict = options.strictClientAuthentication ?? true;

  async function enforceRegisteredMethod(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const form = new URLSearchParams(body.toString('utf8'));
    const header = req.headers.authorization;
    const basic = header === undefined ? undefined : basicCredentials(header);
    const clientId = basic?.clientId ?? form.get('client_id') ?? undefined;
    const used = header !== undefined ? 'client_secret_basic' : form.has('client_secret') ? 'client_secret_post' : 'none';
    const registered = clientId === undefined ? undefined : registeredMethods.get(clientId);
    if (registered !== undefined && used !== registered) {
      res.writeHead(401, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(
        JSON.stringify({
          error: 'invalid_client',
          error_description: `client authentication must use the registered method ${registered}`,
        }),
      );
      return;
    }
    await providerCallback(replayRequest(req, body), res);
  }

  handle = (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    if (strict && req.method === 'POST' && authenticatedPaths.has(url.pathname)) {
      enforceRegisteredMethod(req, res).catch((error: unknown) => {
        serverErrors.push(error instanceof Error ? error : new Error(String(error)));
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
      return;
    }
    const match = /^\/interaction\/([^/]+)\/(approve|deny)$/.exec(url.pathname);
    if (match && req.method === 'POST') {
      answerInteraction(provider, req, res, match[2] === 'approve').catch((error: unknown) => {
        serverErrors.push(error instanceof Error ? error : new Error(String(error)));
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
      return;
    }
    void providerCallback(req, res);
  };

  async function drive(authorizeUrl: string | URL, decision: { approve: true; accountId: string } | { approve: false }): Promise<URL> {
    const jar = new CookieJar();
    let response = await jar.fetch(new URL(authorizeUrl));
    // At most a login and a consent prompt, plus slack for a provider that asks again.
    for (let round = 0; round < 5; round += 1) {
      const location = redirectTarget(response, issuer);
      if (!location.href.startsWith(`${issuer}/interaction/`)) return location;
      const body = new URLSearchParams(decision.approve ? { accountId: decision.accountId } : {});
      const confirmed = await jar.fetch(new URL(`${location.pathname}/${decision.approve ? 'approve' : 'deny'}`, issuer), body);
      response = await jar.fetch(redirectTarget(confirmed, issuer));
    }
    throw new Error('authorization server kept asking for interaction');
  }

  return {
    issuer,
    endpoints: {
      authorization: provider.urlFor('authorization'),
      token: provider.urlFor('token'),
      revocation: provider.urlFor('revocation'),
      introspection: provider.urlFor('introspection'),
      userinfo: provider.urlFor('userinfo'),
    },
    approve: (authorizeUrl, { accountId }) => drive(authorizeUrl, { approve: true, accountId }),
    deny: (authorizeUrl) => drive(authorizeUrl, { approve: false }),
    setAccount(accountId, claims) {
      accounts.set(accountId, { ...claims });
    },
    artifacts(model) {
      return [...store.log.values()].filter((a) => model === undefined || a.model === model).map((a) => ({ ...a }));
    },
    token(value) {
      for (const model of ['AccessToken', 'RefreshToken', 'AuthorizationCode'] as const) {
        const found = store.log.get(`${model}:${value}`);
        if (found) return { ...found };
      }
      return undefined;
    },
    serverErrors,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Answers the current prompt of an interaction, as a login or consent page's form post would. */
async function answerInteraction(provider: OidcProvider, req: IncomingMessage, res: ServerResponse, approve: boolean): Promise<void> {
  const form = new URLSearchParams((await readBody(req)).toString('utf8'));
  const interaction = await provider.interactionDetails(req, res);
  if (!approve) {
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'End-User denied the authorization request' },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  if (interaction.prompt.name === 'login') {
    const accountId = form.get('accountId');
    if (!accountId) throw new Error('approve needs an accountId');
    await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
    return;
  }
  if (interaction.prompt.name !== 'consent') throw new Error(`unexpected prompt ${interaction.prompt.name}`);
  const accountId = interaction.session?.accountId;
  const clientId = interaction.params.client_id;
  if (!accountId || typeof clientId !== 'string') throw new Error('consent without a session or client');
  // Grant exactly what is missing, as oidc-provider's own example consent page does.
  const existing = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId, clientId });
  const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = interaction.prompt.details;
  if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
  if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: existing ? {} : { grantId } }, { mergeWithLastSubmission: true });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A configuration oidc-provider refuses must not leave the listening socket behind. */
function constructProvider(server: Server, issuer: string, configuration: Record<string, unknown>): OidcProvider {
  try {
    return new Provider(issuer, configuration);
  } catch (error) {
    server.close();
    throw error;
  }
}

/** client_id from an `Authorization: Basic` header (form-encoded per RFC 6749 section 2.3.1). */
function basicCredentials(header: string): { clientId: string } | undefined {
  const [scheme, value] = header.split(' ');
  if (scheme?.toLowerCase() !== 'basic' || !value) return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator <= 0) return undefined;
  try {
    return { clientId: decodeURIComponent(decoded.slice(0, separator).replace(/\+/g, ' ')) };
  } catch {
    return undefined;
  }
}

/** The request again, with its already-read body, for oidc-provider to read as usual. */
function replayRequest(req: IncomingMessage, body: Buffer): IncomingMessage {
  const replay = Readable.from([body], { objectMode: false });
  return Object.assign(replay, {
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    socket: req.socket,
    connection: req.socket,
    complete: true,
  }) as unknown as IncomingMessage;
}

/** The target of a redirect; an error page becomes an AuthorizationPageError. */
function redirectTarget(response: Response, base: string): URL {
  const location = response.headers.get('location');
  if (response.status >= 300 && response.status < 400 && location) return new URL(location, base);
  throw new AuthorizationPageError(response.status, 'unexpected_response', undefined);
}

/** Just enough of a browser: follows no redirects, keeps cookies by name (paths ignored). */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  async fetch(url: URL, form?: URLSearchParams): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      headers,
      body: form,
      redirect: 'manual',
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const separator = pair.indexOf('=');
      if (separator <= 0) continue;
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = /expires=thu, 01 jan 1970/i.test(line) || /max-age=0\b/i.test(line);
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    if (response.status >= 400) {
      const body = (await response.json().catch(() => ({}))) as { error?: unknown; error_description?: unknown };
      throw new AuthorizationPageError(
        response.status,
        typeof body.error === 'string' ? body.error : 'unknown_error',
        typeof body.error_description === 'string' ? body.error_description : undefined,
      );
    }
    return response;
  }
}
