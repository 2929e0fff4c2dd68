/**
 * HTTP plumbing for the Intercom sandbox: reply builders (JSON, Intercom-shaped errors, HTML,
 * redirects, injected faults) and request parsing (bounded bodies, form or JSON, bearer tokens,
 * redirect URIs). Only node: built-ins.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Bodies here are a handful of short fields; anything larger is a client bug or abuse. */
const MAX_BODY_BYTES = 64 * 1024;
/** How much of an oversized body is read and discarded so the client still sees the 413. */
const MAX_DRAIN_BYTES = 1024 * 1024;
const CONSENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action *";

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(value),
  };
}

/** Intercom's error envelope: `{"type":"error.list","errors":[{"code","message"}]}`. */
export function intercomError(status: number, code: string, message: string, headers: Record<string, string> = {}): Reply {
  return jsonReply(status, { type: 'error.list', errors: [{ code, message }] }, headers);
}

export function htmlReply(status: number, body: string): Reply {
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      // form-action must allow the redirect to the app's callback after the decision POST:
      // browsers apply form-action to the redirect target too.
      'content-security-policy': CONSENT_CSP,
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    },
    body,
  };
}

export function redirectReply(location: string): Reply {
  return {
    status: 302,
    // no-referrer: the consent URL holds the state; don't leak it to the callback's host.
    headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
    body: '',
  };
}

function defaultFaultCode(status: number): string {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limit_exceeded';
  if (status >= 500) return 'server_error';
  return 'sandbox_fault';
}

export function faultReply(fault: { status: number; body?: string; contentType?: string }): Reply {
  // 204 and 304 must not carry a body (Node would drop it anyway).
  if (fault.status === 204 || fault.status === 304) return { status: fault.status, headers: {}, body: '' };
  if (fault.body === undefined) {
    return intercomError(fault.status, defaultFaultCode(fault.status), `Sandbox fault: HTTP ${fault.status}`);
  }
  return {
    status: fault.status,
    headers: { 'content-type': fault.contentType ?? guessContentType(fault.body), 'cache-control': 'no-store' },
    body: fault.body,
  };
}

function guessContentType(body: string): string {
  try {
    JSON.parse(body);
    return 'application/json; charset=utf-8';
  } catch {
    return 'text/plain; charset=utf-8';
  }
}

// ---------------------------------------------------------------------------------------------
// Request helpers
// ---------------------------------------------------------------------------------------------

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/**
 * Read a body of at most MAX_BODY_BYTES. An oversized one is drained (up to MAX_DRAIN_BYTES) before
 * the 413, because answering mid-upload and closing makes fetch report "other side closed"
 * instead of the status; past the drain cap the connection is simply dropped.
 */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_DRAIN_BYTES) {
      req.destroy();
      throw new BodyTooLargeError(`Request body exceeds ${MAX_BODY_BYTES} bytes`);
    }
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`Request body exceeds ${MAX_BODY_BYTES} bytes`);
  return Buffer.concat(chunks).toString('utf8');
}

/** `application/json; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | null): string {
  return (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

type Params = Record<string, unknown>;

type ParsedBody = { ok: true; params: Params } | { ok: false; reply: Reply };

/** Intercom's token endpoint takes a form (its documented example) or JSON; nothing else. */
export function parseFormOrJson(contentType: string | null, body: string): ParsedBody {
  const type = mediaType(contentType);
  if (type === 'application/x-www-form-urlencoded') {
    return { ok: true, params: Object.fromEntries(new URLSearchParams(body)) };
  }
  if (type === 'application/json') {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return { ok: false, reply: intercomError(400, 'parameter_invalid', 'Request body is not valid JSON') };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { ok: false, reply: intercomError(400, 'parameter_invalid', 'Request body must be a JSON object') };
    }
    return { ok: true, params: value as Params };
  }
  return {
    ok: false,
    reply: intercomError(
      415,
      'unsupported_media_type',
      'Content-Type must be application/x-www-form-urlencoded or application/json',
    ),
  };
}

export function stringParam(params: Params, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

export function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Constant-time string comparison (hash first so lengths don't leak either). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/**
 * An absolute http(s) URL without a fragment (RFC 6749 §3.1.2 forbids fragments in redirect
 * URIs, and the code would be appended after it, where the server never sees it). It must already
 * be a well-formed URI, printable ASCII with no spaces: it goes back out verbatim in a Location
 * header, and WHATWG URL parsing would silently drop the tabs and newlines a header can't hold.
 */
export function parseRedirectUri(value: string | undefined): URL | undefined {
  if (value === undefined || !/^[\x21-\x7e]+$/.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.hash !== '' || value.includes('#')) return undefined;
  return url;
}

/**
 * Append parameters to the redirect URI, keeping the URI itself byte for byte (re-encoding it
 * through URL/URLSearchParams would turn `%20` into `+` and `?flag` into `?flag=`). The URI has no
 * fragment (parseRedirectUri), so appending to the string is appending to the query.
 * encodeURIComponent turns the code's trailing `=` into `%3D` and `+`/`/` into `%2B`/`%2F`.
 */
export function appendQuery(redirectUri: string, params: [string, string][]): string {
  const added = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  if (!redirectUri.includes('?')) return `${redirectUri}?${added}`;
  if (redirectUri.endsWith('?') || redirectUri.endsWith('&')) return `${redirectUri}${added}`;
  return `${redirectUri}&${added}`;
}
