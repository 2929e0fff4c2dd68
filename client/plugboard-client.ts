/**
 * A typed client for Plugboard's token API, for backend services (docs/api.md, "Token API for
 * backend services"). Self-contained on purpose: it imports nothing, so a service can copy this
 * one file or import it as is. Needs a global `fetch` (Node 18+) or one passed in.
 *
 *   const plugboard = createPlugboardClient({ baseUrl: 'https://plugboard.example', apiKey: process.env.PLUGBOARD_KEY! });
 *   const { accessToken } = await plugboard.getToken('acme', 'linear');
 *   // The provider answered 401 to that token: ask for a new one, once.
 *   const fresh = await plugboard.refreshToken('acme', 'linear');
 */

/** A connection's working token, as the API answers it. */
export interface PlugboardToken {
  accessToken: string;
  /** Usually `Bearer`; `OAuth1` for an OAuth 1.0a connector (Trello), whose calls are signed. */
  tokenType: string;
  /** OAuth 1.0a connectors only (Trello): signs requests together with `accessToken` and the API key. */
  tokenSecret?: string;
  /** ISO 8601; null for a token without expiry (Intercom, Salesforce). */
  expiresAt: string | null;
  /** What the provider granted; null when it does not say. */
  scopes: string[] | null;
  /** The third-party account the tenant connected (Linear organization, Intercom workspace). */
  account: { id: string | null; name: string | null };
  /** The connection's settings (Intercom's region, a Jira site's cloud id). */
  settings: Record<string, string>;
}

export type PlugboardErrorCode =
  | 'invalid_request'
  | 'invalid_key'
  | 'unknown_connector'
  | 'unknown_tenant'
  | 'not_connected'
  | 'needs_reconnect'
  | 'rate_limited'
  | 'token_unavailable'
  | 'method_not_allowed'
  | 'not_found'
  | 'internal_error'
  /** The answer was not the API's JSON (a proxy's error page, a cut connection). */
  | 'bad_response';

/** A refusal by the API, or an answer that could not be read. Never carries the key or a token. */
export class PlugboardError extends Error {
  override readonly name = 'PlugboardError';
  constructor(
    message: string,
    /** The HTTP status; 0 when no answer arrived. */
    readonly status: number,
    readonly code: PlugboardErrorCode | (string & {}),
    /** With `needs_reconnect`: why (`invalid_grant`, `expired`, ...). */
    readonly reason: string | null = null,
    /** With `rate_limited` and `token_unavailable`: when to try again. */
    readonly retryAfterSeconds: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface PlugboardClientOptions {
  /** Plugboard's origin (its APP_URL), e.g. `https://plugboard.example.com`. */
  baseUrl: string;
  /** A service key (`pbk_...`) from `npm run cli -- service-key:create --name <name>`. */
  apiKey: string;
  fetch?: typeof fetch;
}

export interface PlugboardClient {
  /** A token valid for at least the refresh margin (five minutes by default). `tenant` is a slug or id. */
  getToken(tenant: string, connector: string): Promise<PlugboardToken>;
  /** For a token the provider rejected with 401: refreshes it (once, however many services report it) and answers the new one. */
  refreshToken(tenant: string, connector: string): Promise<PlugboardToken>;
}

function retryAfter(header: string | null): number | null {
  if (header === null || !/^\d+$/.test(header.trim())) return null;
  return Number(header.trim());
}

function isToken(body: unknown): body is PlugboardToken {
  if (typeof body !== 'object' || body === null) return false;
  const t = body as Record<string, unknown>;
  return typeof t.accessToken === 'string' && typeof t.tokenType === 'string' && typeof t.account === 'object' && t.account !== null;
}

export function createPlugboardClient(options: PlugboardClientOptions): PlugboardClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function') throw new TypeError('createPlugboardClient: no fetch available; pass one in the options');
  if (!options.apiKey) throw new TypeError('createPlugboardClient: apiKey is required');
  // Kept with its path, so a Plugboard behind a path prefix works too.
  const base = new URL(options.baseUrl).toString().replace(/\/+$/, '');

  async function call(method: 'GET' | 'POST', tenant: string, connector: string, suffix: string): Promise<PlugboardToken> {
    const url = new URL(`${base}/api/v1/connections/${encodeURIComponent(connector)}/token${suffix}`);
    url.searchParams.set('tenant', tenant);
    let response: Response;
    try {
      response = await doFetch(url, { method, headers: { authorization: `Bearer ${options.apiKey}`, accept: 'application/json' } });
    } catch (error) {
      throw new PlugboardError(`Plugboard could not be reached at ${new URL(base).origin}`, 0, 'bad_response', null, null, { cause: error });
    }
    const body: unknown = await response.json().catch(() => null);
    if (response.ok && isToken(body)) return body;
    const refusal = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown; message?: unknown; reason?: unknown };
    const code = typeof refusal.error === 'string' ? refusal.error : 'bad_response';
    const message = typeof refusal.message === 'string' ? refusal.message : `Plugboard answered HTTP ${response.status} without a readable body`;
    throw new PlugboardError(
      message,
      response.status,
      response.ok ? 'bad_response' : code,
      typeof refusal.reason === 'string' ? refusal.reason : null,
      retryAfter(response.headers.get('retry-after')),
    );
  }

  return {
    getToken: (tenant, connector) => call('GET', tenant, connector, ''),
    refreshToken: (tenant, connector) => call('POST', tenant, connector, '/refresh'),
  };
}
