import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { Session } from '../../db/entities/index.js';
import { callerFor, callerWithCookies, makeTenant, makeUser, signedInUser, TEST_PASSWORD } from '../../test/support/factories.js';
import { useTestDatabase } from '../../test/support/database.js';
import { readSessionToken, sessionCookieName } from './session-cookie.js';

const SESSION_COOKIE = sessionCookieName(false);
import { hashToken, resolveSession } from './sessions.js';

const db = useTestDatabase();

describe('sign-in', () => {
  it('opens a server-side session and sets an HttpOnly, SameSite=Lax, signed cookie', async () => {
    const em = db.orm.em.fork();
    const tenant = await makeTenant(em);
    const user = await makeUser(em, tenant.slug, 'admin', 'Ada@Example.test');
    const { caller, cookies } = callerWithCookies(db.services, null);

    const me = await caller.auth.signIn({ email: 'ada@example.TEST', password: TEST_PASSWORD });
    expect(me).toEqual({ email: 'ada@example.test', role: 'admin', tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name } });

    const [cookie] = cookies;
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=`));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).not.toContain('Secure'); // only in production
    const token = readSessionToken(cookie!.split(';')[0], db.services.env);
    expect(token).toBeTruthy();
    const rows = await db.sql<{ token_hash: string; user_id: string }>('select token_hash, user_id from sessions where user_id = $1', [user.id]);
    expect(rows).toEqual([{ token_hash: hashToken(token!), user_id: user.id }]);
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('gives one generic message for a wrong password and an unknown email', async () => {
    const em = db.orm.em.fork();
    const tenant = await makeTenant(em);
    const user = await makeUser(em, tenant.slug);
    const { caller, cookies } = callerWithCookies(db.services, null);
    const wrongPassword = await caller.auth.signIn({ email: user.email, password: 'not the password' }).catch((e: unknown) => e);
    const unknownEmail = await caller.auth.signIn({ email: 'nobody@example.test', password: TEST_PASSWORD }).catch((e: unknown) => e);
    for (const error of [wrongPassword, unknownEmail]) {
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe('UNAUTHORIZED');
      expect((error as TRPCError).message).toBe('Incorrect email or password.');
    }
    expect(cookies).toEqual([]);
  });

  it('rejects malformed input with field errors before touching the database', async () => {
    const caller = callerFor(db.services, null);
    const error = (await caller.auth.signIn({ email: 'not-an-email', password: '' }).catch((e: unknown) => e)) as TRPCError;
    expect(error.code).toBe('BAD_REQUEST');
  });

  it('sign-out deletes the session row and clears the cookie', async () => {
    const { session, token } = await signedInUser(db.services);
    const { caller, cookies } = callerWithCookies(db.services, session);
    await caller.auth.signOut();
    expect(cookies[0]).toContain('Max-Age=0');
    expect(await resolveSession(db.orm, token, db.services.env)).toBeNull();
  });

  it('an expired session resolves to nobody, and protected procedures answer 401', async () => {
    const { session, token } = await signedInUser(db.services);
    await db.orm.em.fork().nativeUpdate(Session, { id: session.sessionId }, { expiresAt: new Date(Date.now() - 1000) });
    expect(await resolveSession(db.orm, token, db.services.env)).toBeNull();
    const error = (await callerFor(db.services, null).catalog.list().catch((e: unknown) => e)) as TRPCError;
    expect(error.code).toBe('UNAUTHORIZED');
  });

  it('ignores a cookie whose signature does not match', () => {
    expect(readSessionToken(`${SESSION_COOKIE}=abc.def`, db.services.env)).toBeNull();
    expect(readSessionToken(`${SESSION_COOKIE}=abc`, db.services.env)).toBeNull();
    expect(readSessionToken(undefined, db.services.env)).toBeNull();
  });
});
