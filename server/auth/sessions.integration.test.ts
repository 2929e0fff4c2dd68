import { describe, expect, it } from 'vitest';
import { callerWithCookies, makeTenant, makeUser, signedInUser, TEST_PASSWORD } from '../../test/support/factories.js';
import { useTestDatabase } from '../../test/support/database.js';
import type { AppServices } from '../services.js';
import { createContext } from '../trpc/context.js';
import { AccountError, setUserPassword, setUserRole } from './accounts.js';
import { serializeSessionCookie } from './session-cookie.js';
import { LAST_SEEN_REFRESH_MS, resolveSession, signIn } from './sessions.js';

const db = useTestDatabase();

function servicesIn(mode: 'production' | 'test', extra: Partial<AppServices['env']> = {}): AppServices {
  return { ...db.services, env: { ...db.services.env, NODE_ENV: mode, ...extra } };
}

/** The session the HTTP layer resolves for a Cookie header. */
async function sessionFor(services: AppServices, cookie: string) {
  const context = await createContext({ services, req: { headers: { cookie } }, res: { append: (() => undefined) as never, setHeader: (() => undefined) as never } });
  return context.session;
}

const cookieHeader = (token: string, secure: boolean) =>
  serializeSessionCookie(token, { secret: db.services.env.SESSION_SECRET, secure, maxAgeSeconds: 60 }).split(';')[0]!;

const lastSeen = async (sessionId: string) =>
  (await db.sql<{ last_seen_at: Date; xmin: string }>('select last_seen_at, xmin::text from sessions where id = $1', [sessionId]))[0];

describe('session cookie by mode', () => {
  it('production signs in with __Host-plugboard_session and reads only that name', async () => {
    const production = servicesIn('production');
    const tenant = await makeTenant(db.orm.em.fork());
    const user = await makeUser(db.orm.em.fork(), tenant.slug);
    const { caller, cookies } = callerWithCookies(production, null);
    await caller.auth.signIn({ email: user.email, password: TEST_PASSWORD });
    const [setCookie] = cookies;
    expect(setCookie).toMatch(/^__Host-plugboard_session=[^;]+; Path=\/;/);
    expect(setCookie).toContain('Secure');
    expect(setCookie!.toLowerCase()).not.toContain('domain=');

    const sentBack = setCookie!.split(';')[0]!;
    expect((await sessionFor(production, sentBack))?.email).toBe(user.email);
    // The same signed value under the plain name (settable by any subdomain) is ignored.
    const unprefixed = sentBack.replace(/^__Host-/, '');
    expect(await sessionFor(production, unprefixed)).toBeNull();
    // And outside production the prefixed name means nothing.
    expect(await sessionFor(servicesIn('test'), sentBack)).toBeNull();
    expect((await sessionFor(servicesIn('test'), unprefixed))?.email).toBe(user.email);
  });

  it('sign-out in production clears the __Host- cookie', async () => {
    const { session } = await signedInUser(db.services);
    const { caller, cookies } = callerWithCookies(servicesIn('production'), session);
    await caller.auth.signOut();
    expect(cookies[0]).toMatch(/^__Host-plugboard_session=; Path=\/;.*Max-Age=0.*Secure/);
  });
});

describe('idle timeout', () => {
  it('a session unused for longer than SESSION_IDLE_HOURS is dead, though not expired', async () => {
    const { session, token } = await signedInUser(db.services);
    const services = servicesIn('test', { SESSION_IDLE_HOURS: 12 });
    expect((await sessionFor(services, cookieHeader(token, false)))?.sessionId).toBe(session.sessionId);

    await db.sql(`update sessions set last_seen_at = now() - interval '12 hours 1 minute' where id = $1`, [session.sessionId]);
    const [row] = await db.sql<{ alive: boolean }>('select expires_at > now() as alive from sessions where id = $1', [session.sessionId]);
    expect(row?.alive).toBe(true);
    expect(await resolveSession(db.orm, token, { SESSION_IDLE_HOURS: 12 })).toBeNull();
    expect(await sessionFor(services, cookieHeader(token, false))).toBeNull();
    // The limit is the configured one, not a constant.
    expect((await resolveSession(db.orm, token, { SESSION_IDLE_HOURS: 13 }))?.sessionId).toBe(session.sessionId);
  });

  it('the absolute expiry still applies to a session in constant use', async () => {
    const { session, token } = await signedInUser(db.services);
    await db.sql(`update sessions set expires_at = now() - interval '1 second' where id = $1`, [session.sessionId]);
    expect(await resolveSession(db.orm, token, { SESSION_IDLE_HOURS: 12 })).toBeNull();
  });

  it('use refreshes last_seen_at, but writes at most once per refresh interval', async () => {
    const { session, token } = await signedInUser(db.services);
    const resolve = () => resolveSession(db.orm, token, { SESSION_IDLE_HOURS: 12 });

    // Fresh session: many requests, no write at all (xmin changes with every UPDATE of the row).
    const initial = await lastSeen(session.sessionId);
    for (let i = 0; i < 5; i++) expect(await resolve()).not.toBeNull();
    expect(await lastSeen(session.sessionId)).toEqual(initial);

    // Last seen longer ago than the interval (well inside the idle limit): one write, then none.
    await db.sql(`update sessions set last_seen_at = now() - interval '11 hours' where id = $1`, [session.sessionId]);
    const stale = await lastSeen(session.sessionId);
    const before = Date.now();
    expect(await resolve()).not.toBeNull();
    const refreshed = await lastSeen(session.sessionId);
    expect(refreshed!.xmin).not.toBe(stale!.xmin);
    expect(refreshed!.last_seen_at.getTime()).toBeGreaterThanOrEqual(before - 1000);
    for (let i = 0; i < 5; i++) expect(await resolve()).not.toBeNull();
    expect(await lastSeen(session.sessionId)).toEqual(refreshed);

    // Just inside the interval: still no write.
    await db.sql(`update sessions set last_seen_at = now() - make_interval(secs => $2) where id = $1`, [
      session.sessionId,
      LAST_SEEN_REFRESH_MS / 1000 - 30,
    ]);
    const recent = await lastSeen(session.sessionId);
    expect(await resolve()).not.toBeNull();
    expect(await lastSeen(session.sessionId)).toEqual(recent);
  });

  it('a new session has last_seen_at set by the database', async () => {
    const { session } = await signedInUser(db.services);
    const row = await lastSeen(session.sessionId);
    expect(Math.abs(row!.last_seen_at.getTime() - Date.now())).toBeLessThan(60_000);
  });
});

describe('role and password changes sign the user out everywhere', () => {
  /** A tenant with two users, each signed in twice, and a user of another tenant. */
  async function scene() {
    const em = db.orm.em.fork();
    const tenant = await makeTenant(em);
    const other = await makeTenant(em);
    const target = await makeUser(em, tenant.slug, 'member');
    const colleague = await makeUser(em, tenant.slug, 'admin');
    const outsider = await makeUser(em, other.slug, 'member');
    const tokens = async (email: string) => {
      const result = await Promise.all([1, 2].map(() => signIn(db.orm.em.fork(), { email, password: TEST_PASSWORD }, 1)));
      return result.map((r) => r!.token);
    };
    return {
      tenant,
      other,
      target,
      targetTokens: await tokens(target.email),
      colleagueTokens: await tokens(colleague.email),
      outsiderTokens: await tokens(outsider.email),
    };
  }
  const alive = async (tokens: string[]) =>
    Promise.all(tokens.map(async (t) => (await resolveSession(db.orm, t, { SESSION_IDLE_HOURS: 12 })) !== null));
  const sessionCount = async (userId: string) =>
    Number((await db.sql<{ n: string }>('select count(*) as n from sessions where user_id = $1', [userId]))[0]!.n);

  it('setUserRole changes the role and deletes that user’s sessions only', async () => {
    const s = await scene();
    const result = await setUserRole(db.orm.em.fork(), { tenant: s.tenant.slug, email: s.target.email.toUpperCase(), role: 'admin' });
    expect(result).toMatchObject({ changed: true, revokedSessions: 2 });
    const [row] = await db.sql<{ role: string }>('select role from users where id = $1', [s.target.id]);
    expect(row?.role).toBe('admin');
    expect(await alive(s.targetTokens)).toEqual([false, false]);
    expect(await sessionCount(s.target.id)).toBe(0);
    expect(await alive(s.colleagueTokens)).toEqual([true, true]);
    expect(await alive(s.outsiderTokens)).toEqual([true, true]);

    // Signing in again gives the new role.
    const again = await signIn(db.orm.em.fork(), { email: s.target.email, password: TEST_PASSWORD }, 1);
    expect(again?.user.role).toBe('admin');
  });

  it('setUserRole to the role the user has changes nothing and keeps the sessions', async () => {
    const s = await scene();
    const result = await setUserRole(db.orm.em.fork(), { email: s.target.email, role: 'member' });
    expect(result).toMatchObject({ changed: false, revokedSessions: 0 });
    expect(await alive(s.targetTokens)).toEqual([true, true]);
  });

  it('setUserRole refuses a user of another tenant or an unknown user, changing nothing', async () => {
    const s = await scene();
    await expect(setUserRole(db.orm.em.fork(), { tenant: s.other.slug, email: s.target.email, role: 'admin' })).rejects.toThrow(
      AccountError,
    );
    await expect(setUserRole(db.orm.em.fork(), { email: 'nobody@example.test', role: 'admin' })).rejects.toThrow(/No user/);
    const [row] = await db.sql<{ role: string }>('select role from users where id = $1', [s.target.id]);
    expect(row?.role).toBe('member');
    expect(await alive(s.targetTokens)).toEqual([true, true]);
  });

  it('setUserPassword replaces the password and deletes that user’s sessions only', async () => {
    const s = await scene();
    const newPassword = 'a brand new passphrase';
    const result = await setUserPassword(db.orm.em.fork(), { email: s.target.email, password: newPassword });
    expect(result.revokedSessions).toBe(2);
    expect(await alive(s.targetTokens)).toEqual([false, false]);
    expect(await alive(s.colleagueTokens)).toEqual([true, true]);
    expect(await alive(s.outsiderTokens)).toEqual([true, true]);
    expect(await signIn(db.orm.em.fork(), { email: s.target.email, password: TEST_PASSWORD }, 1)).toBeNull();
    expect(await signIn(db.orm.em.fork(), { email: s.target.email, password: newPassword }, 1)).not.toBeNull();
  });

  it('setUserPassword validates before writing anything', async () => {
    const s = await scene();
    await expect(setUserPassword(db.orm.em.fork(), { email: s.target.email, password: 'short' })).rejects.toThrow();
    expect(await alive(s.targetTokens)).toEqual([true, true]);
    expect(await signIn(db.orm.em.fork(), { email: s.target.email, password: TEST_PASSWORD }, 1)).not.toBeNull();
  });
});
