/**
 * What the SSM backend keeps of an AWS error (name, status, request id; never the message, which
 * can echo the request) and which errors are worth another attempt.
 */
import { ParameterNotFound } from '@aws-sdk/client-ssm';
import { SecretBackendError } from './backend.js';

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

export function errorInfo(error: unknown): SsmErrorInfo {
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

export function isRetryable(error: unknown, info: SsmErrorInfo): boolean {
  if (THROTTLING_ERRORS.has(info.name) || TRANSIENT_ERRORS.has(info.name)) return true;
  const status = info.httpStatusCode;
  // 5xx covers answers the SDK could not even parse (a proxy's HTML 503 surfaces as a SyntaxError).
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && NETWORK_ERROR_CODES.has(code);
}

export function isParameterNotFound(error: unknown): boolean {
  // The name check covers a second copy of the SDK in node_modules, where instanceof fails.
  return error instanceof ParameterNotFound || (error instanceof Error && error.name === 'ParameterNotFound');
}
