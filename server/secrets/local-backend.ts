import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import type { Orm } from '../../db/orm.js';
import { SecretBackendError, type SecretBackend, type StoredSecretMeta } from './backend.js';
import { SecretValue } from './secret-value.js';

/** A master key and the version recorded on the rows it encrypts. */
export interface MasterKey {
  version: number;
  key: Buffer;
}

export interface LocalBackendOptions {
  orm: Orm;
  /** Encrypts new writes. */
  current: MasterKey;
  /** Older keys still able to decrypt rows written before a rotation. */
  previous?: readonly MasterKey[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KEY = /^[A-Z][A-Z0-9_]{0,127}$/;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const MAX_VALUE_BYTES = 4096; // the same ceiling as SSM's standard tier, so both backends agree

/**
 * Sensitive values in Postgres, for machines without AWS: AES-256-GCM with a fresh random
 * nonce per write and `tenantId/key` as associated data, so a row copied to another tenant
 * or key fails authentication instead of decrypting. See docs/decisions/004-secret-store.md.
 */
export class LocalSecretBackend implements SecretBackend {
  readonly kind = 'local' as const;
  readonly #orm: Orm;
  readonly #current: MasterKey;
  readonly #keys: Map<number, Buffer>;

  constructor(options: LocalBackendOptions) {
    for (const k of [options.current, ...(options.previous ?? [])]) {
      if (k.key.length !== 32) throw new SecretBackendError('A master key must be 32 bytes', 'configure', null);
      if (!Number.isInteger(k.version) || k.version < 1) {
        throw new SecretBackendError('A master key version must be a positive integer', 'configure', null);
      }
    }
    this.#orm = options.orm;
    this.#current = options.current;
    this.#keys = new Map([...(options.previous ?? []), options.current].map((k) => [k.version, k.key]));
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
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#current.key, nonce);
    cipher.setAAD(associatedData(tenantId, key));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
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
    try {
      const decipher = createDecipheriv('aes-256-gcm', masterKey, row.nonce);
      decipher.setAAD(associatedData(tenantId, key));
      decipher.setAuthTag(row.ciphertext.subarray(row.ciphertext.length - TAG_BYTES));
      const plaintext = Buffer.concat([
        decipher.update(row.ciphertext.subarray(0, row.ciphertext.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return new SecretValue(plaintext.toString('utf8'));
    } catch {
      // Fail closed: a wrong master key, a tampered row, or a row moved to another tenant/key.
      throw new SecretBackendError(
        `Cannot decrypt ${location}: authentication failed (wrong SECRETS_MASTER_KEY, or the row was altered or moved)`,
        'get',
        location,
      );
    }
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

function associatedData(tenantId: string, key: string): Buffer {
  return Buffer.from(`plugboard:v1:${tenantId}/${key}`, 'utf8');
}

/** `SECRETS_MASTER_KEY` is 32 bytes, base64. */
export function parseMasterKey(base64: string, version: number): MasterKey {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new Error('SECRETS_MASTER_KEY must be 32 bytes, base64-encoded');
  return { version, key };
}

/** `SECRETS_PREVIOUS_MASTER_KEYS`: `version:base64` pairs separated by commas. */
export function parsePreviousKeys(value: string | undefined): MasterKey[] {
  if (!value) return [];
  return value.split(',').map((entry) => {
    const [version, base64] = entry.trim().split(':');
    return parseMasterKey(base64 ?? '', Number(version));
  });
}
