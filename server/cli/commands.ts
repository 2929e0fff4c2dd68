import { AccountError, createTenant, createUser } from '../auth/accounts.js';
import type { AppServices } from '../services.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type OptionSpec = { type: 'string' | 'boolean'; default?: string | boolean };

export interface CommandResult {
  text: string;
  json: unknown;
}

export interface Command {
  usage: string;
  options: Record<string, OptionSpec>;
  run(services: AppServices, values: Record<string, string | boolean | undefined>): Promise<CommandResult>;
}

export function required(values: Record<string, string | boolean | undefined>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`Missing --${name}`);
  return value;
}

/** Account errors (duplicate slug, unknown tenant) are the user's to fix: plain messages. */
async function accountCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof AccountError) throw new Error(error.message, { cause: error });
    throw error;
  }
}

export const commands: Record<string, Command> = {
  'tenant:create': {
    usage: '--slug <slug> --name <name>',
    options: { slug: { type: 'string' }, name: { type: 'string' } },
    async run({ orm }, values) {
      const tenant = await accountCall(() =>
        createTenant(orm.em.fork(), { slug: required(values, 'slug'), name: required(values, 'name') }),
      );
      return { text: tenant.id, json: { id: tenant.id, slug: tenant.slug, name: tenant.name } };
    },
  },
  'user:create': {
    usage: '--tenant <slug|id> --email <email> --password <password> --role admin|member',
    options: {
      tenant: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      role: { type: 'string' },
    },
    async run({ orm }, values) {
      const user = await accountCall(() =>
        createUser(orm.em.fork(), {
          tenant: required(values, 'tenant'),
          email: required(values, 'email'),
          password: required(values, 'password'),
          role: required(values, 'role') as 'admin' | 'member',
        }),
      );
      return {
        text: `Created ${user.role} ${user.email} (${user.id})`,
        json: { id: user.id, email: user.email, role: user.role, tenantId: user.tenant.id },
      };
    },
  },
};
