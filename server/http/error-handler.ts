import { TRPC_ERROR_CODES_BY_KEY, type TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../logger.js';

/** The API speaks JSON, also when it refuses; pages get plain text or HTML. */
export function wantsJson(req: Request): boolean {
  // req.path is relative to the mount point; baseUrl holds the rest.
  if (`${req.baseUrl}${req.path}`.startsWith('/api/')) return true;
  return req.accepts(['html', 'json']) === 'json';
}

const TRPC_CODES: Record<number, TRPC_ERROR_CODE_KEY> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  500: 'INTERNAL_SERVER_ERROR',
};

/**
 * Answers a refused request before any handler ran: plain text for pages, and for the API a
 * body shaped like tRPC's own errors (`error.message`, `error.data.code`, `error.data.httpStatus`)
 * so API clients read one error format.
 */
export function refuse(req: Request, res: Response, status: number, message: string): void {
  if (res.headersSent) return;
  if (wantsJson(req)) {
    const key = TRPC_CODES[status] ?? 'BAD_REQUEST';
    res.status(status).json({ error: { message, code: TRPC_ERROR_CODES_BY_KEY[key], data: { code: key, httpStatus: status } } });
    return;
  }
  res.status(status).type('text/plain').send(message);
}

const GENERIC = 'Something went wrong on our side. Please try again.';

function page(status: number, message: string, requestId: string): string {
  const title = status >= 500 ? 'Something went wrong' : 'Request refused';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} · Plugboard</title></head><body><main><h1>${title}</h1><p>${message}</p><p>Reference: <code>${requestId}</code></p></main></body></html>`;
}

/** A client error raised by Express or its static file server (bad path encoding, bad range). */
function clientStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode, expose } = error as { status?: unknown; statusCode?: unknown; expose?: unknown };
  const value = typeof status === 'number' ? status : statusCode;
  return typeof value === 'number' && value >= 400 && value < 500 && expose !== false ? value : undefined;
}

/**
 * The last middleware: every error that reaches Express ends here, never in Express's default
 * handler (which prints stacks to stderr and, outside production, into the page). The error
 * goes to the sanitising logger; the client gets a generic message and the request id.
 */
export function errorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const client = clientStatus(error);
    const status = client ?? 500;
    if (client === undefined) {
      logger.error({ err: error, requestId: req.id, method: req.method, path: req.path }, 'request failed');
    } else {
      logger.info({ requestId: req.id, method: req.method, path: req.path, status }, 'request refused');
    }
    if (res.headersSent) {
      // Part of an answer is out: the only honest thing left is to cut the connection.
      res.destroy();
      return;
    }
    const message = status >= 500 ? GENERIC : 'The request could not be understood.';
    res.setHeader('Cache-Control', 'private, no-store');
    if (wantsJson(req)) {
      refuse(req, res, status, message);
      return;
    }
    res.status(status).type('html').send(page(status, message, req.id));
  };
}
