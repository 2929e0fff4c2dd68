/** HTTP plumbing for the sandbox: replies, bounded form or JSON bodies, client credentials. Node built-ins only. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ClientAuthentication } from '../connectors/types.js';
import type { SandboxClient } from './profile.js';

const MAX_BODY_BYTES = 64 * 1024;
const MAX_DRAIN_BYTES = 1024 * 1024;

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export const json = (status: number, value: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(value),
});

export const redirect = (location: string): Reply => ({
  status: 302,
  headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
  body: '',
});

/**
 * A body of at most 64 KB, or null. A larger one is drained (up to 1 MB) before the 413, since
 * answering mid-upload makes fetch report "other side closed" instead of the status; past
 * that the connection is dropped.
 */
export async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_DRAIN_BYTES) {
      req.destroy();
      return null;
    }
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8');
}

/** The token request's fields from a form, or from a JSON object where the profile accepts one; else why not. */
export function bodyParams(req: IncomingMessage, body: string, accepted: readonly ('form' | 'json')[]): URLSearchParams | string {
  const type = mediaType(req);
  if (type === 'application/x-www-form-urlencoded' && accepted.includes('form')) return new URLSearchParams(body);
  if (type === 'application/json' && accepted.includes('json')) {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return 'The body is not valid JSON';
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'The body must be a JSON object';
    const params = new URLSearchParams();
    for (const [name, field] of Object.entries(value)) {
      if (typeof field !== 'string') return `${name} must be a string`;
      params.set(name, field);
    }
    return params;
  }
  const types = accepted.map((kind) => (kind === 'form' ? 'application/x-www-form-urlencoded' : 'application/json'));
  return `Content-Type must be ${types.join(' or ')}`;
}

/** Path and query split by hand: `new URL('//host/x', base)` would read `host` as the host. */
export function splitTarget(target: string): { path: string; query: URLSearchParams } {
  const at = target.indexOf('?');
  return at < 0 ? { path: target, query: new URLSearchParams() } : { path: target.slice(0, at), query: new URLSearchParams(target.slice(at + 1)) };
}

export const mediaType = (req: IncomingMessage) => (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';

export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export const bearerToken = (req: IncomingMessage) => /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '')?.[1];

export function authorizationScheme(req: IncomingMessage): 'basic' | 'bearer' | null {
  const scheme = (req.headers.authorization ?? '').split(' ', 1)[0]?.toLowerCase();
  return scheme === 'basic' || scheme === 'bearer' ? scheme : null;
}

/** The client, authenticated the profile's way only (RFC 6749 §2.3.1); Basic credentials are form-encoded. */
export function clientAuthenticated(req: IncomingMessage, form: URLSearchParams, method: ClientAuthentication, client: SandboxClient): boolean {
  const header = req.headers.authorization;
  if (method === 'client_secret_post') {
    if (header !== undefined || form.get('client_secret') === null) return false;
    return safeEqual(form.get('client_id') ?? '', client.clientId) && safeEqual(form.get('client_secret') ?? '', client.clientSecret);
  }
  const match = /^Basic[ \t]+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match?.[1] || form.has('client_secret')) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  try {
    const id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    const secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    const formId = form.get('client_id');
    return safeEqual(id, client.clientId) && safeEqual(secret, client.clientSecret) && (formId === null || formId === id);
  } catch {
    return false;
  }
}

/** An absolute http(s) URL, printable ASCII, no fragment (RFC 6749 §3.1.2): it goes out verbatim in a Location. */
export function validRedirectUri(value: string | null): value is string {
  if (value === null || !/^[\x21-\x7e]+$/.test(value) || value.includes('#')) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Appends parameters to the redirect URI without re-encoding what it already holds. */
export function appendQuery(uri: string, params: [string, string][]): string {
  const added = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  if (!uri.includes('?')) return `${uri}?${added}`;
  return uri.endsWith('?') || uri.endsWith('&') ? `${uri}${added}` : `${uri}&${added}`;
}
