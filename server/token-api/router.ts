/**
 * The token API for backend services (docs/api.md, "Token API for backend services"; design in
 * docs/decisions/015-service-keys-and-token-api.md):
 *
 *   GET  /api/v1/connections/<connector>/token?tenant=<slug|id>
 *   POST /api/v1/connections/<connector>/token/refresh?tenant=<slug|id>
 *
 * with `Authorization: Bearer <service key>`. Every answer is JSON with `Cache-Control: no-store`;
 * every error is `{ error, message }` (plus `reason` for 409) and never carries a secret.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { authenticateServiceKey, type ServiceCaller } from '../auth/service-keys.js';
import { getConnector, isConnectorId, type ConnectorId } from '../connectors/registry.js';
import { accessLogger } from '../logger.js';
import type { AppServices } from '../services.js';
import { findTenantConnection, issueToken, NeedsReconnectError, NotConnectedError, TokenUnavailableError, type IssuedToken } from '../tokens/issue.js';
import { tokenApiRateLimitFor } from './rate-limit.js';

export type TokenApiErrorCode =
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
  | 'internal_error';

/** The answer to a successful call, exactly as serialised. */
export interface TokenAnswer {
  accessToken: string;
  tokenType: string;
  /** OAuth 1.0a connectors only (Trello): signs requests together with `accessToken` and the API key. */
  tokenSecret?: string;
  expiresAt: string | null;
  scopes: string[] | null;
  account: { id: string | null; name: string | null };
  settings: Record<string, string>;
}

class ApiRefusal {
  constructor(
    readonly status: number,
    readonly code: TokenApiErrorCode,
    readonly message: string,
    readonly extra: { reason?: string; retryAfterSeconds?: number; allow?: string } = {},
  ) {}
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The tenant named by the `tenant` query parameter: a slug or a uuid, given once. */
function tenantRef(req: Request): string {
  const value = req.query.tenant;
  if (value === undefined || value === '') {
    throw new ApiRefusal(400, 'invalid_request', 'The tenant query parameter is required: ?tenant=<slug|id>.');
  }
  if (typeof value !== 'string') throw new ApiRefusal(400, 'invalid_request', 'Give the tenant query parameter exactly once.');
  if (value.length > 63 || !(UUID.test(value) || SLUG.test(value))) {
    throw new ApiRefusal(400, 'invalid_request', 'The tenant query parameter must be a tenant slug or id.');
  }
  return value;
}

function connectorOf(id: string): ConnectorId {
  if (!isConnectorId(id) || getConnector(id).availability !== 'available') {
    throw new ApiRefusal(404, 'unknown_connector', 'No connector with this id is available.');
  }
  return id;
}

function answer(token: IssuedToken): TokenAnswer {
  return {
    accessToken: token.accessToken.reveal(),
    tokenType: token.tokenType,
    ...(token.tokenSecret ? { tokenSecret: token.tokenSecret.reveal() } : {}),
    expiresAt: token.expiresAt?.toISOString() ?? null,
    scopes: token.scopes,
    account: { id: token.account.id, name: token.account.name },
    settings: token.settings,
  };
}

/** issueToken's refusals as the API states them; anything else is ours (500). */
function refusalOf(error: unknown): ApiRefusal | null {
  if (error instanceof ApiRefusal) return error;
  if (error instanceof NotConnectedError) {
    return new ApiRefusal(404, 'not_connected', 'The connector is not connected for this tenant.');
  }
  if (error instanceof NeedsReconnectError) {
    return new ApiRefusal(409, 'needs_reconnect', 'The connection needs to be reconnected by an admin of the tenant.', { reason: error.reason });
  }
  if (error instanceof TokenUnavailableError) {
    return new ApiRefusal(503, 'token_unavailable', 'The provider could not refresh the token just now. Try again after Retry-After seconds.', {
      reason: error.reason,
      retryAfterSeconds: error.retryAfterSeconds,
    });
  }
  return null;
}

function send(res: Response, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.setHeader('Cache-Control', 'no-store');
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.status(status).json(body);
}

function sendRefusal(res: Response, refusal: ApiRefusal): void {
  const headers: Record<string, string> = {};
  if (refusal.status === 401) headers['WWW-Authenticate'] = 'Bearer realm="plugboard"';
  if (refusal.extra.retryAfterSeconds !== undefined) headers['Retry-After'] = String(refusal.extra.retryAfterSeconds);
  if (refusal.extra.allow) headers.Allow = refusal.extra.allow;
  // `reason` is part of the 409 contract only; a 503's reason stays in our log.
  const body = { error: refusal.code, message: refusal.message, ...(refusal.status === 409 ? { reason: refusal.extra.reason } : {}) };
  send(res, refusal.status, body, headers);
}

interface Handled {
  caller: ServiceCaller | null;
  tenantId: string | null;
  connector: string;
  reason?: string;
}

/** The token API, to be mounted at `/api/v1`. */
export function tokenApiRouter(services: AppServices) {
  const { logger } = services;
  const accessLog = accessLogger(logger);
  const router = express.Router({ caseSensitive: true, strict: false });

  const handle = (rejected: boolean) => async (req: Request, res: Response) => {
    const method = rejected ? 'POST' : 'GET';
    const done: Handled = { caller: null, tenantId: null, connector: String(req.params.connector) };
    try {
      if (req.method !== method) {
        throw new ApiRefusal(405, 'method_not_allowed', `Use ${method} here.`, { allow: method });
      }
      done.caller = await authenticateServiceKey(services.orm, req.headers.authorization);
      if (!done.caller) {
        throw new ApiRefusal(401, 'invalid_key', 'Send a valid service key: Authorization: Bearer <key>.');
      }
      const wait = await tokenApiRateLimitFor(services).take(done.caller.id);
      if (wait !== null) {
        throw new ApiRefusal(429, 'rate_limited', `Too many requests for this service key. Try again in ${wait} s.`, { retryAfterSeconds: wait });
      }
      const ref = tenantRef(req);
      const connector = connectorOf(done.connector);
      const found = await findTenantConnection(services, ref, connector);
      if (!found) throw new ApiRefusal(404, 'unknown_tenant', 'No tenant with this slug or id.');
      done.tenantId = found.tenantId;
      const log = logger.child({ serviceKey: done.caller.name, requestId: req.id });
      const token = await issueToken(services, { tenantId: found.tenantId, connector }, log, { rejected, loaded: found.connection });
      send(res, 200, answer(token));
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal) {
        done.reason = refusal.extra.reason;
        sendRefusal(res, refusal);
      } else {
        logger.error({ err: error, requestId: req.id, serviceKey: done.caller?.name, tenantId: done.tenantId, connector: done.connector }, 'token API request failed');
        sendRefusal(res, new ApiRefusal(500, 'internal_error', 'Something went wrong on our side. Try again shortly.'));
      }
    } finally {
      // Who asked for what and what they got; never the token (nor the tenant reference as given).
      accessLog.info(
        {
          requestId: req.id,
          serviceKey: done.caller?.name ?? null,
          tenantId: done.tenantId,
          connector: done.connector,
          operation: rejected ? 'refresh' : 'token',
          status: res.statusCode,
          ...(done.reason ? { reason: done.reason } : {}),
        },
        'token API answer',
      );
    }
  };

  const token = handle(false);
  const refresh = handle(true);
  router.all('/connections/:connector/token', (req, res) => void token(req, res));
  router.all('/connections/:connector/token/refresh', (req, res) => void refresh(req, res));
  router.all('*', (_req, res) => sendRefusal(res, new ApiRefusal(404, 'not_found', 'No such endpoint. See docs/api.md.')));
  // What Express refuses before a handler runs (a path that is not valid percent-encoding) is
  // the client's mistake: the API's own 400, not the app's error page.
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    const status = (error as { status?: unknown } | null)?.status;
    if (typeof status !== 'number' || status < 400 || status >= 500 || res.headersSent) return next(error);
    logger.info({ requestId: req.id, status: 400 }, 'token API request refused');
    sendRefusal(res, new ApiRefusal(400, 'invalid_request', 'The request could not be understood.'));
  });
  return router;
}
