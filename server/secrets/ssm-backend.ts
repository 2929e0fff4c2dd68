import {
  DeleteParametersCommand,
  GetParameterCommand,
  GetParametersCommand,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { SecretBackendError, type SecretBackend, type StoredSecretMeta } from './backend.js';
import { SecretValue } from './secret-value.js';

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

/** What the backend keeps of an AWS error: no message, no request or response payloads. */
export interface SsmErrorInfo {
  /** Exception name (`ThrottlingException`), or a Node network code (`ECONNRESET`). */
  name: string;
  httpStatusCode: number | undefined;
  requestId: string | undefined;
  /** A message from `SAFE_LOCAL_MESSAGES`, kept because it is fixed SDK text; otherwise undefined. */
  detail: string | undefined;
}

/** A failed SSM call. `aws` describes the last AWS error; null when the call was refused before any I/O. */
export class SsmSecretBackendError extends SecretBackendError {
  constructor(
    message: string,
    operation: string,
    location: string | null,
    readonly aws: SsmErrorInfo | null,
    readonly attempts: number,
  ) {
    super(message, operation, location);
  }
}

const TENANT_ID = /^[a-zA-Z0-9_.-]+$/;
const KEY = /^[A-Z][A-Z0-9_]*$/;
const NAME_SEGMENT = /^[a-zA-Z0-9_.-]+$/;
/** SSM refuses names whose first level starts with these, case-insensitively. */
const RESERVED_FIRST_LEVEL = /^(aws|ssm)/i;
const MAX_LEVELS = 15;
const MAX_ARN_LENGTH = 1011;
/**
 * Room kept for `arn:<partition>:ssm:<region>:<account>:parameter`, which counts toward the 1,011.
 * The longest today is 57 characters (`aws-us-gov` or `aws-iso-f` partition, a 15-character region);
 * 64 leaves margin for new regions. `us-east-1` in the `aws` partition needs 44.
 */
export const ARN_PREFIX_RESERVE = 64;
export const SSM_MAX_NAME_LENGTH = MAX_ARN_LENGTH - ARN_PREFIX_RESERVE;
export const SSM_MAX_VALUE_BYTES = 4096;
/** SSM's limit for the `Names` of GetParameters and DeleteParameters. */
const BATCH_SIZE = 10;
/** Levels this backend adds below the prefix: tenant, `api-key`, key. */
const OWN_LEVELS = 3;

const THROTTLING_ERRORS = new Set([
  'ThrottlingException',
  'ThrottledException',
  'Throttling',
  'TooManyUpdates',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
]);
const TRANSIENT_ERRORS = new Set([
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  // What the SDK's Node handler throws when `connectionTimeout` or `requestTimeout` is exceeded.
  'TimeoutError',
]);
/** Connection failures worth another try. ENOTFOUND is left out: a wrong endpoint will not heal. */
const NETWORK_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Configuration failures the SDK raises as a bare `Error` before any request is sent. Their fixed
 * text is the only useful part, so these exact messages are kept; any other message is dropped.
 */
const SAFE_LOCAL_MESSAGES = new Set(['Region is missing', 'Could not load credentials from any providers']);

type NameCheck = { ok: true; name: string } | { ok: false; problem: string };

/** Quotes untrusted input for a message, short enough to keep a log line readable. */
function quote(input: string): string {
  return JSON.stringify(input.length > 64 ? `${input.slice(0, 64)}…` : input);
}

function normalisePrefix(prefix: string): NameCheck {
  const trimmed = prefix.trim().replace(/\/+$/, '');
  if (trimmed === '') return { ok: true, name: '' };
  const normalised = trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
  const levels = normalised.slice(1).split('/');
  if (!levels.every((level) => NAME_SEGMENT.test(level))) {
    return { ok: false, problem: `SSM prefix ${quote(prefix)} must be levels of a-zA-Z0-9_.- separated by "/"` };
  }
  if (RESERVED_FIRST_LEVEL.test(levels[0] ?? '')) {
    return { ok: false, problem: `SSM prefix ${quote(prefix)} must not start with "aws" or "ssm" (reserved by SSM)` };
  }
  if (levels.length + OWN_LEVELS > MAX_LEVELS) {
    return {
      ok: false,
      problem: `SSM prefix ${quote(prefix)} has ${levels.length} levels; at most ${MAX_LEVELS - OWN_LEVELS} leave room for tenant/api-key/KEY`,
    };
  }
  return { ok: true, name: normalised };
}

/** `normalisedPrefix` must come from `normalisePrefix`. */
function buildName(normalisedPrefix: string, tenantId: string, key: string): NameCheck {
  if (typeof tenantId !== 'string' || !TENANT_ID.test(tenantId) || tenantId === '.' || tenantId === '..') {
    return { ok: false, problem: `invalid tenant id ${quote(tenantId)}: must match ${TENANT_ID.source}` };
  }
  if (typeof key !== 'string' || !KEY.test(key)) {
    return { ok: false, problem: `invalid secret key ${quote(key)}: must match ${KEY.source}` };
  }
  if (normalisedPrefix === '' && RESERVED_FIRST_LEVEL.test(tenantId)) {
    // Without a prefix the tenant id is the first level, where SSM reserves these.
    return { ok: false, problem: `tenant id ${quote(tenantId)} cannot start a parameter name: SSM reserves "aws" and "ssm"` };
  }
  const name = `${normalisedPrefix}/${tenantId}/api-key/${key}`;
  if (name.length > SSM_MAX_NAME_LENGTH) {
    return {
      ok: false,
      problem:
        `parameter name for tenant ${quote(tenantId)} and key ${quote(key)} is ${name.length} characters; ` +
        `at most ${SSM_MAX_NAME_LENGTH} (SSM allows ${MAX_ARN_LENGTH} including the ARN prefix)`,
    };
  }
  return { ok: true, name };
}

/**
 * The SSM parameter name for a tenant's key: `${prefix}/${tenantId}/api-key/${key}`, the prefix
 * normalised (leading `/`, no trailing `/`). Throws a SecretBackendError when SSM would refuse it.
 */
export function ssmParameterName(prefix: string, tenantId: string, key: string): string {
  const normalised = normalisePrefix(prefix);
  if (!normalised.ok) throw new SsmSecretBackendError(normalised.problem, 'configure', null, null, 0);
  const built = buildName(normalised.name, tenantId, key);
  if (!built.ok) throw new SsmSecretBackendError(`SSM parameter name refused: ${built.problem}`, 'name', null, null, 0);
  return built.name;
}

function errorInfo(error: unknown): SsmErrorInfo {
  const info: SsmErrorInfo = { name: 'UnknownError', httpStatusCode: undefined, requestId: undefined, detail: undefined };
  if (typeof error !== 'object' || error === null) return info;
  const { name, code, message, $metadata } = error as { name?: unknown; code?: unknown; message?: unknown; $metadata?: unknown };
  if (typeof message === 'string' && SAFE_LOCAL_MESSAGES.has(message)) info.detail = message;
  // For connection failures the Node code says more than the name: the SDK's Node handler renames
  // ECONNRESET, EPIPE and ETIMEDOUT errors to `TimeoutError`, and others stay a bare `Error`.
  const label = typeof code === 'string' && /^E[A-Z_]+$/.test(code) ? code : name;
  // The name comes off the wire (`__type`): keep it only if it looks like an identifier.
  if (typeof label === 'string' && /^[A-Za-z][A-Za-z0-9_.:#-]{0,99}$/.test(label)) info.name = label;
  if (typeof $metadata === 'object' && $metadata !== null) {
    const { httpStatusCode, requestId } = $metadata as { httpStatusCode?: unknown; requestId?: unknown };
    if (typeof httpStatusCode === 'number') info.httpStatusCode = httpStatusCode;
    if (typeof requestId === 'string') info.requestId = requestId;
  }
  return info;
}

function isRetryable(error: unknown, info: SsmErrorInfo): boolean {
  if (THROTTLING_ERRORS.has(info.name) || TRANSIENT_ERRORS.has(info.name)) return true;
  const status = info.httpStatusCode;
  // 5xx covers answers the SDK could not even parse (a proxy's HTML 503 surfaces as a SyntaxError).
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && NETWORK_ERROR_CODES.has(code);
}

function isParameterNotFound(error: unknown): boolean {
  // The name check covers a second copy of the SDK in node_modules, where instanceof fails.
  return error instanceof ParameterNotFound || (error instanceof Error && error.name === 'ParameterNotFound');
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
          throw new SsmSecretBackendError(
            `SSM ${operation} failed for ${target.description}: ${info.name}${detail} (${why})`,
            operation,
            target.location,
            info,
            attempt,
          );
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
