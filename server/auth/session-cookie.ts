import { createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'plugboard_session';

export interface CookieOptions {
  secret: string;
  secure: boolean;
  maxAgeSeconds: number;
}

function sign(value: string, secret: string): string {
  return createHmac('sha256', secret).update(value).digest('base64url');
}

/** `token.signature`: a cookie forged or tampered with is ignored before any database query. */
export function serializeSessionCookie(token: string, options: CookieOptions): string {
  return [
    `${SESSION_COOKIE}=${token}.${sign(token, options.secret)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${options.maxAgeSeconds}`,
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}

export function clearSessionCookie(options: Pick<CookieOptions, 'secure'>): string {
  return [`${SESSION_COOKIE}=`, 'Path=/', 'HttpOnly', 'SameSite=Lax', 'Max-Age=0', ...(options.secure ? ['Secure'] : [])].join(
    '; ',
  );
}

/** The session token from a Cookie header, or null when absent or badly signed. */
export function readSessionToken(cookieHeader: string | null | undefined, secret: string): string | null {
  if (!cookieHeader) return null;
  for (const part of cookieHeader.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name !== SESSION_COOKIE) continue;
    const value = rest.join('=');
    const dot = value.lastIndexOf('.');
    if (dot <= 0) return null;
    const token = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1));
    const expected = Buffer.from(sign(token, secret));
    return given.length === expected.length && timingSafeEqual(given, expected) ? token : null;
  }
  return null;
}
