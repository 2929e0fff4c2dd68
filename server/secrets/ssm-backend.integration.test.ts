import { inspect } from 'node:util';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSsmEndpoint, type SsmEndpoint } from '../../test/support/ssm-endpoint.js';
import { SecretBackendError } from './backend.js';
import { SecretValue } from './secret-value.js';
import {
  SSM_MAX_NAME_LENGTH,
  SsmSecretBackend,
  SsmSecretBackendError,
  ssmParameterName,
  type SsmSecretBackendOptions,
} from './ssm-backend.js';

// The SDK warns once per process that it will need Node 22; that is known and noisy here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const TENANT = 'tenant-uuid';
const KEY = 'INTERCOM_ACCESS_TOKEN';
const NAME = `/${TENANT}/api-key/${KEY}`;
/** Distinctive enough that finding it anywhere in logs or errors means it leaked. */
const SECRET = 'dG9rOnNlY3JldC12YWx1ZS1kby1ub3QtbGVhaw==';
const T0 = new Date('2026-03-04T05:06:07.890Z');

let endpoint: SsmEndpoint;
let client: SSMClient;
let clock: Date;
let logs: { level: 'warn' | 'error'; args: unknown[] }[];
let sleeps: number[];
const backends: SsmSecretBackend[] = [];

const logger = {
  warn: (...args: unknown[]) => void logs.push({ level: 'warn', args }),
  error: (...args: unknown[]) => void logs.push({ level: 'error', args }),
};

function backend(options: SsmSecretBackendOptions = {}): SsmSecretBackend {
  const created = new SsmSecretBackend({
    client,
    logger,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...options,
  });
  backends.push(created);
  return created;
}

/** Resolves to the error a promise rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Everything a human or a log pipeline could see of an error. */
function visible(error: unknown): string {
  return `${String(error)}\n${inspect(error, { depth: 10, showHidden: true })}\n${JSON.stringify(error)}`;
}

const keys = (n: number): string[] => Array.from({ length: n }, (_, i) => `KEY_${String(i).padStart(2, '0')}`);

beforeAll(async () => {
  endpoint = await startSsmEndpoint({ now: () => clock });
  client = new SSMClient({
    endpoint: endpoint.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    // As the backend's own client: one request per attempt, so request counts are ours.
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await endpoint.close();
});

beforeEach(() => {
  endpoint.reset();
  clock = T0;
  logs = [];
  sleeps = [];
});

afterEach(() => {
  for (const b of backends.splice(0)) b.destroy();
  vi.unstubAllEnvs();
  // Whatever a test did, the secret must never have reached the logger.
  expect(JSON.stringify(logs)).not.toContain(SECRET);
});

describe('parameter names and PutParameter input', () => {
  it('writes /<tenant>/api-key/<KEY> as an overwriting Standard SecureString without KeyId by default', async () => {
    await backend().put(TENANT, KEY, new SecretValue(SECRET));
    expect(endpoint.requests).toHaveLength(1);
    const [request] = endpoint.requests;
    expect(request?.operation).toBe('PutParameter');
    expect(request?.signed).toBe(true);
    expect(request?.body).toEqual({ Name: NAME, Value: SECRET, Type: 'SecureString', Overwrite: true, Tier: 'Standard' });
    expect(request?.body).not.toHaveProperty('KeyId');
  });

  it('puts the prefix first and names the configured KMS key', async () => {
    const b = backend({ prefix: '/plugboard/prod', kmsKeyId: 'alias/plugboard-secrets' });
    await b.put(TENANT, KEY, new SecretValue(SECRET));
    expect(endpoint.requests[0]?.body).toMatchObject({
      Name: `/plugboard/prod/${TENANT}/api-key/${KEY}`,
      Type: 'SecureString',
      Overwrite: true,
      KeyId: 'alias/plugboard-secrets',
    });
    expect(endpoint.parameters.get(`/plugboard/prod/${TENANT}/api-key/${KEY}`)?.keyId).toBe('alias/plugboard-secrets');
    expect(b.locate(TENANT, KEY)).toBe(`ssm:/plugboard/prod/${TENANT}/api-key/${KEY}`);
  });

  it.each([
    ['', NAME],
    ['/', NAME],
    ['/plugboard/prod', `/plugboard/prod${NAME}`],
    ['plugboard/prod/', `/plugboard/prod${NAME}`],
  ])('normalises prefix %j', (prefix, expected) => {
    expect(ssmParameterName(prefix, TENANT, KEY)).toBe(expected);
    expect(backend({ prefix }).locate(TENANT, KEY)).toBe(`ssm:${expected}`);
  });

  it.each([
    ['a space', '/plugboard prod'],
    ['an empty level', '/plugboard//prod'],
    ['the reserved aws prefix', '/aws/plugboard'],
    ['the reserved ssm prefix', 'SSM-stuff'],
    ['13 levels, leaving no room for the 3 of the backend', '/a/b/c/d/e/f/g/h/i/j/k/l/m'],
  ])('refuses a prefix with %s at construction', (_why, prefix) => {
    expect(() => backend({ prefix })).toThrow(SecretBackendError);
  });
});

describe('round trip', () => {
  it('reads back what it wrote, and overwrites in place', async () => {
    const b = backend();
    await b.put(TENANT, KEY, new SecretValue(SECRET));
    expect((await b.get(TENANT, KEY))?.reveal()).toBe(SECRET);

    await b.put(TENANT, KEY, new SecretValue('second-value'));
    expect((await b.get(TENANT, KEY))?.reveal()).toBe('second-value');
    expect(endpoint.parameters.get(NAME)?.version).toBe(2);
    expect(endpoint.requestsFor('GetParameter').map((r) => r.body)).toEqual([
      { Name: NAME, WithDecryption: true },
      { Name: NAME, WithDecryption: true },
    ]);
  });

  it('returns null for an absent key, with one request and nothing logged', async () => {
    expect(await backend().get(TENANT, KEY)).toBeNull();
    expect(endpoint.requests.map((r) => r.operation)).toEqual(['GetParameter']);
    expect(logs).toEqual([]);
  });

  it('reads a value written as a plain String, and warns (without the value) that it was not encrypted', async () => {
    await client.send(new PutParameterCommand({ Name: NAME, Value: SECRET, Type: 'String' }));
    expect((await backend().get(TENANT, KEY))?.reveal()).toBe(SECRET);
    expect(logs).toEqual([{ level: 'warn', args: [expect.objectContaining({ parameter: NAME, type: 'String' }), expect.any(String)] }]);
  });
});

describe('delete', () => {
  it('deletes 23 keys in 3 DeleteParameters calls of at most 10 names', async () => {
    const b = backend();
    const all = keys(23);
    for (const key of all) await b.put(TENANT, key, new SecretValue(`value-${key}`));
    const before = endpoint.requests.length;

    // Duplicates are sent once.
    await b.delete(TENANT, [...all, ...all.slice(0, 5)]);

    const calls = endpoint.requests.slice(before);
    expect(calls.map((r) => r.operation)).toEqual(['DeleteParameters', 'DeleteParameters', 'DeleteParameters']);
    const batches = calls.map((r) => r.body?.Names as string[]);
    expect(batches.map((names) => names.length)).toEqual([10, 10, 3]);
    expect(batches.flat()).toEqual(all.map((key) => `/${TENANT}/api-key/${key}`));
    expect(endpoint.parameters.size).toBe(0);
  });

  it('is idempotent: deleting missing keys succeeds', async () => {
    const b = backend();
    await b.put(TENANT, KEY, new SecretValue(SECRET));
    await b.delete(TENANT, [KEY, 'NEVER_WRITTEN']);
    await b.delete(TENANT, [KEY, 'NEVER_WRITTEN']);
    expect(endpoint.requestsFor('DeleteParameters')).toHaveLength(2);
    expect(endpoint.parameters.size).toBe(0);
  });

  it('makes no call for an empty list', async () => {
    await backend().delete(TENANT, []);
    expect(endpoint.requests).toEqual([]);
  });
});

describe('describe', () => {
  it('returns version and last-modified time of present keys only, without decrypting', async () => {
    const b = backend();
    await b.put(TENANT, 'A_KEY', new SecretValue('a'));
    clock = new Date('2026-03-05T00:00:00.125Z');
    await b.put(TENANT, 'A_KEY', new SecretValue('a2'));
    await b.put(TENANT, 'B_KEY', new SecretValue('b'));
    const before = endpoint.requests.length;

    const meta = await b.describe(TENANT, ['A_KEY', 'B_KEY', 'ABSENT_KEY']);

    expect(meta).toEqual(
      new Map([
        ['A_KEY', { version: 2, lastModified: clock }],
        ['B_KEY', { version: 1, lastModified: clock }],
      ]),
    );
    expect(endpoint.requests.slice(before).map((r) => [r.operation, r.body])).toEqual([
      [
        'GetParameters',
        {
          Names: [`/${TENANT}/api-key/A_KEY`, `/${TENANT}/api-key/B_KEY`, `/${TENANT}/api-key/ABSENT_KEY`],
          WithDecryption: false,
        },
      ],
    ]);
  });

  it('batches more than 10 keys, and makes no call for none', async () => {
    const b = backend();
    expect(await b.describe(TENANT, [])).toEqual(new Map());
    expect(endpoint.requests).toEqual([]);

    await b.put(TENANT, 'KEY_11', new SecretValue('x'));
    const meta = await b.describe(TENANT, keys(12));
    expect([...meta.keys()]).toEqual(['KEY_11']);
    expect(endpoint.requestsFor('GetParameters').map((r) => (r.body?.Names as string[]).length)).toEqual([10, 2]);
  });
});

describe('retries', () => {
  it('retries throttling with backoff and succeeds on the third attempt', async () => {
    endpoint.faults.throttleNext(2, 'PutParameter');
    await backend().put(TENANT, KEY, new SecretValue(SECRET));

    expect(endpoint.requestsFor('PutParameter').map((r) => r.fault)).toEqual(['throttle', 'throttle', undefined]);
    expect(endpoint.parameters.get(NAME)?.value).toBe(SECRET);
    // Full jitter under a ceiling of 100 ms, then 200 ms.
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(0);
    expect(sleeps[0]).toBeLessThan(100);
    expect(sleeps[1]).toBeLessThan(200);
    expect(logs.map((l) => [l.level, l.args[0]])).toEqual([
      ['warn', expect.objectContaining({ operation: 'PutParameter', parameter: NAME, attempt: 1, error: 'ThrottlingException' })],
      ['warn', expect.objectContaining({ operation: 'PutParameter', parameter: NAME, attempt: 2, error: 'ThrottlingException' })],
    ]);
  });

  it('gives up after maxAttempts with a message naming operation, parameter and error', async () => {
    endpoint.faults.throttleNext(10);
    const error = await rejection(backend().put('t1', KEY, new SecretValue(SECRET)));
    expect(error).toBeInstanceOf(SecretBackendError);
    expect((error as Error).message).toBe(
      'SSM PutParameter failed for /t1/api-key/INTERCOM_ACCESS_TOKEN: ThrottlingException (after 4 attempts)',
    );
    expect(error).toMatchObject({ operation: 'PutParameter', location: 'ssm:/t1/api-key/INTERCOM_ACCESS_TOKEN', attempts: 4 });
    expect(endpoint.requests).toHaveLength(4);
    expect(logs.map((l) => l.level)).toEqual(['warn', 'warn', 'warn', 'error']);
  });

  it('surfaces a persistent 500 as a SecretBackendError that never contains the value', async () => {
    // The injected message echoes the request, as AWS validation messages do.
    endpoint.faults.failAlways({ status: 500, type: 'InternalServerError', message: (body) => `bad input ${JSON.stringify(body)}` });
    const error = await rejection(backend({ maxAttempts: 3 }).put(TENANT, KEY, new SecretValue(SECRET)));

    expect(error).toBeInstanceOf(SsmSecretBackendError);
    expect(error).toBeInstanceOf(SecretBackendError);
    const e = error as SsmSecretBackendError;
    expect(e.message).toBe(`SSM PutParameter failed for ${NAME}: InternalServerError (after 3 attempts)`);
    expect(e.cause).toBeUndefined();
    expect(e.aws).toMatchObject({ name: 'InternalServerError', httpStatusCode: 500, detail: undefined });
    expect(e.aws?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(visible(e)).not.toContain(SECRET);
    expect(endpoint.requests).toHaveLength(3);
    expect(endpoint.requests[0]?.body?.Value).toBe(SECRET);
  });

  it('retries 503 answers and connection resets', async () => {
    endpoint.faults.failNext(1, { status: 503, type: 'ServiceUnavailable' });
    endpoint.faults.resetNext(1);
    expect(await backend().get(TENANT, KEY)).toBeNull();
    expect(endpoint.requests.map((r) => r.fault)).toEqual(['error', 'reset', undefined]);
    expect(logs.map((l) => (l.args[0] as { error: string }).error)).toEqual(['ServiceUnavailable', 'ECONNRESET']);
  });

  it('retries a refused connection, then names it', async () => {
    const gone = await startSsmEndpoint();
    const url = gone.url;
    await gone.close();
    const deadClient = new SSMClient({
      endpoint: url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    try {
      const error = await rejection(backend({ client: deadClient, maxAttempts: 2 }).get(TENANT, KEY));
      expect((error as Error).message).toBe(`SSM GetParameter failed for ${NAME}: ECONNREFUSED (after 2 attempts)`);
      expect(sleeps).toHaveLength(1);
    } finally {
      deadClient.destroy();
    }
  });

  it('does not retry an error that will not go away', async () => {
    endpoint.faults.failNext(1, { status: 400, type: 'AccessDeniedException', message: 'no' }, 'GetParameter');
    const error = await rejection(backend().get(TENANT, KEY));
    expect((error as Error).message).toBe(`SSM GetParameter failed for ${NAME}: AccessDeniedException (not retryable)`);
    expect(endpoint.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(logs.map((l) => l.level)).toEqual(['error']);
  });

  it('names a batch by its parent path', async () => {
    endpoint.faults.failAlways({ status: 500 }, 'DeleteParameters');
    const error = await rejection(backend({ maxAttempts: 1 }).delete(TENANT, ['A_KEY', 'B_KEY']));
    expect((error as Error).message).toBe(
      `SSM DeleteParameters failed for 2 parameters under /${TENANT}/api-key/: InternalServerError (after 1 attempts)`,
    );
    expect(error).toMatchObject({ location: `ssm:/${TENANT}/api-key/` });
  });
});

describe('the client the backend builds itself', () => {
  beforeEach(() => {
    // The standard AWS configuration, as production would set it.
    vi.stubEnv('AWS_ENDPOINT_URL_SSM', endpoint.url);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    vi.stubEnv('AWS_SESSION_TOKEN', '');
  });

  it('takes endpoint, region and credentials from the environment and signs its requests', async () => {
    const b = backend({ client: undefined });
    await b.put(TENANT, KEY, new SecretValue(SECRET));
    expect((await b.get(TENANT, KEY))?.reveal()).toBe(SECRET);
    expect(endpoint.requests.map((r) => [r.operation, r.signed])).toEqual([
      ['PutParameter', true],
      ['GetParameter', true],
    ]);
  });

  it('leaves retrying to the backend alone: 2 attempts are 2 requests', async () => {
    endpoint.faults.throttleNext(3);
    const error = await rejection(backend({ client: undefined, maxAttempts: 2 }).get(TENANT, KEY));
    expect((error as Error).message).toContain('ThrottlingException (after 2 attempts)');
    expect(endpoint.requests).toHaveLength(2);
  });

  it('times a hung request out and retries it', async () => {
    endpoint.faults.delayNext(1, 500, 'PutParameter');
    const b = backend({ client: undefined, requestTimeoutMs: 100 });
    await b.put(TENANT, KEY, new SecretValue(SECRET));
    expect(logs.map((l) => (l.args[0] as { error: string }).error)).toEqual(['ETIMEDOUT']);
    // The late first attempt lands too: overwriting makes that harmless.
    await expect.poll(() => endpoint.parameters.get(NAME)?.version, { timeout: 2000 }).toBe(2);
    expect(endpoint.parameters.get(NAME)?.value).toBe(SECRET);
  });
});

describe('input refused before any request', () => {
  const value = new SecretValue(SECRET);

  it.each([
    ['an empty tenant id', ''],
    ['a slash in the tenant id', 'a/b'],
    ['a space in the tenant id', 'tenant one'],
    ['a dot-dot tenant id', '..'],
    ['a tenant id SSM reserves at the top level', 'ssm-tenant'],
  ])('refuses %s', async (_why, tenantId) => {
    const b = backend();
    for (const call of [
      () => b.put(tenantId, KEY, value),
      () => b.get(tenantId, KEY),
      () => b.delete(tenantId, [KEY]),
      () => b.describe(tenantId, [KEY]),
    ]) {
      const error = await rejection(call());
      expect(error).toBeInstanceOf(SecretBackendError);
      expect((error as Error).message).toMatch(/tenant id/);
    }
    expect(() => b.locate(tenantId, KEY)).toThrow(SecretBackendError);
    expect(endpoint.requests).toEqual([]);
  });

  it('accepts the reserved word inside a prefix', async () => {
    await backend({ prefix: '/plugboard' }).put('ssm-tenant', KEY, value);
    expect(endpoint.requests).toHaveLength(1);
  });

  it.each([['lowercase'], ['1STARTS_WITH_DIGIT'], ['HAS-DASH'], ['HAS/SLASH'], ['']])('refuses key %j', async (key) => {
    const b = backend();
    const error = await rejection(b.put(TENANT, key, value));
    expect((error as Error).message).toMatch(/secret key/);
    // One bad key stops the whole batch before any call.
    await expect(b.delete(TENANT, [KEY, key])).rejects.toThrow(SecretBackendError);
    await expect(b.describe(TENANT, [KEY, key])).rejects.toThrow(SecretBackendError);
    expect(endpoint.requests).toEqual([]);
  });

  it('refuses a name longer than SSM allows once the ARN prefix is counted', async () => {
    const b = backend();
    const overhead = `//api-key/${KEY}`.length;
    const longest = 'x'.repeat(SSM_MAX_NAME_LENGTH - overhead);
    expect(ssmParameterName('', longest, KEY)).toHaveLength(SSM_MAX_NAME_LENGTH);
    const error = await rejection(b.put(`${longest}x`, KEY, value));
    expect((error as Error).message).toMatch(/characters/);
    expect(endpoint.requests).toEqual([]);
    // And the longest accepted name is one the endpoint (which counts the real ARN) accepts.
    await b.put(longest, KEY, value);
    expect(endpoint.requests[0]?.status).toBe(200);
  });

  it('refuses a value over 4096 UTF-8 bytes, and the message leaves the value out', async () => {
    const b = backend();
    const big = `${SECRET}${'é'.repeat(2100)}`;
    const error = await rejection(b.put(TENANT, KEY, new SecretValue(big)));
    expect(error).toBeInstanceOf(SecretBackendError);
    expect((error as Error).message).toMatch(/bytes/);
    expect(visible(error)).not.toContain(SECRET);
    expect(endpoint.requests).toEqual([]);

    await b.put(TENANT, KEY, new SecretValue('x'.repeat(4096)));
    expect(endpoint.requests).toHaveLength(1);
  });
});
