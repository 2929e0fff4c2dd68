import { LockMode, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { Session, Tenant, User } from '../../db/entities/index.js';
import { USER_ROLES } from '../../db/entities/user.js';
import { hashPassword } from './password.js';
import { normalizeEmail } from './sessions.js';

export const tenantInput = z.object({
  slug: z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be 1-63 lower-case letters, digits or inner hyphens'),
  name: z.string().trim().min(1, 'must not be empty').max(200),
});

const tenantRef = z.string().min(1, 'must name a tenant by slug or id');
const email = z.email('must be an email address').max(320);
const password = z.string().min(12, 'must be at least 12 characters').max(1024);

export const userInput = z.object({
  tenant: tenantRef,
  email,
  password,
  role: z.enum(USER_ROLES),
});

/** `tenant`, when given, must be the user's: a guard against acting on a namesake elsewhere. */
export const userRoleInput = z.object({ tenant: tenantRef.optional(), email, role: z.enum(USER_ROLES) });
export const userPasswordInput = z.object({ email, password });

export class AccountError extends Error {
  override readonly name = 'AccountError';
}

export async function createTenant(em: EntityManager, input: z.input<typeof tenantInput>): Promise<Tenant> {
  const data = tenantInput.parse(input);
  const tenant = em.create(Tenant, data);
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw new AccountError(`A tenant with slug "${data.slug}" already exists.`);
    }
    throw error;
  }
  return tenant;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findTenant(em: EntityManager, slugOrId: string): Promise<Tenant | null> {
  return em.findOne(Tenant, UUID.test(slugOrId) ? { id: slugOrId } : { slug: slugOrId });
}

export async function createUser(em: EntityManager, input: z.input<typeof userInput>): Promise<User> {
  const data = userInput.parse(input);
  const tenant = await findTenant(em, data.tenant);
  if (!tenant) throw new AccountError(`No tenant "${data.tenant}".`);
  const user = em.create(User, {
    tenant,
    email: normalizeEmail(data.email),
    passwordHash: await hashPassword(data.password),
    role: data.role,
  });
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw new AccountError(`A user with email "${normalizeEmail(data.email)}" already exists.`);
    }
    throw error;
  }
  return user;
}

export interface AccountChange {
  user: User;
  /** False when the user already had that role: nothing written, no session revoked. */
  changed: boolean;
  revokedSessions: number;
}

/** The user by email (and tenant when given), locked until the transaction ends. */
async function lockUser(em: EntityManager, email: string, tenantRef?: string): Promise<User> {
  const normalized = normalizeEmail(email);
  const user = await em.findOne(User, { email: normalized }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (tenantRef !== undefined) {
    const tenant = await findTenant(em, tenantRef);
    if (!tenant) throw new AccountError(`No tenant "${tenantRef}".`);
    if (user && user.tenant.id !== tenant.id) throw new AccountError(`No user "${normalized}" in tenant "${tenant.slug}".`);
  }
  if (!user) throw new AccountError(`No user "${normalized}".`);
  return user;
}

/**
 * Changes a user's role and signs them out everywhere, in one transaction: a session opened
 * under the old role must not keep its old powers (or lose them only half way).
 */
export async function setUserRole(em: EntityManager, input: z.input<typeof userRoleInput>): Promise<AccountChange> {
  const data = userRoleInput.parse(input);
  return em.transactional(async (tx) => {
    const user = await lockUser(tx, data.email, data.tenant);
    if (user.role === data.role) return { user, changed: false, revokedSessions: 0 };
    user.role = data.role;
    await tx.flush();
    const revokedSessions = await tx.nativeDelete(Session, { user: user.id });
    return { user, changed: true, revokedSessions };
  });
}

/**
 * Sets a user's password and signs them out everywhere, in one transaction: whoever knew the
 * old password (the reason to change it, often) loses the sessions it opened.
 */
export async function setUserPassword(em: EntityManager, input: z.input<typeof userPasswordInput>): Promise<AccountChange> {
  const data = userPasswordInput.parse(input);
  const passwordHash = await hashPassword(data.password); // outside the transaction: scrypt is slow
  return em.transactional(async (tx) => {
    const user = await lockUser(tx, data.email);
    user.passwordHash = passwordHash;
    await tx.flush();
    const revokedSessions = await tx.nativeDelete(Session, { user: user.id });
    return { user, changed: true, revokedSessions };
  });
}
