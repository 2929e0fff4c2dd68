import {
  DeleteParametersCommand,
  GetParameterCommand,
  GetParametersCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { SecretBackend, StoredSecretMeta } from './backend.js';
import { SecretValue } from './secret-value.js';
import { errorInfo, isParameterNotFound, isRetryable, SsmSecretBackendError } from './ssm-errors.js';
import { BATCH_SIZE, buildName, normalisePrefix, SSM_MAX_VALUE_BYTES } from './ssm-names.js';

export { SsmSecretBackendError, type SsmErrorInfo } from './ssm-errors.js';
export { ARN_PREFIX_RESERVE, SSM_MAX_NAME_LENGTH, SSM_MAX_VALUE_BYTES, ssmParameterName } from './ssm-names.js';

/**
 * Secrets in AWS Systems Manager Parameter Store, one SecureString per tenant and key:
 * `${prefix}/${tenantId}/api-key/${KEY}`.
 *
 * Limits that shape this file (STACK.md, "AWS SSM Parameter Store facts"; SSM API reference):
 * - Reads share 40 TPS per account and region and writes get single digits per second, so throttling
 *   is a normal answer: it is retried here with backoff, and callers should read SSM only when a
 *   token is about to be used.
 * - Names: `a-zA-Z0-9_.-` plus `/` between levels, at most 15 levels, and at most 1,011 characters
 *   *counting the ARN prefix* (`arn:aws:ssm:us-east-2:111122223333:parameter/...`). The ARN prefix
 *   depends on the partition, region and account, which this class does not know, so it reserves
 *   room for the longest one (see `ARN_PREFIX_RESERVE`).
 * - Standard-tier values: at most 4,096 bytes.
 *
 * Nothing here ever puts a value in a log line or an error: failures carry the operation, the
 * parameter name and the AWS error name, never the AWS error message (validation messages can echo
 * the request) and never the raw error object.
 */

/** SSM operations this backend calls, as they appear in error messages and logs. */
export type SsmOperation = 'PutParameter' | 'GetParameter' | 'GetParameters' | 'DeleteParameters';
const WRITE_OPERATIONS: ReadonlySet<SsmOperation> = new Set(['PutParameter', 'DeleteParameters']);

export interface SsmSecretBackendOptions {
  /**
   * An SSM client. When omitted the backend builds one from the standard AWS configuration (region,
   * `AWS_ENDPOINT_URL_SSM`, the default credential chain) with the SDK's own retries switched off.
   * A client passed in should be built with `maxAttempts: 1` too, or its retries multiply with ours.
   */
  client?: SSMClient;
  /** Path the parameters live under, e.g. `/plugboard/prod`. '' (the default) puts tenants at the top. */
  prefix?: string;
  /** Customer-managed KMS key for SecureString; SSM uses the account's `aws/ssm` key when omitted. */
  kmsKeyId?: string;
  logger?: Pick<Logger, 'warn' | 'error'>;
  /** Attempts per SSM call, first one included. Default 4. */
  maxAttempts?: number;
  /** Backoff ceiling for the first retry; doubles each retry up to `maxDelayMs`. Default 100. */
  baseDelayMs?: number;
  /** Cap on the backoff ceiling. Default 5000. */
  maxDelayMs?: number;
  /** Per-request timeout of the client built when `client` is omitted. Default 10000. */
  requestTimeoutMs?: number;
  /** Injected by tests to make backoff instant. */
  sleep?: (ms: number) => Promise<void>;
}


function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function positiveInteger(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new SsmSecretBackendError(`SSM backend option ${field} must be a positive integer`, 'configure', null, null, 0);
  }
  return value;
}

function nonNegative(value: number, field: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new SsmSecretBackendError(`SSM backend option ${field} must be a non-negative number`, 'configure', null, null, 0);
  }
  return value;
}

/** What one SSM call is about, for messages and logs: one parameter, or a batch of them. */
interface CallTarget {
  description: string;
  location: string | null;
  /** Log fields naming the parameter(s). */
  log: { parameter: string } | { parameters: readonly string[] };
}

export class SsmSecretBackend implements SecretBackend {
  readonly kind = 'ssm' as const;
  readonly prefix: string;
  readonly #client: SSMClient;
  readonly #ownsClient: boolean;
  readonly #kmsKeyId: string | undefined;
  readonly #logger: Pick<Logger, 'warn' | 'error'> | undefined;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: SsmSecretBackendOptions = {}) {
    const prefix = normalisePrefix(options.prefix ?? '');
    if (!prefix.ok) throw new SsmSecretBackendError(prefix.problem, 'configure', null, null, 0);
    this.prefix = prefix.name;

    if (options.kmsKeyId !== undefined && options.kmsKeyId.trim() === '') {
      throw new SsmSecretBackendError('SSM backend option kmsKeyId must not be empty when set', 'configure', null, null, 0);
    }
    this.#kmsKeyId = options.kmsKeyId?.trim();
    this.#logger = options.logger;
    this.#maxAttempts = positiveInteger(options.maxAttempts ?? 4, 'maxAttempts');
    this.#baseDelayMs = nonNegative(options.baseDelayMs ?? 100, 'baseDelayMs');
    this.#maxDelayMs = nonNegative(options.maxDelayMs ?? 5000, 'maxDelayMs');
    this.#sleep = options.sleep ?? ((ms) => delay(ms));

    this.#ownsClient = options.client === undefined;
    this.#client =
      options.client ??
      new SSMClient({
        // Region, endpoint (AWS_ENDPOINT_URL_SSM) and credentials come from the standard AWS
        // configuration and the default provider chain. The SDK's own retry strategy is switched
        // off so that the loop in #call is the only one: two nested loops would multiply attempts
        // (4 x 3 = 12 calls against a throttled account) and the SDK's retries are silent.
        maxAttempts: 1,
        requestHandler: {
          connectionTimeout: 3000,
          requestTimeout: positiveInteger(options.requestTimeoutMs ?? 10_000, 'requestTimeoutMs'),
          // Without this the SDK only logs a warning when requestTimeout passes and keeps waiting.
          throwOnRequestTimeout: true,
        },
      });
  }

  /** Throws like the other methods for a tenant id or key SSM would refuse: there is no such location. */
  locate(tenantId: string, key: string): string {
    const built = buildName(this.prefix, tenantId, key);
    if (!built.ok) throw new SsmSecretBackendError(`SSM location refused: ${built.problem}`, 'locate', null, null, 0);
    return `ssm:${built.name}`;
  }

  async put(tenantId: string, key: string, value: SecretValue): Promise<void> {
    const name = this.#name('PutParameter', tenantId, key);
    const plaintext = value.reveal();
    const bytes = Buffer.byteLength(plaintext, 'utf8');
    if (bytes > SSM_MAX_VALUE_BYTES) {
      throw new SsmSecretBackendError(
        `SSM PutParameter refused for ${name}: the value is ${bytes} bytes, the Standard tier allows ${SSM_MAX_VALUE_BYTES}`,
        'PutParameter',
        `ssm:${name}`,
        null,
        0,
      );
    }
    await this.#call('PutParameter', this.#single(name), () =>
      this.#client.send(
        new PutParameterCommand({
          Name: name,
          Value: plaintext,
          Type: 'SecureString',
          // Overwrite in place instead of delete-then-create: after a delete, AWS asks for about
          // 30 s before a parameter of the same name is created again, which would break a
          // reconnect. Overwriting also keeps the version history and makes a retried put harmless.
          Overwrite: true,
          ...(this.#kmsKeyId === undefined ? {} : { KeyId: this.#kmsKeyId }),
          // Standard is free and holds 4 KB; Advanced costs per parameter per month.
          Tier: 'Standard',
        }),
      ),
    );
  }

  async get(tenantId: string, key: string): Promise<SecretValue | null> {
    const name = this.#name('GetParameter', tenantId, key);
    const target = this.#single(name);
    const response = await this.#call(
      'GetParameter',
      target,
      () => this.#client.send(new GetParameterCommand({ Name: name, WithDecryption: true })),
      isParameterNotFound,
    ).catch((error: unknown) => {
      if (isParameterNotFound(error)) return null;
      throw error;
    });
    if (response === null) return null;

    const parameter = response.Parameter;
    if (typeof parameter?.Value !== 'string' || parameter.Value === '') {
      throw this.#malformed('GetParameter', target, 'the answer has no value');
    }
    if (parameter.Type !== 'SecureString') {
      // Someone wrote this name outside the backend: the value is usable but sat unencrypted.
      this.#logger?.warn({ operation: 'GetParameter', parameter: name, type: parameter.Type }, 'SSM secret is not a SecureString');
    }
    return new SecretValue(parameter.Value);
  }

  async delete(tenantId: string, keys: readonly string[]): Promise<void> {
    const names = this.#names('DeleteParameters', tenantId, keys);
    // Batches run one after the other: SSM's write quota is small and shared across the account.
    for (const batch of chunks([...names.values()], BATCH_SIZE)) {
      // Names SSM does not have come back in InvalidParameters; delete is idempotent, so they are fine.
      await this.#call('DeleteParameters', this.#batch(tenantId, batch), () =>
        this.#client.send(new DeleteParametersCommand({ Names: batch })),
      );
    }
  }

  async describe(tenantId: string, keys: readonly string[]): Promise<Map<string, StoredSecretMeta>> {
    const names = this.#names('GetParameters', tenantId, keys);
    const keyOf = new Map([...names].map(([key, name]) => [name, key]));
    const result = new Map<string, StoredSecretMeta>();
    for (const batch of chunks([...names.values()], BATCH_SIZE)) {
      const target = this.#batch(tenantId, batch);
      // No decryption: only metadata is wanted, so no KMS call and no plaintext in memory.
      const response = await this.#call('GetParameters', target, () =>
        this.#client.send(new GetParametersCommand({ Names: batch, WithDecryption: false })),
      );
      for (const parameter of response.Parameters ?? []) {
        const key = parameter.Name === undefined ? undefined : keyOf.get(parameter.Name);
        if (key === undefined) continue;
        const { Version: version, LastModifiedDate: lastModified } = parameter;
        if (typeof version !== 'number' || !(lastModified instanceof Date)) {
          throw this.#malformed('GetParameters', target, `no version or date for ${parameter.Name ?? '?'}`);
        }
        result.set(key, { version, lastModified });
      }
    }
    return result;
  }

  /** Releases the HTTP connections of a client this backend built; a client passed in is left alone. */
  destroy(): void {
    if (this.#ownsClient) this.#client.destroy();
  }

  // ---- names -----------------------------------------------------------------------------------

  #name(operation: SsmOperation, tenantId: string, key: string): string {
    const built = buildName(this.prefix, tenantId, key);
    if (!built.ok) {
      throw new SsmSecretBackendError(`SSM ${operation} refused: ${built.problem}`, operation, null, null, 0);
    }
    return built.name;
  }

  /** key → name, each key once, every key checked before any call. */
  #names(operation: SsmOperation, tenantId: string, keys: readonly string[]): Map<string, string> {
    const names = new Map<string, string>();
    for (const key of keys) if (!names.has(key)) names.set(key, this.#name(operation, tenantId, key));
    return names;
  }

  #single(name: string): CallTarget {
    return { description: name, location: `ssm:${name}`, log: { parameter: name } };
  }

  #batch(tenantId: string, names: readonly string[]): CallTarget {
    const parent = `${this.prefix}/${tenantId}/api-key/`;
    return names.length === 1 && names[0] !== undefined
      ? this.#single(names[0])
      : { description: `${names.length} parameters under ${parent}`, location: `ssm:${parent}`, log: { parameters: names } };
  }

  #malformed(operation: SsmOperation, target: CallTarget, problem: string): SsmSecretBackendError {
    return new SsmSecretBackendError(
      `SSM ${operation} failed for ${target.description}: malformed answer (${problem})`,
      operation,
      target.location,
      null,
      1,
    );
  }

  // ---- calls -----------------------------------------------------------------------------------

  /**
   * Runs one SSM call with retries: throttling, 5xx and connection failures are retried with
   * exponential backoff and full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"),
   * at most `maxAttempts` attempts in all. Every SSM call made here is safe to repeat: reads,
   * deletes that tolerate missing names, and overwrites. `expected` lets a caller take an error as
   * an answer (ParameterNotFound for get): it is rethrown untouched and not logged.
   */
  async #call<T>(
    operation: SsmOperation,
    target: CallTarget,
    send: () => Promise<T>,
    expected?: (error: unknown) => boolean,
  ): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await send();
      } catch (error) {
        if (expected?.(error)) throw error;
        const info = errorInfo(error);
        const retryable = isRetryable(error, info);
        const context = {
          operation,
          ...target.log,
          attempt,
          maxAttempts: this.#maxAttempts,
          error: info.name,
          httpStatusCode: info.httpStatusCode,
          requestId: info.requestId,
        };
        if (!retryable || attempt >= this.#maxAttempts) {
          const why = retryable ? `after ${attempt} attempts` : 'not retryable';
          this.#logger?.error(context, `SSM ${operation} failed`);
          // The AWS message and the error object are left out on purpose: see the file comment.
          const detail = info.detail === undefined ? '' : `: ${info.detail}`;
          const failure = new SsmSecretBackendError(
            `SSM ${operation} failed for ${target.description}: ${info.name}${detail} (${why})`,
            operation,
            target.location,
            info,
            attempt,
          );
          // A transient failure on the last attempt says nothing about whether a write landed.
          failure.outcomeUnknown = retryable && WRITE_OPERATIONS.has(operation);
          throw failure;
        }
        const delayMs = this.#backoff(attempt);
        this.#logger?.warn({ ...context, delayMs }, `SSM ${operation} failed, retrying`);
        await this.#sleep(delayMs);
      }
    }
  }

  /** Full jitter: uniform in [0, min(max, base * 2^(attempt - 1))). */
  #backoff(attempt: number): number {
    const ceiling = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempt - 1));
    return Math.floor(Math.random() * ceiling);
  }
}
