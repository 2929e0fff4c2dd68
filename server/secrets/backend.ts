import type { SecretValue } from './secret-value.js';

/** Metadata about a stored secret. Never carries the value. */
export interface StoredSecretMeta {
  /** Monotonic version: SSM's parameter version, or the local row's write count. */
  version: number;
  lastModified: Date;
}

/**
 * Where sensitive values live. Implementations: SSM Parameter Store (`ssm-backend.ts`) and
 * an AES-256-GCM table in Postgres (`local-backend.ts`). Keys arriving here are already
 * checked against the key registry by the SecretStore; backends validate their own naming
 * rules before any I/O.
 */
export interface SecretBackend {
  readonly kind: 'ssm' | 'local';
  /** Human-readable location of a key, for describe() and the check:secrets CLI. */
  locate(tenantId: string, key: string): string;
  put(tenantId: string, key: string, value: SecretValue): Promise<void>;
  /** null when absent. */
  get(tenantId: string, key: string): Promise<SecretValue | null>;
  /** Idempotent: missing keys are not an error. */
  delete(tenantId: string, keys: readonly string[]): Promise<void>;
  /** Metadata for the keys that exist; absent keys are missing from the map. */
  describe(tenantId: string, keys: readonly string[]): Promise<Map<string, StoredSecretMeta>>;
  /**
   * Checks the configured keys against what is stored, before the app serves; throws a
   * SecretBackendError with operation 'configure' naming the variable to fix. The local
   * backend implements it; SSM has nothing to check (KMS holds its keys).
   */
  verifyKeys?(): Promise<void>;
}

/**
 * A backend failure. Its message names the operation and the location, never a value.
 * `outcomeUnknown` is true when a write may have been applied although no answer said so (a
 * timeout, a dropped connection, a 5xx after the last retry): the caller must not report
 * "nothing changed", and must read back or leave the repair to the reconciler.
 */
export class SecretBackendError extends Error {
  override readonly name = 'SecretBackendError';
  outcomeUnknown = false;
  constructor(
    message: string,
    readonly operation: string,
    readonly location: string | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when the error is a backend failure after which a write may still have been applied. */
export function isOutcomeUnknown(error: unknown): boolean {
  return error instanceof SecretBackendError && error.outcomeUnknown;
}
