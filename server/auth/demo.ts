import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { User } from '../../db/entities/index.js';
import { createTenant, createUser } from './accounts.js';

export const DEMO_EMAIL = 'admin@demo.plugboard.test';

export interface DemoCredentials {
  email: string;
  password: string;
  file: string;
}

/**
 * First start of a development database with no users: create a demo tenant and admin so a
 * newcomer can sign in at once. The caller guarantees this never runs in production.
 */
export async function seedDemoIfEmpty(em: EntityManager, dataDir: string): Promise<DemoCredentials | null> {
  if ((await em.count(User, {})) > 0) return null;
  const password = randomBytes(12).toString('base64url');
  await createTenant(em, { slug: 'demo', name: 'Demo Company' });
  await createUser(em, { tenant: 'demo', email: DEMO_EMAIL, password, role: 'admin' });
  const file = path.resolve(dataDir, 'demo-credentials.txt');
  writeFileSync(file, `email: ${DEMO_EMAIL}\npassword: ${password}\n`, { mode: 0o600 });
  return { email: DEMO_EMAIL, password, file };
}
