import { randomUUID } from 'node:crypto';
import type { Orm } from '../../db/orm.js';
import { SecretBackendError, type SecretBackend, type StoredSecretMeta } from './backend.js';
import { verifyMasterKeys } from './key-checks.js';
import { open, seal, secretAssociatedData } from './local-crypto.js';
import { decodeMasterKey, decodePreviousKeys, MASTER_KEY_BYTES, type MasterKey } from './master-key.js';
import { reencryptSecrets, type ReencryptReport } from './reencrypt.js';
import { SecretValue } from './secret-value.js';

export type { MasterKey } from './master-key.js';
export type { ReencryptReport } from './reencrypt.js';

export interface LocalBackendOptions {
  orm: Orm;
  /** Encrypts new writes. */
  current: MasterKey;
  /** Older keys still able to decrypt rows written before a rotation. */
  previous?: readonly MasterKey[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KEY = /^[A-Z][A-Z0-9_]{0,127}$/;
const MAX_VALUE_BYTES = 4096; // the same ceiling as SSM's standard tier, so both backends agree

/**
 * Sensitive values in Postgres, for machines without AWS: AES-256-GCM with a fresh random
 * nonce per write and `tenantId/key` as associated data, so a row copied to another tenant
 * or key fails authentication instead of decrypting. See docs/decisions/004-secret-store.md,
 * and 007-master-key-rotation.md for key checks and re-encryption.
 */
export class LocalSecretBackend implements SecretBackend {
  readonly kind = 'local' as const;
  readonly #orm: Orm;
  readonly #current: MasterKey;
  readonly #previous: readonly MasterKey[];
  readonly #keys: Map<number, Buffer>;

  constructor(options: LocalBackendOptions) {
    for (const k of [options.current, ...(options.previous ?? [])]) {
      if (k.key.length !== MASTER_KEY_BYTES) throw new SecretBackendError('A master key must be 32 bytes', 'configure', null);
      if (k.key.every((byte) => byte === 0)) throw new SecretBackendError('A master key must not be all zero bytes', 'configure', null);
      if (!Number.isInteger(k.version) || k.version < 1) {
        throw new SecretBackendError('A master key version must be a positive integer', 'configure', null);
      }
    }
    const versions = [options.current, ...(options.previous ?? [])].map((k) => k.version);
    if (new Set(versions).size !== versions.length) {
      throw new SecretBackendError('Each master key needs its own version', 'configure', null);
    }
    this.#orm = options.orm;
    this.#current = options.current;
    this.#previous = options.previous ?? [];
    this.#keys = new Map([...(options.previous ?? []), options.current].map((k) => [k.version, k.key]));
  }

  /**
   * Refuses (SecretBackendError, operation 'configure') unless every configured key is the one
   * its version was first used with and every stored row's version has a key; records the key
   * check value on a version's first use. Call once at start, before serving (server/boot.ts).
   */
  async verifyKeys(): Promise<void> {
    await verifyMasterKeys(this.#orm, this.#current, this.#previous);
  }

  /** Moves every row written under an older master key to the current one (`secrets:reencrypt`). */
  async reencrypt(options: { batchSize?: number } = {}): Promise<ReencryptReport> {
    try {
      return await reencryptSecrets(this.#orm, this.#current, this.#keys, options);
    } catch (error) {
      throw new SecretBackendError(
        `Re-encryption failed: ${(error as { code?: string }).code ?? 'database error'}`,
        'reencrypt',
        null,
      );
    }
  }

  locate(tenantId: string, key: string): string {
    return `local:secret_values/${tenantId}/${key}`;
  }

  async put(tenantId: string, key: string, value: SecretValue): Promise<void> {
    this.#validate('put', tenantId, key);
    const plaintext = Buffer.from(value.reveal(), 'utf8');
    if (plaintext.length > MAX_VALUE_BYTES) {
      throw new SecretBackendError(
        `Value for ${this.locate(tenantId, key)} is ${plaintext.length} bytes; the limit is ${MAX_VALUE_BYTES}`,
        'put',
        this.locate(tenantId, key),
      );
    }
    const { nonce, ciphertext } = seal(this.#current.key, plaintext, secretAssociatedData(tenantId, key));
    plaintext.fill(0);
    await this.#run('put', tenantId, key, (c) =>
      c.execute(
        `insert into secret_values (id, created_at, updated_at, tenant_id, key, ciphertext, nonce, key_version, version)
         values (?, now(), now(), ?, ?, ?, ?, ?, 1)
         on conflict (tenant_id, key) do update set
           ciphertext = excluded.ciphertext, nonce = excluded.nonce, key_version = excluded.key_version,
           version = secret_values.version + 1, updated_at = now()`,
        [randomUUID(), tenantId, key, ciphertext, nonce, this.#current.version],
      ),
    );
  }

  async get(tenantId: string, key: string): Promise<SecretValue | null> {
    this.#validate('get', tenantId, key);
    const rows = (await this.#run('get', tenantId, key, (c) =>
      c.execute('select ciphertext, nonce, key_version from secret_values where tenant_id = ? and key = ?', [tenantId, key]),
    )) as { ciphertext: Buffer; nonce: Buffer; key_version: number }[];
    const row = rows[0];
    if (!row) return null;
    const masterKey = this.#keys.get(row.key_version);
    const location = this.locate(tenantId, key);
    if (!masterKey) {
      throw new SecretBackendError(
        `Cannot decrypt ${location}: it was written with master key version ${row.key_version}, which is not configured`,
        'get',
        location,
      );
    }
    const plaintext = open(masterKey, row, secretAssociatedData(tenantId, key));
    if (!plaintext) {
      // Fail closed: a wrong master key, a tampered row, or a row moved to another tenant/key.
      throw new SecretBackendError(
        `Cannot decrypt ${location}: authentication failed (wrong SECRETS_MASTER_KEY, or the row was altered or moved)`,
        'get',
        location,
      );
    }
    const value = new SecretValue(plaintext.toString('utf8'));
    plaintext.fill(0);
    return value;
  }

  async delete(tenantId: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    for (const key of keys) this.#validate('delete', tenantId, key);
    await this.#run('delete', tenantId, keys.join(','), (c) =>
      c.execute('delete from secret_values where tenant_id = ? and key in (?)', [tenantId, [...keys]]),
    );
  }

  async describe(tenantId: string, keys: readonly string[]): Promise<Map<string, StoredSecretMeta>> {
    const found = new Map<string, StoredSecretMeta>();
    if (keys.length === 0) return found;
    for (const key of keys) this.#validate('describe', tenantId, key);
    const rows = (await this.#run('describe', tenantId, keys.join(','), (c) =>
      c.execute('select key, version, updated_at from secret_values where tenant_id = ? and key in (?)', [
        tenantId,
        [...keys],
      ]),
    )) as { key: string; version: number; updated_at: Date }[];
    for (const row of rows) found.set(row.key, { version: row.version, lastModified: new Date(row.updated_at) });
    return found;
  }

  #validate(operation: string, tenantId: string, key: string): void {
    if (!UUID.test(tenantId)) throw new SecretBackendError(`Invalid tenant id for ${operation}`, operation, null);
    if (!KEY.test(key)) throw new SecretBackendError(`Invalid key name for ${operation}: ${key}`, operation, null);
  }

  async #run<T>(
    operation: string,
    tenantId: string,
    key: string,
    fn: (connection: ReturnType<Orm['em']['getConnection']>) => Promise<T>,
  ): Promise<T> {
    try {
      return await fn(this.#orm.em.fork().getConnection());
    } catch (error) {
      // The driver's message can quote parameters (ciphertext only, but keep messages uniform).
      throw new SecretBackendError(
        `Local secret ${operation} failed for ${this.locate(tenantId, key)}: ${(error as { code?: string }).code ?? 'database error'}`,
        operation,
        this.locate(tenantId, key),
      );
    }
  }
}

/**
 * `SECRETS_MASTER_KEY` (or the development key file, named by `source`): strict base64 of 32
 * bytes, not all zero (see master-key.ts). The environment schema has already checked the
 * variable; this is the same check, for every other way a key arrives.
 */
export function parseMasterKey(base64: string, version: number, source = 'SECRETS_MASTER_KEY'): MasterKey {
  const decoded = decodeMasterKey(base64);
  if (!decoded.ok) throw new SecretBackendError(`${source} ${decoded.problem}`, 'configure', null);
  return { version, key: decoded.key };
}

/** `SECRETS_PREVIOUS_MASTER_KEYS`: `version:base64` pairs separated by commas. */
export function parsePreviousKeys(value: string | undefined, currentVersion?: number): MasterKey[] {
  if (!value) return [];
  const decoded = decodePreviousKeys(value, currentVersion);
  if (!decoded.ok) {
    throw new SecretBackendError(`SECRETS_PREVIOUS_MASTER_KEYS: ${decoded.problems.join('; ')}`, 'configure', null);
  }
  return decoded.keys;
}
