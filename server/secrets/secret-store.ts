import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConfigValue } from '../../db/entities/index.js';
import type { Orm } from '../../db/orm.js';
import {
  configKeys,
  findKey,
  type ConfigKey,
  type ConnectorId,
  type NonSensitiveKey,
  type SensitiveKey,
} from '../connectors/registry.js';
import type { Logger } from '../logger.js';
import { readOrCreateDevSecret, type RuntimeEnv } from '../runtime-env.js';
import type { SecretBackend } from './backend.js';
import { LocalSecretBackend, parseMasterKey, parsePreviousKeys } from './local-backend.js';
import { SecretValue } from './secret-value.js';
import { SsmSecretBackend } from './ssm-backend.js';

export class UnknownConfigKeyError extends Error {
  override readonly name = 'UnknownConfigKeyError';
  constructor(readonly key: string) {
    super(`Configuration key "${key}" is not declared by any connector definition`);
  }
}

/**
 * Pass a transactional EntityManager so non-sensitive writes commit or roll back with the
 * caller's other changes. Sensitive writes go to the secret backend, outside any transaction.
 */
export interface UnitOfWork {
  em?: EntityManager;
}

export type KeyLocation = 'secret_backend' | 'config_values';

/** What describe() reports for one declared key. Never the value. */
export interface KeyDescription {
  key: ConfigKey;
  connector: ConnectorId;
  sensitive: boolean;
  description: string;
  /** Which store holds it, and where exactly (SSM name, local row, config table). */
  store: KeyLocation;
  location: string;
  /** SecureString for sensitive keys, String otherwise (SSM's vocabulary). */
  type: 'SecureString' | 'String';
  present: boolean;
  version: number | null;
  lastModified: Date | null;
}

/**
 * The one place connector code stores configuration. Sensitive keys (declared so by their
 * connector) go to the secret backend, everything else to `config_values`; callers never
 * know which. The overloads make a plaintext secret visible in every signature it crosses:
 * sensitive keys take and return `SecretValue`, non-sensitive ones plain strings.
 */
export class SecretStore {
  constructor(
    private readonly orm: Orm,
    readonly backend: SecretBackend,
  ) {}

  save(tenantId: string, key: SensitiveKey, value: SecretValue): Promise<void>;
  save(tenantId: string, key: NonSensitiveKey, value: string, options?: UnitOfWork): Promise<void>;
  async save(tenantId: string, key: ConfigKey, value: SecretValue | string, options?: UnitOfWork): Promise<void> {
    const entry = this.#entry(key);
    if (entry.sensitive) {
      if (!(value instanceof SecretValue)) throw new TypeError(`${key} is sensitive: pass a SecretValue`);
      await this.backend.put(tenantId, key, value);
      return;
    }
    if (typeof value !== 'string') throw new TypeError(`${key} is not sensitive: pass a string`);
    await this.#em(options).upsert(
      ConfigValue,
      { id: crypto.randomUUID(), tenant: tenantId, key, value, createdAt: new Date(), updatedAt: new Date() },
      { onConflictFields: ['tenant', 'key'], onConflictMergeFields: ['value', 'updatedAt'] },
    );
  }

  get(tenantId: string, key: SensitiveKey): Promise<SecretValue | null>;
  get(tenantId: string, key: NonSensitiveKey): Promise<string | null>;
  async get(tenantId: string, key: ConfigKey): Promise<SecretValue | string | null> {
    const entry = this.#entry(key);
    if (entry.sensitive) return this.backend.get(tenantId, key);
    const row = await this.#em().findOne(ConfigValue, { tenant: tenantId, key });
    return row?.value ?? null;
  }

  /** Idempotent: absent keys are fine. Sensitive and non-sensitive keys may be mixed. */
  async delete(tenantId: string, keys: readonly ConfigKey[], options?: UnitOfWork): Promise<void> {
    const entries = keys.map((k) => this.#entry(k));
    const sensitive = entries.filter((e) => e.sensitive).map((e) => e.key);
    const plain = entries.filter((e) => !e.sensitive).map((e) => e.key);
    if (plain.length) await this.#em(options).nativeDelete(ConfigValue, { tenant: tenantId, key: { $in: plain } });
    if (sensitive.length) await this.backend.delete(tenantId, sensitive);
  }

  /** For each declared key (optionally of one connector): where it lives and whether it is set. */
  async describe(tenantId: string, connector?: ConnectorId): Promise<KeyDescription[]> {
    const declared = configKeys.filter((k) => !connector || k.connector === connector);
    const sensitive = declared.filter((k) => k.sensitive).map((k) => k.key);
    const plain = declared.filter((k) => !k.sensitive).map((k) => k.key);
    const [backendMeta, rows] = await Promise.all([
      this.backend.describe(tenantId, sensitive),
      plain.length ? this.#em().find(ConfigValue, { tenant: tenantId, key: { $in: plain } }) : Promise.resolve([]),
    ]);
    const plainRows = new Map(rows.map((r) => [r.key, r]));
    return declared.map((k): KeyDescription => {
      if (k.sensitive) {
        const meta = backendMeta.get(k.key);
        return {
          ...k,
          store: 'secret_backend',
          location: this.backend.locate(tenantId, k.key),
          type: 'SecureString',
          present: Boolean(meta),
          version: meta?.version ?? null,
          lastModified: meta?.lastModified ?? null,
        };
      }
      const row = plainRows.get(k.key);
      return {
        ...k,
        store: 'config_values',
        location: `postgres:config_values/${tenantId}/${k.key}`,
        type: 'String',
        present: Boolean(row),
        version: null, // config_values keeps no history
        lastModified: row?.updatedAt ?? null,
      };
    });
  }

  /**
   * A grant's own token, under `<CONNECTOR>_GRANT_<id>` (see grantSecretKey): held from the
   * moment the provider issued it until the provider confirms its revocation. These keys are
   * not declared by connectors; only the grant ledger (server/connections/grants.ts) uses them.
   */
  async saveGrantToken(tenantId: string, secretKey: string, value: SecretValue): Promise<void> {
    await this.backend.put(tenantId, checkGrantKey(secretKey), value);
  }

  getGrantToken(tenantId: string, secretKey: string): Promise<SecretValue | null> {
    return this.backend.get(tenantId, checkGrantKey(secretKey));
  }

  /** Deletes the grant's access token and its refresh token, if it had one. */
  async deleteGrantToken(tenantId: string, secretKey: string): Promise<void> {
    await this.backend.delete(tenantId, [checkGrantKey(secretKey), grantRefreshKey(secretKey)]);
  }

  #entry(key: string) {
    const entry = findKey(key);
    if (!entry) throw new UnknownConfigKeyError(key);
    return entry;
  }

  #em(options?: UnitOfWork): EntityManager {
    return options?.em ?? this.orm.em.fork();
  }
}

const GRANT_KEY = /^[A-Z][A-Z0-9_]{0,62}_GRANT_[0-9A-F]{32}(_REFRESH)?$/;

/** The secret-backend key of one grant: `INTERCOM_GRANT_<32 hex>`, `GOOGLE_DRIVE_GRANT_...`. */
export function grantSecretKey(connector: string, grantId: string): string {
  const prefix = connector.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  return checkGrantKey(`${prefix}_GRANT_${grantId.replace(/-/g, '').toUpperCase()}`);
}

/** Where a grant's refresh token lives, beside its access token: `<grant key>_REFRESH`. */
export function grantRefreshKey(grantKey: string): string {
  return checkGrantKey(`${grantKey}_REFRESH`);
}

function checkGrantKey(key: string): string {
  if (!GRANT_KEY.test(key)) throw new UnknownConfigKeyError(key);
  return key;
}

/**
 * The backend the environment asks for. Fails closed: `ssm` never falls back to local, and a
 * local backend without a master key in production has already stopped the start (env.ts).
 */
export function createSecretBackend(env: RuntimeEnv, orm: Orm, logger: Logger): SecretBackend {
  const backend = env.SECRETS_BACKEND ?? (env.NODE_ENV === 'production' ? undefined : 'local');
  if (backend === 'ssm') {
    return new SsmSecretBackend({ prefix: env.SSM_PARAMETER_PREFIX, kmsKeyId: env.SSM_KMS_KEY_ID, logger });
  }
  if (backend === 'local') {
    const current = env.SECRETS_MASTER_KEY
      ? parseMasterKey(env.SECRETS_MASTER_KEY, env.SECRETS_MASTER_KEY_VERSION)
      : parseMasterKey(
          readOrCreateDevSecret(env, 'secrets-master-key', () => randomBytes(32).toString('base64')),
          env.SECRETS_MASTER_KEY_VERSION,
          `The development master key in ${path.join(env.DATA_DIR, 'secrets-master-key')}`,
        );
    const previous = parsePreviousKeys(env.SECRETS_PREVIOUS_MASTER_KEYS, env.SECRETS_MASTER_KEY_VERSION);
    // The keys are checked against the database by verifyKeys(), which boot awaits before serving.
    return new LocalSecretBackend({ orm, current, previous });
  }
  throw new Error('SECRETS_BACKEND must be set to ssm or local');
}
