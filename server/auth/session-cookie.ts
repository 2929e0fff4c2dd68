import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Env } from '../env.js';

/**
 * The cookie's name depends on the mode. With Secure cookies (production) it carries the
 * `__Host-` prefix: browsers then only accept it when set Secure, with `Path=/` and no
 * `Domain`, from the app's own origin, so a sibling subdomain cannot plant or shadow a session
 * cookie. Browsers refuse `__Host-` on http://localhost, so development uses the plain name.
 * https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Set-Cookie#cookie_prefixes
 */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-plugboard_session' : 'plugboard_session';
}

/** Cookies are Secure in production only: http://localhost would drop them otherwise. */
export function secureCookies(env: Pick<Env, 'NODE_ENV'>): boolean {
  return env.NODE_ENV === 'production';
}

export interface CookieOptions {
  secret: string;
  secure: boolean;
  maxAgeSeconds: number;
}

function sign(value: string, secret: string): string {
  return createHmac('sha256', secret).update(value).digest('base64url');
}

/** The attributes `__Host-` requires are always present: Path=/, no Domain; Secure with it. */
function attributes(secure: boolean, maxAgeSeconds: number): string[] {
  return ['Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAgeSeconds}`, ...(secure ? ['Secure'] : [])];
}

/** `token.signature`: a cookie forged or tampered with is ignored before any database query. */
export function serializeSessionCookie(token: string, options: CookieOptions): string {
  const value = `${token}.${sign(token, options.secret)}`;
  return [`${sessionCookieName(options.secure)}=${value}`, ...attributes(options.secure, options.maxAgeSeconds)].join('; ');
}

export function clearSessionCookie(options: Pick<CookieOptions, 'secure'>): string {
  return [`${sessionCookieName(options.secure)}=`, ...attributes(options.secure, 0)].join('; ');
}

/**
 * The session token from a Cookie header, or null when absent or badly signed. Only the name
 * for the current mode counts: in production a plain `plugboard_session` (which any subdomain
 * could set) is ignored.
 */
export function readSessionToken(
  cookieHeader: string | null | undefined,
  env: Pick<Env, 'NODE_ENV'> & { SESSION_SECRET: string },
): string | null {
  if (!cookieHeader) return null;
  const wanted = sessionCookieName(secureCookies(env));
  for (const part of cookieHeader.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name !== wanted) continue;
    const value = rest.join('=');
    const dot = value.lastIndexOf('.');
    if (dot <= 0) return null;
    const token = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1));
    const expected = Buffer.from(sign(token, env.SESSION_SECRET));
    return given.length === expected.length && timingSafeEqual(given, expected) ? token : null;
  }
  return null;
}
