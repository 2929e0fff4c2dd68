import { describe, expect, it } from 'vitest';
import { clearSessionCookie, readSessionToken, serializeSessionCookie, sessionCookieName } from './session-cookie.js';

const SESSION_SECRET = 'unit-test-session-secret-unit-test-session-secret';
const production = { NODE_ENV: 'production', SESSION_SECRET } as const;
const development = { NODE_ENV: 'development', SESSION_SECRET } as const;

/** `name=value` from a Set-Cookie header, as a browser would send it back. */
const sentBack = (setCookie: string) => setCookie.split(';')[0]!;

describe('session cookie', () => {
  it('is __Host-plugboard_session with Secure, Path=/ and no Domain when Secure', () => {
    const header = serializeSessionCookie('tok', { secret: SESSION_SECRET, secure: true, maxAgeSeconds: 60 });
    expect(header).toMatch(/^__Host-plugboard_session=tok\./);
    const attributes = header.split('; ').slice(1);
    expect(attributes).toEqual(expect.arrayContaining(['Secure', 'Path=/', 'HttpOnly', 'SameSite=Lax', 'Max-Age=60']));
    expect(header.toLowerCase()).not.toContain('domain=');
    expect(clearSessionCookie({ secure: true })).toMatch(/^__Host-plugboard_session=; Path=\/;.*Max-Age=0.*Secure/);
  });

  it('is plain plugboard_session, without Secure, otherwise (browsers refuse __Host- on http://localhost)', () => {
    const header = serializeSessionCookie('tok', { secret: SESSION_SECRET, secure: false, maxAgeSeconds: 60 });
    expect(header).toMatch(/^plugboard_session=tok\./);
    expect(header).not.toContain('Secure');
    expect(clearSessionCookie({ secure: false })).toMatch(/^plugboard_session=; Path=\/;.*Max-Age=0$/);
    expect(sessionCookieName(false)).toBe('plugboard_session');
    expect(sessionCookieName(true)).toBe('__Host-plugboard_session');
  });

  it('reads only the name for the current mode', () => {
    const secure = sentBack(serializeSessionCookie('tok-s', { secret: SESSION_SECRET, secure: true, maxAgeSeconds: 60 }));
    const plain = sentBack(serializeSessionCookie('tok-p', { secret: SESSION_SECRET, secure: false, maxAgeSeconds: 60 }));
    expect(readSessionToken(secure, production)).toBe('tok-s');
    expect(readSessionToken(plain, production)).toBeNull();
    expect(readSessionToken(plain, development)).toBe('tok-p');
    expect(readSessionToken(secure, development)).toBeNull();
    // Both present (say, one planted by a subdomain): each mode takes its own, whatever the order.
    expect(readSessionToken(`${plain}; ${secure}`, production)).toBe('tok-s');
    expect(readSessionToken(`${secure}; ${plain}`, development)).toBe('tok-p');
  });

  it('ignores a prefixed cookie signed with another secret', () => {
    const forged = sentBack(serializeSessionCookie('tok', { secret: 'x'.repeat(40), secure: true, maxAgeSeconds: 60 }));
    expect(readSessionToken(forged, production)).toBeNull();
  });
});
