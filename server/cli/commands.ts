import { AccountError, createTenant, createUser, findTenant, setUserPassword, setUserRole } from '../auth/accounts.js';
import type { ConfigKey, NonSensitiveKey, SensitiveKey } from '../connectors/registry.js';
import { listInstallations } from '../installations/service.js';
import { LocalSecretBackend } from '../secrets/local-backend.js';
import type { KeyDescription } from '../secrets/secret-store.js';
import type { AppServices } from '../services.js';
import { checkIntegrityCommand } from './integrity-command.js';
import { PasswordInputError, readPassword } from './password-input.js';
import { serviceKeyCommands } from './service-key-commands.js';
import { table } from './table.js';
import { UsageError, type Command, type CommandIO, type OptionSpec } from './command.js';

export { UsageError, type Command, type CommandIO, type CommandResult } from './command.js';

export function required(values: Record<string, string | boolean | undefined>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`Missing --${name}`);
  return value;
}

/** Account errors (duplicate slug, unknown tenant) are the user's to fix: plain messages. */
async function tenantOf(services: AppServices, values: Record<string, string | boolean | undefined>) {
  const ref = required(values, 'tenant');
  const tenant = await findTenant(services.orm.em.fork(), ref);
  if (!tenant) throw new Error(`No tenant "${ref}".`);
  return tenant;
}

/** `--password` (warned about), `--password-stdin`, or a prompt: see password-input.ts. */
const passwordOptions = { password: { type: 'string' }, 'password-stdin': { type: 'boolean' } } satisfies Record<string, OptionSpec>;
const PASSWORD_USAGE = '[--password-stdin | --password <password>]';

async function readPasswordInput(values: Record<string, string | boolean | undefined>, io: CommandIO) {
  try {
    return { password: await readPassword(values, io) };
  } catch (error) {
    if (error instanceof PasswordInputError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

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
    usage: `--tenant <slug|id> --email <email> --role admin|member ${PASSWORD_USAGE}`,
    options: {
      tenant: { type: 'string' },
      email: { type: 'string' },
      role: { type: 'string' },
      ...passwordOptions,
    },
    readInput: readPasswordInput,
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
  'user:set-role': {
    usage: '--email <email> --role admin|member [--tenant <slug|id>]',
    options: { email: { type: 'string' }, role: { type: 'string' }, tenant: { type: 'string' } },
    async run({ orm }, values) {
      const { user, changed, revokedSessions } = await accountCall(() =>
        setUserRole(orm.em.fork(), {
          tenant: typeof values.tenant === 'string' ? values.tenant : undefined,
          email: required(values, 'email'),
          role: required(values, 'role') as 'admin' | 'member',
        }),
      );
      return {
        text: changed
          ? `${user.email} is now ${user.role}; ${revokedSessions} session(s) signed out.`
          : `${user.email} is already ${user.role}; nothing changed.`,
        json: { id: user.id, email: user.email, role: user.role, changed, revokedSessions },
      };
    },
  },
  'user:set-password': {
    usage: `--email <email> ${PASSWORD_USAGE}`,
    options: { email: { type: 'string' }, ...passwordOptions },
    readInput: readPasswordInput,
    async run({ orm }, values) {
      const { user, revokedSessions } = await accountCall(() =>
        setUserPassword(orm.em.fork(), { email: required(values, 'email'), password: required(values, 'password') }),
      );
      return {
        text: `Password of ${user.email} changed; ${revokedSessions} session(s) signed out.`,
        json: { id: user.id, email: user.email, revokedSessions },
      };
    },
  },
  'check:secrets': {
    usage: '--tenant <slug|id>',
    options: { tenant: { type: 'string' } },
    async run(services, values) {
      const tenant = await tenantOf(services, values);
      const described = await services.secrets.describe(tenant.id);
      const rows = await Promise.all(
        described.map(async (d: KeyDescription) => ({ ...d, masked: d.present ? await maskedValue(services, tenant.id, d) : null })),
      );
      const json = {
        tenant: { id: tenant.id, slug: tenant.slug },
        backend: services.secrets.backend.kind,
        keys: rows.map((r) => ({
          connector: r.connector,
          key: r.key,
          sensitive: r.sensitive,
          store: r.store,
          location: r.location,
          type: r.type,
          present: r.present,
          version: r.version,
          lastModified: r.lastModified?.toISOString() ?? null,
          value: r.masked,
        })),
      };
      const text = table(
        ['CONNECTOR', 'KEY', 'STATUS', 'TYPE', 'VERSION', 'LAST MODIFIED', 'VALUE', 'LOCATION'],
        json.keys.map((k) => [
          k.connector,
          k.key,
          k.present ? 'present' : 'MISSING',
          k.type,
          k.version === null ? '-' : String(k.version),
          k.lastModified ?? '-',
          k.value ?? '-',
          k.location,
        ]),
      );
      return { text: `Tenant ${tenant.slug} (${tenant.id}), secret backend: ${json.backend}\n\n${text}`, json };
    },
  },
  'check:installations': {
    usage: '--tenant <slug|id>',
    options: { tenant: { type: 'string' } },
    async run(services, values) {
      const tenant = await tenantOf(services, values);
      const installations = await listInstallations(services.orm.em.fork(), tenant.id);
      const rows = installations
        .sort((a, b) => a.type.localeCompare(b.type))
        .map((i) => ({
          id: i.id,
          type: i.type,
          status: i.status,
          workspaceId: i.externalAccountId ?? null,
          workspaceName: i.externalAccountName ?? null,
          installedBy: i.installedBy?.getEntity().email ?? null,
          createdAt: i.createdAt.toISOString(),
          updatedAt: i.updatedAt.toISOString(),
          disconnectedAt: i.disconnectedAt?.toISOString() ?? null,
          disconnectedBy: i.disconnectedBy?.getEntity().email ?? null,
        }));
      const text = rows.length
        ? table(
            ['TYPE', 'STATUS', 'WORKSPACE', 'INSTALLED BY', 'CREATED', 'UPDATED', 'DISCONNECTED'],
            rows.map((r) => [
              r.type,
              r.status,
              r.workspaceName ? `${r.workspaceName} (${r.workspaceId})` : '-',
              r.installedBy ?? '-',
              r.createdAt,
              r.updatedAt,
              r.disconnectedAt ? `${r.disconnectedAt} by ${r.disconnectedBy ?? 'unknown'}` : '-',
            ]),
          )
        : 'No installations.';
      return {
        text: `Tenant ${tenant.slug} (${tenant.id})\n\n${text}`,
        json: { tenant: { id: tenant.id, slug: tenant.slug }, installations: rows },
      };
    },
  },
  'check:integrity': checkIntegrityCommand,
  ...serviceKeyCommands,
  'secrets:reencrypt': {
    usage: '[--batch-size <rows>]',
    options: { 'batch-size': { type: 'string', default: '200' } },
    async run(services, values) {
      const batchSize = Number(values['batch-size']);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
        throw new UsageError('--batch-size must be an integer from 1 to 10000');
      }
      const backend = services.secrets.backend;
      if (!(backend instanceof LocalSecretBackend)) {
        return {
          text: `Nothing to do: the ${backend.kind} backend's values are encrypted by AWS KMS, not by SECRETS_MASTER_KEY.`,
          json: { backend: backend.kind, nothingToDo: true },
        };
      }
      const report = await backend.reencrypt({ batchSize });
      const lines = [
        `Re-encrypting secret_values under master key version ${report.keyVersion}`,
        '',
        table(
          ['ROWS', 'COUNT'],
          [
            ['total', String(report.total)],
            ['re-encrypted', String(report.reencrypted)],
            ['already current', String(report.alreadyCurrent)],
            ['failed', String(report.failed)],
            ['changed while running', String(report.changed)],
          ],
        ),
      ];
      if (report.failures.length) {
        lines.push('', 'Could not decrypt:', ...report.failures.map((f) => `  tenant ${f.tenantId} key ${f.key}: ${f.reason}`));
      }
      if (report.remaining) {
        lines.push(
          '',
          `${report.remaining} row(s) are still under an older master key (the failed ones, or rows written meanwhile by a ` +
            'process still using the old key): keep the older keys configured, fix, and run again.',
        );
      } else {
        lines.push('', `Every row is under version ${report.keyVersion}; older keys can leave SECRETS_PREVIOUS_MASTER_KEYS.`);
      }
      return { text: lines.join('\n'), json: { backend: backend.kind, ...report }, exitCode: report.failed || report.remaining ? 1 : 0 };
    },
  },
};

/** Sensitive values masked to their first and last two characters at most; others whole. */
async function maskedValue(services: AppServices, tenantId: string, d: KeyDescription): Promise<string | null> {
  if (d.sensitive) return (await services.secrets.get(tenantId, d.key as SensitiveKey))?.masked() ?? null;
  return services.secrets.get(tenantId, d.key as Exclude<ConfigKey, SensitiveKey> as NonSensitiveKey);
}
