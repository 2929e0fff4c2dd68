import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { Tenant, User } from '../../db/entities/index.js';
import { USER_ROLES } from '../../db/entities/user.js';
import { hashPassword } from './password.js';
import { normalizeEmail } from './sessions.js';

export const tenantInput = z.object({
  slug: z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be 1-63 lower-case letters, digits or inner hyphens'),
  name: z.string().trim().min(1, 'must not be empty').max(200),
});

export const userInput = z.object({
  tenant: z.string().min(1, 'must name a tenant by slug or id'),
  email: z.email('must be an email address').max(320),
  password: z.string().min(12, 'must be at least 12 characters').max(1024),
  role: z.enum(USER_ROLES),
});

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
