import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Session, type Tenant, User } from '../../db/entities/index.js';
import type { UserRole } from '../../db/entities/user.js';
import type { Env } from '../env.js';
import { timingDummyHash, verifyPassword } from './password.js';

/** Who is signed in. Derived from the session row on every request, never from input. */
export interface SessionUser {
  readonly sessionId: string;
  readonly userId: string;
  readonly email: string;
  readonly role: UserRole;
  readonly tenantId: string;
  readonly tenantSlug: string;
  readonly tenantName: string;
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Checks the credentials and opens a session. Returns null for any failure, after the same
 * amount of hashing work, so neither the answer nor its timing says whether the email exists.
 * `replacesSessionId`: the session the request already carried; it is revoked first, so every
 * sign-in gets a new session id (no fixation).
 */
export async function signIn(
  em: EntityManager,
  input: { email: string; password: string },
  ttlHours: number,
  options: { replacesSessionId?: string } = {},
): Promise<{ token: string; user: SessionUser } | null> {
  const user = await em.findOne(User, { email: normalizeEmail(input.email) }, { populate: ['tenant', 'passwordHash'] });
  const ok = await verifyPassword(input.password, user?.passwordHash ?? (await timingDummyHash()));
  if (!user || !ok) return null;

  if (options.replacesSessionId) await em.nativeDelete(Session, { id: options.replacesSessionId });

  const token = randomBytes(32).toString('base64url');
  const session = em.create(Session, {
    tokenHash: hashToken(token),
    user,
    tenant: user.tenant,
    expiresAt: new Date(Date.now() + ttlHours * 3600_000),
  });
  await em.flush();
  // Opportunistic clean-up keeps the table small without a scheduler.
  await em.nativeDelete(Session, { expiresAt: { $lt: new Date() } });
  return { token, user: toSessionUser(session.id, user, user.tenant.getEntity()) };
}

function toSessionUser(sessionId: string, user: User, tenant: Tenant): SessionUser {
  return {
    sessionId,
    userId: user.id,
    email: user.email,
    role: user.role,
    tenantId: tenant.id,
    tenantSlug: tenant.slug,
    tenantName: tenant.name,
  };
}

/** How often, at most, a session's last_seen_at is written: reads stay reads. */
export const LAST_SEEN_REFRESH_MS = 5 * 60_000;

/**
 * The live session for a token: null when unknown, expired, unused for longer than
 * SESSION_IDLE_HOURS (both checked in the one query), or revoked (row deleted). A session last seen more than
 * LAST_SEEN_REFRESH_MS ago is marked seen by a conditional UPDATE, so concurrent requests
 * write at most once and most requests not at all.
 */
export async function resolveSession(
  em: EntityManager,
  token: string,
  policy: Pick<Env, 'SESSION_IDLE_HOURS'>,
): Promise<SessionUser | null> {
  const now = new Date();
  const session = await em.findOne(
    Session,
    {
      tokenHash: hashToken(token),
      expiresAt: { $gt: now },
      lastSeenAt: { $gt: new Date(now.getTime() - policy.SESSION_IDLE_HOURS * 3600_000) },
    },
    { populate: ['user', 'tenant'] },
  );
  if (!session) return null;
  const staleBefore = new Date(now.getTime() - LAST_SEEN_REFRESH_MS);
  if (session.lastSeenAt < staleBefore) {
    await em.nativeUpdate(Session, { id: session.id, lastSeenAt: { $lt: staleBefore } }, { lastSeenAt: now });
  }
  return toSessionUser(session.id, session.user.getEntity(), session.tenant.getEntity());
}

export async function revokeSession(em: EntityManager, sessionId: string): Promise<void> {
  await em.nativeDelete(Session, { id: sessionId });
}
