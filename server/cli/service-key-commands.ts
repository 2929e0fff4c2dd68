import { createServiceKey, listServiceKeys, revokeServiceKey, ServiceKeyError, validateServiceKeyName } from '../auth/service-keys.js';
import { UsageError, type Command } from './command.js';
import { table } from './table.js';

/**
 * `service-key:create|list|revoke`: keys for backend services calling the token API
 * (docs/api.md, "Token API for backend services"). The key is printed once, at creation.
 */
function nameOf(values: Record<string, string | boolean | undefined>): string {
  const name = values.name;
  if (typeof name !== 'string' || name === '') throw new UsageError('Missing --name');
  try {
    return validateServiceKeyName(name);
  } catch (error) {
    if (error instanceof ServiceKeyError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

export const serviceKeyCommands: Record<string, Command> = {
  'service-key:create': {
    usage: '--name <name>',
    options: { name: { type: 'string' } },
    async run({ orm }, values) {
      const created = await createServiceKey(orm.em.fork(), nameOf(values));
      const key = created.key.reveal();
      return {
        text: [
          `Service key "${created.name}" created (prefix ${created.prefix}):`,
          '',
          `  ${key}`,
          '',
          'This is the only time the key is shown: store it in the service\'s secret store now.',
          'Only its hash is kept; a lost key cannot be recovered, only revoked and replaced.',
        ].join('\n'),
        json: { id: created.id, name: created.name, prefix: created.prefix, key, createdAt: created.createdAt.toISOString() },
      };
    },
  },
  'service-key:list': {
    usage: '',
    options: {},
    async run({ orm }) {
      const keys = (await listServiceKeys(orm.em.fork())).map((k) => ({
        id: k.id,
        name: k.name,
        prefix: k.prefix,
        createdAt: k.createdAt.toISOString(),
        lastUsedAt: iso(k.lastUsedAt),
        revokedAt: iso(k.revokedAt),
      }));
      const text = keys.length
        ? table(
            ['NAME', 'PREFIX', 'CREATED', 'LAST USED', 'REVOKED'],
            keys.map((k) => [k.name, k.prefix, k.createdAt, k.lastUsedAt ?? 'never', k.revokedAt ?? '-']),
          )
        : 'No service keys. Create one with: npm run cli -- service-key:create --name <name>';
      return { text, json: { keys } };
    },
  },
  'service-key:revoke': {
    usage: '--name <name>',
    options: { name: { type: 'string' } },
    async run({ orm }, values) {
      const revoked = await revokeServiceKey(orm.em.fork(), nameOf(values));
      return {
        text: revoked.alreadyRevoked
          ? `Service key "${revoked.name}" was already revoked (${iso(revoked.revokedAt)}); nothing changed.`
          : `Service key "${revoked.name}" (${revoked.prefix}) revoked: the token API refuses it from now on.`,
        json: { id: revoked.id, name: revoked.name, prefix: revoked.prefix, revokedAt: iso(revoked.revokedAt), alreadyRevoked: revoked.alreadyRevoked },
      };
    },
  },
};
