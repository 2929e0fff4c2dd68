import type { NextFunction, Request, Response } from 'express';
import { refuse } from './error-handler.js';

/** Our largest legitimate body (a sign-in form, an OAuth callback) is well under 1 KB. */
export const BODY_LIMIT_BYTES = 100 * 1024;

/**
 * After refusing a body we keep reading (and discarding) what the client still sends, so an
 * ordinary client gets to read the 413 instead of a reset connection; past this many bytes
 * or this many milliseconds we close the connection instead.
 */
const DISCARD_MAX_BYTES = 64 * 1024 * 1024;
const DISCARD_MAX_MS = 10_000;

const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

declare module 'express-serve-static-core' {
  interface Request {
    /** The whole request body, read and checked by `limitBodies` (empty when there was none). */
    rawBody?: Buffer;
  }
}

/** `Application/JSON; charset=utf-8` → `application/json`; undefined when absent. */
export function mediaType(header: string | undefined): string | undefined {
  const type = header?.split(';', 1)[0]?.trim().toLowerCase();
  return type ? type : undefined;
}

/** Reads the rest of a refused body into nothing, then lets the connection go. */
function discardRest(req: Request): void {
  if (req.complete) return;
  let discarded = 0;
  const timer = setTimeout(() => req.socket.destroy(), DISCARD_MAX_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_MAX_BYTES) req.socket.destroy();
  });
  req.on('end', () => clearTimeout(timer));
  req.on('close', () => clearTimeout(timer));
  req.resume();
}

function tooLarge(req: Request, res: Response): void {
  refuse(req, res, 413, `Request bodies are limited to ${BODY_LIMIT_BYTES / 1024} KB.`);
  discardRest(req);
}

export interface BodyLimitOptions {
  limit?: number;
  /** Media types accepted on this mount (`application/json`, `application/x-www-form-urlencoded`). */
  accept: readonly string[];
}

/**
 * Reads the body of a state-changing request into `req.rawBody`, refusing it before it grows
 * in memory: 413 past the limit (by Content-Length when given, by counting otherwise), 415 for
 * a media type the handlers do not parse (we take no file uploads, so no multipart), 400 for
 * malformed JSON. A request without a body passes whatever its Content-Type: an empty form.
 */
export function limitBodies({ limit = BODY_LIMIT_BYTES, accept }: BodyLimitOptions) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!WRITE_METHODS.has(req.method)) return next();
    const declared = req.headers['content-length'];
    const length = declared === undefined ? undefined : Number(declared);
    const chunked = req.headers['transfer-encoding'] !== undefined;
    if (length !== undefined && length > limit) return tooLarge(req, res);
    if (!chunked && !length) {
      req.rawBody = Buffer.alloc(0);
      return next();
    }

    const type = mediaType(req.headers['content-type']);
    if (!type || !accept.includes(type)) {
      const what = type ? `Content-Type ${type} is not accepted` : 'A request body needs a Content-Type';
      refuse(req, res, 415, `${what}; send ${accept.join(' or ')}.`);
      return discardRest(req);
    }
    const encoding = req.headers['content-encoding']?.trim().toLowerCase();
    if (encoding && encoding !== 'identity') {
      refuse(req, res, 415, 'Compressed request bodies are not accepted.');
      return discardRest(req);
    }

    const chunks: Buffer[] = [];
    let received = 0;
    let refused = false;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received <= limit) {
        chunks.push(chunk);
        return;
      }
      refused = true;
      chunks.length = 0;
      cleanup();
      tooLarge(req, res);
    };
    const onEnd = () => {
      cleanup();
      const body = Buffer.concat(chunks);
      if (type === JSON_TYPE && body.length > 0) {
        try {
          JSON.parse(body.toString('utf8'));
        } catch {
          refuse(req, res, 400, 'The request body is not valid JSON.');
          return;
        }
      }
      req.rawBody = body;
      next();
    };
    const onError = (error: NodeJS.ErrnoException) => {
      cleanup();
      // A client that hangs up mid-body is nobody's error: there is no one left to answer.
      if (refused || error.code === 'ECONNRESET' || req.destroyed) return;
      next(error);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  };
}

export const ACCEPT_JSON = [JSON_TYPE] as const;
export const ACCEPT_JSON_OR_FORM = [JSON_TYPE, FORM_TYPE] as const;
