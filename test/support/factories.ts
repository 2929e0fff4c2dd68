import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createTenant, createUser } from '../../server/auth/accounts.js';
import { signIn, type SessionUser } from '../../server/auth/sessions.js';
import { createContextInner } from '../../server/trpc/context.js';
import { createCaller } from '../../server/trpc/router.js';
import type { AppServices } from '../../server/services.js';

export const TEST_PASSWORD = 'correct horse battery staple';

export async function makeTenant(em: EntityManager, slug = `t-${randomBytes(4).toString('hex')}`) {
  return createTenant(em, { slug, name: `Tenant ${slug}` });
}

export async function makeUser(
  em: EntityManager,
  tenantSlug: string,
  role: 'admin' | 'member' = 'admin',
  email = `${role}-${randomBytes(4).toString('hex')}@example.test`,
) {
  return createUser(em, { tenant: tenantSlug, email, password: TEST_PASSWORD, role });
}

/** A tenant with a signed-in user of the given role: the session as the server sees it. */
export async function signedInUser(
  services: AppServices,
  role: 'admin' | 'member' = 'admin',
  tenantSlug?: string,
): Promise<{ session: SessionUser; token: string }> {
  const em = services.orm.em.fork();
  const slug = tenantSlug ?? (await makeTenant(em)).slug;
  const user = await makeUser(em, slug, role);
  const result = await signIn(em, { email: user.email, password: TEST_PASSWORD }, 1);
  if (!result) throw new Error('test sign-in failed');
  return { session: result.user, token: result.token };
}

export function callerFor(services: AppServices, session: SessionUser | null) {
  return callerWithCookies(services, session).caller;
}

/** A server caller plus the Set-Cookie headers its procedures emitted. */
export function callerWithCookies(services: AppServices, session: SessionUser | null) {
  const cookies: string[] = [];
  const caller = createCaller(createContextInner({ services, session, cookies: { set: (c) => cookies.push(c) } }));
  return { caller, cookies };
}
