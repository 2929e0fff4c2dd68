/**
 * An in-process stand-in for AWS Systems Manager Parameter Store, on loopback.
 *
 * It speaks the wire protocol the real service speaks (AWS JSON 1.1: `POST /`, header
 * `x-amz-target: AmazonSSM.<Operation>`, errors as HTTP 400 `{"__type": ..., "message": ...}`), so
 * tests drive the real `@aws-sdk/client-ssm` end to end: serialisation, error mapping to the SDK's
 * exception classes, timestamps, and our own retry loop over real sockets. It does not verify
 * signatures; it records whether one was sent.
 *
 * Its validation is written independently of `server/secrets/ssm-backend.ts` on purpose: a shared
 * validator would let one bug hide in both places. Behaviour follows the SSM API reference
 * (the doc comments in `@aws-sdk/client-ssm`'s models) and STACK.md's "AWS SSM Parameter Store
 * facts"; where the service's exact behaviour is not documented the endpoint picks the stricter
 * reading and says so in a comment.
 *
 * Faults: errors, throttling, resets and late application (`delayNext`) here; late answers to
 * applied requests and random latency in ./ssm-timing.ts. `hooks.onReceive` and `hooks.onApplied`
 * let a test act at the exact moment a request arrives or changes the store.
 *
 * Run it by hand: `npx tsx test/support/ssm-endpoint.ts --port 4583`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createTimingFaults, type TimingFaults } from './ssm-timing.js';

export type { LatencyRange, TimingFaults } from './ssm-timing.js';

export type SsmParameterType = 'String' | 'StringList' | 'SecureString';
export type SsmParameterTier = 'Standard' | 'Advanced';

/** One stored parameter, as the endpoint keeps it. `value` is the plaintext. */
export interface StoredParameter {
  readonly name: string;
  readonly type: SsmParameterType;
  readonly value: string;
  readonly version: number;
  /** The KMS key a SecureString is "encrypted" with; `alias/aws/ssm` when none was named. */
  readonly keyId: string | undefined;
  readonly tier: SsmParameterTier;
  readonly dataType: string;
  readonly lastModified: Date;
}

/** One request as received, in arrival order. Bodies are kept verbatim (they may hold secrets). */
export interface RecordedRequest {
  /** `PutParameter`, `GetParameter`, ...; '' when the target header was missing or not SSM's. */
  readonly operation: string;
  readonly body: Record<string, unknown> | null;
  /** Whether an `authorization` header was present (the endpoint never checks the signature). */
  readonly signed: boolean;
  /** Set when an injected fault answered this request instead of the store. */
  readonly fault: FaultKind | undefined;
  /** HTTP status sent; 0 when the connection was reset instead. */
  status: number;
}

export type FaultKind = 'throttle' | 'error' | 'reset' | 'delay' | 'late';

export interface ErrorFault {
  status: 400 | 429 | 500 | 502 | 503 | 504;
  /** `__type` of the error body; defaults to `InternalServerError` (5xx) or `ValidationException`. */
  type?: string;
  /**
   * Error message; a function receives the parsed request body, which lets a test imitate AWS
   * validation messages that echo the input back (and prove the caller never repeats them).
   */
  message?: string | ((body: Record<string, unknown> | null) => string);
}

export interface SsmFaults extends TimingFaults {
  /** The next `count` matching requests get HTTP 400 `ThrottlingException: Rate exceeded`. */
  throttleNext(count: number, operation?: string): void;
  /** The next `count` matching requests get the given error. */
  failNext(count: number, fault: ErrorFault, operation?: string): void;
  /** Every matching request gets the given error until `clear()`. */
  failAlways(fault: ErrorFault, operation?: string): void;
  /** The next `count` matching requests have their connection destroyed without an answer. */
  resetNext(count: number, operation?: string): void;
  /** The next `count` matching requests are answered normally, but only after `ms` milliseconds. */
  delayNext(count: number, ms: number, operation?: string): void;
  /** Drops every pending fault, latency included. */
  clear(): void;
}

/** A request as it arrives, before any fault or the store sees it. Bodies may hold secrets. */
export interface ReceivedRequest {
  readonly operation: string;
  readonly body: Record<string, unknown> | null;
}

/**
 * Hooks a test sets while the endpoint runs (reset() clears them). `onReceive` may return a
 * promise: the request waits for it, which lets a test hold one request while others go on.
 * `onApplied` runs right after the store executed a request, before its answer is sent: with
 * `lateAnswerNext` that is the moment to kill a client that must never see the answer.
 */
export interface SsmHooks {
  onReceive?: (request: ReceivedRequest) => void | Promise<void>;
  onApplied?: (request: RecordedRequest) => void;
}

export interface SsmEndpointOptions {
  port?: number;
  host?: string;
  /** Used in ARNs and in the name-length rule, which counts the ARN prefix. */
  region?: string;
  accountId?: string;
  /** Clock for `LastModifiedDate`; lets a test pin timestamps. */
  now?: () => Date;
  /** Called after each request is answered (the standalone mode prints a line per request). */
  onRequest?: (request: RecordedRequest) => void;
}

export interface SsmEndpoint {
  /** Base URL for the SDK's `endpoint` option or `AWS_ENDPOINT_URL_SSM`, e.g. `http://127.0.0.1:43123`. */
  readonly url: string;
  readonly region: string;
  readonly requests: readonly RecordedRequest[];
  /** A snapshot of the store, keyed by parameter name. */
  readonly parameters: ReadonlyMap<string, StoredParameter>;
  readonly faults: SsmFaults;
  readonly hooks: SsmHooks;
  /** Requests for one operation, in arrival order. */
  requestsFor(operation: string): RecordedRequest[];
  /** Forgets every parameter, recorded request and fault. */
  reset(): void;
  close(): Promise<void>;
}

const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'AmazonSSM.';
const MAX_BODY_BYTES = 1024 * 1024;
/** 1011 characters counting the ARN prefix; see `PutParameterRequest.Name` in the SDK's models. */
const MAX_ARN_LENGTH = 1011;
const MAX_LEVELS = 15;
const MAX_VALUE_BYTES: Record<SsmParameterTier, number> = { Standard: 4096, Advanced: 8192 };
const DEFAULT_KMS_KEY = 'alias/aws/ssm';
const NAME_SEGMENT = /^[a-zA-Z0-9_.-]+$/;
const PARAMETER_TYPES: readonly string[] = ['String', 'StringList', 'SecureString'];
const NAME_RULES_MESSAGE =
  'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist ' +
  'of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the ' +
  'following 3 symbols .-_';

/** An error the endpoint answers with, in SSM's shape. */
class SsmServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const validation = (message: string): SsmServiceError => new SsmServiceError('ValidationException', message);

interface ParameterRecord extends StoredParameter {
  /** What a read without decryption returns for a SecureString, as real SSM returns ciphertext. */
  readonly ciphertext: string;
}

interface FaultRule {
  kind: FaultKind;
  remaining: number;
  operation: string | undefined;
  error?: ErrorFault;
  delayMs?: number;
}

type Body = Record<string, unknown>;
type Handler = (body: Body) => unknown;

export async function startSsmEndpoint(opts: SsmEndpointOptions = {}): Promise<SsmEndpoint> {
  const host = opts.host ?? '127.0.0.1';
  const region = opts.region ?? 'us-east-1';
  const accountId = opts.accountId ?? '123456789012';
  const now = opts.now ?? (() => new Date());
  const arnPrefix = `arn:aws:ssm:${region}:${accountId}:parameter`;

  const store = new Map<string, ParameterRecord>();
  const requests: RecordedRequest[] = [];
  let rules: FaultRule[] = [];
  const timing = createTimingFaults();
  const hooks: SsmHooks = {};
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();

  // ---- names, values, fields -------------------------------------------------------------------

  const arnOf = (name: string): string => `${arnPrefix}/${name.replace(/^\//, '')}`;

  /**
   * SSM's naming rules. Reads skip the reserved-prefix rule, since public parameters live under
   * `/aws/service/...`; a read of such a name here simply finds nothing.
   */
  function checkName(raw: unknown, field: string, purpose: 'write' | 'read'): string {
    if (typeof raw !== 'string') {
      throw validation(`1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
    }
    // "The service removes any spaces specified for the beginning or end of a parameter name."
    const name = raw.trim();
    if (name === '') {
      throw validation(`1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length greater than or equal to 1`);
    }
    if (name.includes(':')) {
      throw validation(`Parameter name ${name}: version and label selectors are not supported by this test endpoint`);
    }
    const resource = name.startsWith('/') ? name.slice(1) : name;
    const segments = resource.split('/');
    // A hierarchical name must be fully qualified (leading slash) and have no empty level.
    const wellFormed =
      (name.startsWith('/') || !name.includes('/')) && segments.every((segment) => NAME_SEGMENT.test(segment));
    const reserved = purpose === 'write' && /^(aws|ssm)/i.test(resource);
    if (!wellFormed || reserved) throw validation(NAME_RULES_MESSAGE);
    if (segments.length > MAX_LEVELS) {
      throw new SsmServiceError(
        'HierarchyLevelLimitExceededException',
        `A hierarchy can have a maximum of ${MAX_LEVELS} levels. Parameter name ${name} has ${segments.length}.`,
      );
    }
    if (arnOf(name).length > MAX_ARN_LENGTH) {
      throw validation(
        `Parameter name ${name} is too long: its ARN would be ${arnOf(name).length} characters, ` +
          `the maximum is ${MAX_ARN_LENGTH} including the ARN prefix.`,
      );
    }
    return name;
  }

  function checkPath(raw: unknown): string {
    if (typeof raw !== 'string' || !raw.startsWith('/')) {
      throw validation(`The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash "/".`);
    }
    const path = raw.length > 1 ? raw.replace(/\/$/, '') : raw;
    if (path === '/') return path;
    const segments = path.slice(1).split('/');
    if (!segments.every((segment) => NAME_SEGMENT.test(segment))) throw validation(NAME_RULES_MESSAGE);
    if (segments.length > MAX_LEVELS) {
      throw new SsmServiceError('HierarchyLevelLimitExceededException', `A hierarchy can have a maximum of ${MAX_LEVELS} levels.`);
    }
    return path;
  }

  function optionalBoolean(body: Body, field: string): boolean | undefined {
    const value = body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw new SsmServiceError('SerializationException', `${field} must be a boolean`);
    return value;
  }

  function optionalString(body: Body, field: string): string | undefined {
    const value = body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw new SsmServiceError('SerializationException', `${field} must be a string`);
    return value;
  }

  function maxResults(body: Body, limit: number, fallback: number): number {
    const value = body.MaxResults;
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > limit) {
      throw validation(
        `1 validation error detected: Value '${JSON.stringify(value)}' at 'maxResults' failed to satisfy constraint: ` +
          `Member must have value less than or equal to ${limit}`,
      );
    }
    return value;
  }

  function nameList(body: Body, field: string): string[] {
    const value = body[field];
    if (!Array.isArray(value) || value.length < 1 || value.length > 10) {
      const length = Array.isArray(value) ? value.length : 0;
      throw validation(
        `1 validation error detected: Value at '${field.toLowerCase()}' failed to satisfy constraint: ` +
          `Member must have length ${length < 1 ? 'greater than or equal to 1' : 'less than or equal to 10'}`,
      );
    }
    // Each name once, in request order: the service answers a duplicate only once too.
    return [...new Set(value.map((name) => checkName(name, field.toLowerCase(), 'read')))];
  }

  function rejectFilters(body: Body, ...fields: string[]): void {
    for (const field of fields) {
      const value = body[field];
      if (Array.isArray(value) ? value.length > 0 : value !== undefined && value !== null) {
        throw validation(`${field} is not supported by this test endpoint`);
      }
    }
  }

  // Paging tokens are opaque to callers; binding them to the query catches a token reused for a
  // different query, which the real service also refuses.
  function encodeToken(query: string, offset: number): string {
    return Buffer.from(JSON.stringify({ query, offset }), 'utf8').toString('base64url');
  }

  function decodeToken(token: string | undefined, query: string): number {
    if (token === undefined) return 0;
    try {
      const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
      if (
        typeof parsed === 'object' &&
        parsed !== null &&
        'query' in parsed &&
        'offset' in parsed &&
        parsed.query === query &&
        typeof parsed.offset === 'number' &&
        Number.isInteger(parsed.offset) &&
        parsed.offset >= 0
      ) {
        return parsed.offset;
      }
    } catch {
      // fall through to the service's error
    }
    throw new SsmServiceError('InvalidNextToken', "The specified token isn't valid.");
  }

  function page<T>(items: T[], offset: number, size: number, query: string): { items: T[]; nextToken?: string } {
    const end = offset + size;
    return end < items.length
      ? { items: items.slice(offset, end), nextToken: encodeToken(query, end) }
      : { items: items.slice(offset) };
  }

  // ---- shapes on the wire ----------------------------------------------------------------------

  const epochSeconds = (date: Date): number => date.getTime() / 1000;

  function parameterShape(record: ParameterRecord, withDecryption: boolean): Body {
    return {
      Name: record.name,
      Type: record.type,
      // Without decryption real SSM hands back the KMS ciphertext of a SecureString, never plaintext.
      Value: record.type === 'SecureString' && !withDecryption ? record.ciphertext : record.value,
      Version: record.version,
      LastModifiedDate: epochSeconds(record.lastModified),
      ARN: arnOf(record.name),
      DataType: record.dataType,
    };
  }

  function metadataShape(record: ParameterRecord): Body {
    return {
      Name: record.name,
      ARN: arnOf(record.name),
      Type: record.type,
      ...(record.keyId === undefined ? {} : { KeyId: record.keyId }),
      LastModifiedDate: epochSeconds(record.lastModified),
      LastModifiedUser: `arn:aws:iam::${accountId}:user/test`,
      Version: record.version,
      Tier: record.tier,
      Policies: [],
      DataType: record.dataType,
    };
  }

  const byName = (a: ParameterRecord, b: ParameterRecord): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

  // ---- operations ------------------------------------------------------------------------------

  const operations: Record<string, Handler> = {
    PutParameter(body) {
      const name = checkName(body.Name, 'name', 'write');
      const value = body.Value;
      if (typeof value !== 'string' || value === '') {
        throw validation(`1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1`);
      }
      const existing = store.get(name);
      const overwrite = optionalBoolean(body, 'Overwrite') === true;
      if (existing && !overwrite) {
        throw new SsmServiceError(
          'ParameterAlreadyExists',
          'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
        );
      }

      const requestedType = optionalString(body, 'Type');
      if (requestedType !== undefined && !PARAMETER_TYPES.includes(requestedType)) {
        throw validation(
          `1 validation error detected: Value '${requestedType}' at 'type' failed to satisfy constraint: ` +
            'Member must satisfy enum value set: [SecureString, StringList, String]',
        );
      }
      // "Specifying a parameter type isn't required when updating a parameter. You must specify a
      // parameter type when creating a parameter." (PutParameterRequest.Type)
      const type = (requestedType ?? existing?.type) as SsmParameterType | undefined;
      if (type === undefined) throw validation('A parameter type is required when you create a parameter.');

      const keyId = optionalString(body, 'KeyId');
      if (keyId !== undefined && type !== 'SecureString') {
        throw validation('KeyId is required for SecureString type parameter only.');
      }

      const requestedTier = optionalString(body, 'Tier') ?? 'Standard';
      if (!['Standard', 'Advanced', 'Intelligent-Tiering'].includes(requestedTier)) {
        throw validation(`Tier ${requestedTier} is not valid.`);
      }
      const valueBytes = Buffer.byteLength(value, 'utf8');
      // Intelligent-Tiering picks Advanced only when the value needs it.
      const tier: SsmParameterTier =
        requestedTier === 'Advanced' || (requestedTier === 'Intelligent-Tiering' && valueBytes > MAX_VALUE_BYTES.Standard)
          ? 'Advanced'
          : 'Standard';
      if (valueBytes > MAX_VALUE_BYTES[tier]) {
        throw validation(
          tier === 'Standard'
            ? 'Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger ' +
                'parameter value, upgrade the parameter to use the advanced-parameter tier.'
            : 'Advanced tier parameters support a maximum parameter value of 8192 characters.',
        );
      }

      const record: ParameterRecord = {
        name,
        type,
        value,
        version: (existing?.version ?? 0) + 1,
        keyId: type === 'SecureString' ? (keyId ?? DEFAULT_KMS_KEY) : undefined,
        tier,
        dataType: optionalString(body, 'DataType') ?? existing?.dataType ?? 'text',
        lastModified: now(),
        ciphertext: `AQICAH${randomBytes(96).toString('base64')}`,
      };
      store.set(name, record);
      return { Version: record.version, Tier: record.tier };
    },

    GetParameter(body) {
      const name = checkName(body.Name, 'name', 'read');
      const record = store.get(name);
      if (!record) throw new SsmServiceError('ParameterNotFound', `Parameter ${name} not found.`);
      return { Parameter: parameterShape(record, optionalBoolean(body, 'WithDecryption') === true) };
    },

    GetParameters(body) {
      const names = nameList(body, 'Names');
      const withDecryption = optionalBoolean(body, 'WithDecryption') === true;
      const found: Body[] = [];
      const invalid: string[] = [];
      for (const name of names) {
        const record = store.get(name);
        if (record) found.push(parameterShape(record, withDecryption));
        else invalid.push(name);
      }
      return { Parameters: found, InvalidParameters: invalid };
    },

    GetParametersByPath(body) {
      const path = checkPath(body.Path);
      rejectFilters(body, 'ParameterFilters');
      const recursive = optionalBoolean(body, 'Recursive') === true;
      const withDecryption = optionalBoolean(body, 'WithDecryption') === true;
      const size = maxResults(body, 10, 10);
      const base = path === '/' ? '/' : `${path}/`;
      const matches = [...store.values()]
        .filter((record) => {
          if (!record.name.startsWith(base)) return false;
          const rest = record.name.slice(base.length);
          return rest !== '' && (recursive || !rest.includes('/'));
        })
        .sort(byName);
      const query = `path:${path}:${String(recursive)}`;
      const result = page(matches, decodeToken(optionalString(body, 'NextToken'), query), size, query);
      return {
        Parameters: result.items.map((record) => parameterShape(record, withDecryption)),
        ...(result.nextToken === undefined ? {} : { NextToken: result.nextToken }),
      };
    },

    DescribeParameters(body) {
      rejectFilters(body, 'Filters', 'ParameterFilters');
      const size = maxResults(body, 50, 10);
      const all = [...store.values()].sort(byName);
      const query = 'describe';
      const result = page(all, decodeToken(optionalString(body, 'NextToken'), query), size, query);
      return {
        Parameters: result.items.map(metadataShape),
        ...(result.nextToken === undefined ? {} : { NextToken: result.nextToken }),
      };
    },

    DeleteParameter(body) {
      const name = checkName(body.Name, 'name', 'read');
      if (!store.delete(name)) throw new SsmServiceError('ParameterNotFound', `Parameter ${name} not found.`);
      return {};
    },

    DeleteParameters(body) {
      const names = nameList(body, 'Names');
      const deleted: string[] = [];
      const invalid: string[] = [];
      for (const name of names) (store.delete(name) ? deleted : invalid).push(name);
      return { DeletedParameters: deleted, InvalidParameters: invalid };
    },
  };

  // ---- faults ----------------------------------------------------------------------------------

  function addRule(rule: FaultRule): void {
    if (!(rule.remaining > 0)) throw new RangeError('A fault needs a positive count');
    rules.push(rule);
  }

  const faults: SsmFaults = {
    throttleNext(count, operation) {
      addRule({ kind: 'throttle', remaining: count, operation });
    },
    failNext(count, error, operation) {
      addRule({ kind: 'error', remaining: count, operation, error });
    },
    failAlways(error, operation) {
      addRule({ kind: 'error', remaining: Number.POSITIVE_INFINITY, operation, error });
    },
    resetNext(count, operation) {
      addRule({ kind: 'reset', remaining: count, operation });
    },
    delayNext(count, ms, operation) {
      addRule({ kind: 'delay', remaining: count, operation, delayMs: ms });
    },
    ...timing.api,
    clear: () => {
      rules = [];
      timing.clear();
    },
  };

  /** The first pending rule for this operation, consumed by one. Rules apply in the order added. */
  function takeFault(operation: string): FaultRule | undefined {
    const rule = rules.find((r) => r.remaining > 0 && (r.operation === undefined || r.operation === operation));
    if (!rule) return undefined;
    rule.remaining -= 1;
    rules = rules.filter((r) => r.remaining > 0);
    return rule;
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  function send(res: ServerResponse, record: RecordedRequest, status: number, payload: unknown): void {
    record.status = status;
    if (res.destroyed) return;
    const text = JSON.stringify(payload);
    res.writeHead(status, {
      'content-type': JSON_CONTENT_TYPE,
      'content-length': Buffer.byteLength(text),
      'x-amzn-RequestId': randomUUID(),
    });
    res.end(text);
  }

  function sendError(res: ServerResponse, record: RecordedRequest, error: SsmServiceError): void {
    send(res, record, error.status, { __type: error.type, message: error.message });
  }

  function readBody(req: IncomingMessage): Promise<Buffer> {
    return new Promise((resolveBody, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          reject(new SsmServiceError('SerializationException', 'Request body too large', 413));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        resolveBody(Buffer.concat(chunks));
      });
      req.on('error', reject);
    });
  }

  function parseBody(raw: Buffer): Body {
    if (raw.length === 0) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new SsmServiceError('SerializationException', 'Request body is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new SsmServiceError('SerializationException', 'Request body must be a JSON object');
    }
    return parsed as Body;
  }

  /** Runs the request against the store; the answer is sent by the caller, now or later. */
  function apply(record: RecordedRequest, handler: Handler | undefined, body: Body | null): { status: number; payload: unknown } {
    let result: { status: number; payload: unknown };
    try {
      if (!handler || body === null) {
        throw new SsmServiceError('InvalidAction', `The action ${record.operation || '(none)'} is not valid for this endpoint`);
      }
      result = { status: 200, payload: handler(body) };
    } catch (error) {
      result =
        error instanceof SsmServiceError
          ? { status: error.status, payload: { __type: error.type, message: error.message } }
          : { status: 500, payload: { __type: 'InternalServerError', message: 'Test endpoint failure' } };
    }
    // The status the answer will carry, known before it is sent (onApplied may want it).
    record.status = result.status;
    hooks.onApplied?.(record);
    return result;
  }

  function answer(res: ServerResponse, record: RecordedRequest, handler: Handler | undefined, body: Body | null): void {
    const { status, payload } = apply(record, handler, body);
    send(res, record, status, payload);
  }

  /** A timer that close() and reset() cancel (the request then never gets an answer). */
  function wait(ms: number): Promise<void> {
    return new Promise((resolveWait) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolveWait();
      }, ms);
      timers.add(timer);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    const signed = typeof req.headers.authorization === 'string' && req.headers.authorization !== '';

    let body: Body | null = null;
    let early: SsmServiceError | undefined;
    try {
      const raw = await readBody(req);
      if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== '/') {
        early = new SsmServiceError('UnknownOperationException', 'SSM accepts POST / only', 404);
      } else if (!(req.headers['content-type'] ?? '').startsWith(JSON_CONTENT_TYPE)) {
        early = new SsmServiceError('SerializationException', `Content-Type must be ${JSON_CONTENT_TYPE}`);
      } else {
        body = parseBody(raw);
      }
    } catch (error) {
      early = error instanceof SsmServiceError ? error : new SsmServiceError('SerializationException', 'Unreadable request');
    }

    if (!early && hooks.onReceive) await hooks.onReceive({ operation, body });
    const fault = early ? undefined : takeFault(operation);
    const plan = early || fault ? undefined : timing.plan(operation, body);
    const record: RecordedRequest = {
      operation,
      body,
      signed,
      fault: fault?.kind ?? (plan?.lateAnswerMs === undefined ? undefined : 'late'),
      status: 0,
    };
    requests.push(record);
    const finish = (): void => {
      opts.onRequest?.(record);
    };
    const handler = Object.hasOwn(operations, operation) ? operations[operation] : undefined;

    if (early) {
      sendError(res, record, early);
      finish();
      return;
    }
    switch (fault?.kind) {
      case 'throttle':
        sendError(res, record, new SsmServiceError('ThrottlingException', 'Rate exceeded'));
        break;
      case 'error': {
        const spec = fault.error ?? { status: 500 };
        const type = spec.type ?? (spec.status >= 500 ? 'InternalServerError' : 'ValidationException');
        const message = typeof spec.message === 'function' ? spec.message(body) : (spec.message ?? `Injected ${type}`);
        sendError(res, record, new SsmServiceError(type, message, spec.status));
        break;
      }
      case 'reset':
        // No answer at all: the client sees the socket close (ECONNRESET / "socket hang up").
        req.socket.destroy();
        break;
      case 'delay': {
        // The request takes effect, late: like a real call whose answer arrives after the client
        // gave up, which is what makes retrying writes need to be idempotent.
        const timer = setTimeout(() => {
          timers.delete(timer);
          answer(res, record, handler, body);
          finish();
        }, fault.delayMs ?? 0);
        timers.add(timer);
        return;
      }
      default: {
        if (plan === undefined) {
          answer(res, record, handler, body);
          break;
        }
        if (plan.beforeApplyMs > 0) await wait(plan.beforeApplyMs);
        const result = apply(record, handler, body);
        // Applied now; answered only after the late-answer wait, when one was asked for.
        if (plan.lateAnswerMs !== undefined && plan.lateAnswerMs > 0) await wait(plan.lateAnswerMs);
        send(res, record, result.status, result.payload);
      }
    }
    finish();
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': JSON_CONTENT_TYPE });
        res.end(JSON.stringify({ __type: 'InternalServerError', message: 'Test endpoint failure' }));
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  function clearTimers(): void {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  }

  return {
    url,
    region,
    get requests() {
      return requests;
    },
    get parameters() {
      const snapshot = new Map<string, StoredParameter>();
      for (const [name, r] of store) {
        snapshot.set(
          name,
          Object.freeze({
            name: r.name,
            type: r.type,
            value: r.value,
            version: r.version,
            keyId: r.keyId,
            tier: r.tier,
            dataType: r.dataType,
            lastModified: new Date(r.lastModified),
          }),
        );
      }
      return snapshot;
    },
    faults,
    hooks,
    requestsFor: (operation) => requests.filter((r) => r.operation === operation),
    reset() {
      store.clear();
      requests.length = 0;
      rules = [];
      timing.clear();
      delete hooks.onReceive;
      delete hooks.onApplied;
      clearTimers();
    },
    async close() {
      clearTimers();
      // The SDK keeps connections alive; without destroying them close() would wait for their idle timeout.
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolveClose, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolveClose();
        });
      });
    },
  };
}

// ---- standalone mode ---------------------------------------------------------------------------

function parseArgs(argv: readonly string[]): { port: number; host: string } {
  let port = 4583;
  let host = '127.0.0.1';
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const [flag, inline] = arg?.startsWith('--') && arg.includes('=') ? arg.split('=', 2) : [arg, undefined];
    const value = (): string => {
      const next = inline ?? argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    if (flag === '--port') {
      port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0..65535');
    } else if (flag === '--host') {
      host = value();
    } else if (flag === '--help' || flag === '-h') {
      console.log('Usage: tsx test/support/ssm-endpoint.ts [--port 4583] [--host 127.0.0.1]');
      process.exit(0);
    } else {
      throw new Error(`Unknown argument ${String(arg)}`);
    }
  }
  return { port, host };
}

async function runStandalone(): Promise<void> {
  const { port, host } = parseArgs(process.argv.slice(2));
  const endpoint = await startSsmEndpoint({
    port,
    host,
    // Names only: request bodies may hold secrets.
    onRequest: (r) => {
      const names = r.body?.Name ?? r.body?.Names ?? r.body?.Path ?? '';
      console.log(`${new Date().toISOString()} ${r.operation || '?'} ${JSON.stringify(names)} -> ${r.status || 'reset'}`);
    },
  });
  console.log(`SSM endpoint listening on ${endpoint.url}`);
  console.log('Export this to point the AWS SDK at it:');
  console.log(
    `export AWS_ENDPOINT_URL_SSM=${endpoint.url} AWS_REGION=${endpoint.region} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test`,
  );
  const stop = (signal: NodeJS.Signals): void => {
    console.log(`${signal}: stopping`);
    endpoint.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) {
  runStandalone().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
