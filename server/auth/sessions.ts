import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Session, type Tenant, User } from '../../db/entities/index.js';
import type { UserRole } from '../../db/entities/user.js';
import { leanExecute, leanQuery, type LeanStatement } from '../../db/lean.js';
import type { Orm } from '../../db/orm.js';
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

const SESSION_BY_TOKEN: LeanStatement = {
  name: 'session_by_token',
  text: `select s.id as session_id, s.last_seen_at, u.id as user_id, u.email, u.role, t.id as tenant_id, t.slug, t.name
           from sessions s
           join users u on u.id = s.user_id
           join tenants t on t.id = s.tenant_id
          where s.token_hash = $1 and s.expires_at > $2 and s.last_seen_at > $3`,
};

const MARK_SEEN: LeanStatement = {
  name: 'session_mark_seen',
  text: 'update sessions set last_seen_at = $2 where id = $1 and last_seen_at < $3',
};

interface SessionRow {
  session_id: string;
  last_seen_at: Date;
  user_id: string;
  email: string;
  role: UserRole;
  tenant_id: string;
  slug: string;
  name: string;
}

/**
 * The live session for a token: null when unknown, expired, unused for longer than
 * SESSION_IDLE_HOURS (both checked in the one query), or revoked (row deleted). Every request
 * asks, so it is one plain-row query for session, user and tenant (db/lean.ts). A session last
 * seen more than LAST_SEEN_REFRESH_MS ago is marked seen by a conditional UPDATE, so concurrent
 * requests write at most once and most requests not at all.
 */
export async function resolveSession(
  orm: Orm,
  token: string,
  policy: Pick<Env, 'SESSION_IDLE_HOURS'>,
): Promise<SessionUser | null> {
  const now = new Date();
  const idleSince = new Date(now.getTime() - policy.SESSION_IDLE_HOURS * 3600_000);
  const [row] = await leanQuery<SessionRow>(orm, SESSION_BY_TOKEN, [hashToken(token), now, idleSince]);
  if (!row) return null;
  const staleBefore = new Date(now.getTime() - LAST_SEEN_REFRESH_MS);
  if (row.last_seen_at < staleBefore) await leanExecute(orm, MARK_SEEN, [row.session_id, now, staleBefore]);
  return {
    sessionId: row.session_id,
    userId: row.user_id,
    email: row.email,
    role: row.role,
    tenantId: row.tenant_id,
    tenantSlug: row.slug,
    tenantName: row.name,
  };
}

export async function revokeSession(em: EntityManager, sessionId: string): Promise<void> {
  await em.nativeDelete(Session, { id: sessionId });
}
