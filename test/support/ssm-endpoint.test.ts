import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import {
  DeleteParameterCommand,
  DeleteParametersCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  HierarchyLevelLimitExceededException,
  InternalServerError,
  InvalidNextToken,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
  SSMServiceException,
  ValidationException,
  paginateGetParametersByPath,
} from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSsmEndpoint, type SsmEndpoint } from './ssm-endpoint.js';

// The SDK warns once per process that it will need Node 22; that is known and noisy here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const T0 = new Date('2026-01-02T03:04:05.678Z');
let clock = T0;
let endpoint: SsmEndpoint;
let ssm: SSMClient;

/** The real SDK, pointed at the endpoint, with the SDK's retries off so every call is one request. */
function clientFor(url: string, extra: Partial<ConstructorParameters<typeof SSMClient>[0]> = {}): SSMClient {
  return new SSMClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
    ...extra,
  });
}

async function put(name: string, value: string, extra: Partial<PutParameterCommand['input']> = {}): Promise<number> {
  const out = await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', ...extra }));
  return out.Version ?? -1;
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

beforeAll(async () => {
  endpoint = await startSsmEndpoint({ now: () => clock });
  ssm = clientFor(endpoint.url);
});

afterAll(async () => {
  ssm.destroy();
  await endpoint.close();
});

beforeEach(() => {
  endpoint.reset();
  clock = T0;
});

describe('PutParameter and GetParameter', () => {
  it('stores, reads back and versions a parameter', async () => {
    expect(await put('/t1/api-key/TOKEN', 'first')).toBe(1);

    const got = await ssm.send(new GetParameterCommand({ Name: '/t1/api-key/TOKEN', WithDecryption: true }));
    expect(got.Parameter).toEqual({
      Name: '/t1/api-key/TOKEN',
      Type: 'SecureString',
      Value: 'first',
      Version: 1,
      LastModifiedDate: T0,
      ARN: 'arn:aws:ssm:us-east-1:123456789012:parameter/t1/api-key/TOKEN',
      DataType: 'text',
    });

    clock = new Date('2026-01-03T00:00:00.250Z');
    expect(await put('/t1/api-key/TOKEN', 'second', { Overwrite: true })).toBe(2);
    const again = await ssm.send(new GetParameterCommand({ Name: '/t1/api-key/TOKEN', WithDecryption: true }));
    expect(again.Parameter).toMatchObject({ Value: 'second', Version: 2, LastModifiedDate: clock });
    expect(endpoint.parameters.get('/t1/api-key/TOKEN')).toMatchObject({
      type: 'SecureString',
      value: 'second',
      version: 2,
      keyId: 'alias/aws/ssm',
      tier: 'Standard',
    });
  });

  it('answers PutParameter with the version and tier', async () => {
    const out = await ssm.send(new PutParameterCommand({ Name: '/a', Value: 'v', Type: 'String' }));
    expect(out).toMatchObject({ Version: 1, Tier: 'Standard' });
  });

  it('records operation, body and signature presence of each request', async () => {
    await put('/a', 'v', { KeyId: 'alias/custom' });
    expect(endpoint.requests).toEqual([
      {
        operation: 'PutParameter',
        body: { Name: '/a', Value: 'v', Type: 'SecureString', KeyId: 'alias/custom' },
        signed: true,
        fault: undefined,
        status: 200,
      },
    ]);
    expect(endpoint.parameters.get('/a')?.keyId).toBe('alias/custom');
  });

  it('refuses to replace an existing parameter without Overwrite', async () => {
    await put('/a', 'v');
    const error = await rejection(put('/a', 'w'));
    expect(error).toBeInstanceOf(ParameterAlreadyExists);
    expect(endpoint.parameters.get('/a')).toMatchObject({ value: 'v', version: 1 });
  });

  it('maps a missing parameter to the SDK ParameterNotFound class', async () => {
    const error = await rejection(ssm.send(new GetParameterCommand({ Name: '/missing' })));
    expect(error).toBeInstanceOf(ParameterNotFound);
    expect(error).toMatchObject({ name: 'ParameterNotFound', $metadata: { httpStatusCode: 400 } });
    expect((error as ParameterNotFound).$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('returns ciphertext, not plaintext, for a SecureString read without decryption', async () => {
    await put('/s', 'super-secret-value');
    await ssm.send(new PutParameterCommand({ Name: '/p', Value: 'plain', Type: 'String' }));

    const secure = await ssm.send(new GetParameterCommand({ Name: '/s' }));
    expect(secure.Parameter?.Value).not.toContain('super-secret-value');
    expect(secure.Parameter?.Value).toMatch(/^AQICAH/);
    const plain = await ssm.send(new GetParameterCommand({ Name: '/p' }));
    expect(plain.Parameter?.Value).toBe('plain');
  });

  it('needs a type to create, not to overwrite, and takes KeyId for SecureString only', async () => {
    expect(await rejection(ssm.send(new PutParameterCommand({ Name: '/a', Value: 'v' })))).toBeInstanceOf(ValidationException);
    await put('/a', 'v');
    const out = await ssm.send(new PutParameterCommand({ Name: '/a', Value: 'w', Overwrite: true }));
    expect(out.Version).toBe(2);
    expect(endpoint.parameters.get('/a')?.type).toBe('SecureString');

    const error = await rejection(
      ssm.send(new PutParameterCommand({ Name: '/b', Value: 'v', Type: 'String', KeyId: 'alias/custom' })),
    );
    expect(error).toBeInstanceOf(ValidationException);
  });
});

describe('naming and size rules', () => {
  it.each([
    ['a character outside a-zA-Z0-9_.-/', '/t1/api key'],
    ['a hierarchy without a leading slash', 't1/api-key'],
    ['an empty level', '/t1//x'],
    ['a trailing slash', '/t1/'],
    ['the reserved aws prefix', '/aws/mine'],
    ['the reserved ssm prefix, any case', 'SSMthing'],
  ])('refuses a name with %s', async (_why, name) => {
    const error = await rejection(put(name, 'v'));
    expect(error).toBeInstanceOf(ValidationException);
    expect(endpoint.parameters.size).toBe(0);
  });

  it('allows 15 levels and refuses 16', async () => {
    const levels = (n: number): string => Array.from({ length: n }, (_, i) => `/l${i}`).join('');
    expect(await put(levels(15), 'v')).toBe(1);
    expect(await rejection(put(levels(16), 'v'))).toBeInstanceOf(HierarchyLevelLimitExceededException);
  });

  it('counts the ARN prefix toward the 1011-character limit', async () => {
    // arn:aws:ssm:us-east-1:123456789012:parameter is 44 characters, so names stop at 967.
    const longest = `/${'n'.repeat(966)}`;
    expect(await put(longest, 'v')).toBe(1);
    expect(await rejection(put(`${longest}n`, 'v'))).toBeInstanceOf(ValidationException);
  });

  it('limits Standard values to 4096 bytes of UTF-8', async () => {
    expect(await put('/a', 'x'.repeat(4096))).toBe(1);
    expect(await rejection(put('/b', 'x'.repeat(4097)))).toBeInstanceOf(ValidationException);
    // 2,048 characters but 4,098 bytes.
    expect(await rejection(put('/c', `${'é'.repeat(2048)}x`))).toBeInstanceOf(ValidationException);
    expect(await put('/d', 'x'.repeat(8192), { Tier: 'Advanced' })).toBe(1);
  });
});

describe('GetParameters', () => {
  it('returns the parameters found and lists the others as invalid', async () => {
    await put('/a', '1');
    await put('/b', '2');
    const out = await ssm.send(new GetParametersCommand({ Names: ['/a', '/missing', '/b'], WithDecryption: true }));
    expect(out.Parameters?.map((p) => [p.Name, p.Value])).toEqual([
      ['/a', '1'],
      ['/b', '2'],
    ]);
    expect(out.InvalidParameters).toEqual(['/missing']);
  });

  it('takes 1 to 10 names', async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `/p${i}`);
    expect(await rejection(ssm.send(new GetParametersCommand({ Names: eleven })))).toBeInstanceOf(ValidationException);
    expect(await rejection(ssm.send(new GetParametersCommand({ Names: [] })))).toBeInstanceOf(ValidationException);
  });
});

describe('GetParametersByPath', () => {
  beforeEach(async () => {
    for (let i = 0; i < 23; i += 1) await put(`/app/t1/K${String(i).padStart(2, '0')}`, `v${i}`);
    await put('/app/t1/nested/DEEP', 'deep');
    await put('/app/t2/OTHER', 'other');
    await put('/application/X', 'not under /app');
  });

  it('pages through one level with MaxResults and NextToken', async () => {
    const pages: string[][] = [];
    for await (const page of paginateGetParametersByPath(
      { client: ssm, pageSize: 10 },
      { Path: '/app/t1', WithDecryption: true },
    )) {
      pages.push((page.Parameters ?? []).map((p) => p.Name ?? ''));
    }
    expect(pages.map((p) => p.length)).toEqual([10, 10, 3]);
    expect(pages.flat()).toEqual(Array.from({ length: 23 }, (_, i) => `/app/t1/K${String(i).padStart(2, '0')}`));
    expect(endpoint.requestsFor('GetParametersByPath').map((r) => r.body?.NextToken === undefined)).toEqual([
      true,
      false,
      false,
    ]);
  });

  it('descends into sub-paths only when Recursive', async () => {
    const names = async (recursive: boolean): Promise<string[]> => {
      const all: string[] = [];
      for await (const page of paginateGetParametersByPath({ client: ssm }, { Path: '/app/', Recursive: recursive })) {
        all.push(...(page.Parameters ?? []).map((p) => p.Name ?? ''));
      }
      return all;
    };
    expect(await names(false)).toEqual([]);
    const recursive = await names(true);
    expect(recursive).toHaveLength(25);
    expect(recursive).toContain('/app/t1/nested/DEEP');
    expect(recursive).not.toContain('/application/X');
  });

  it('refuses MaxResults over 10 and a token from another query', async () => {
    const tooMany = ssm.send(new GetParametersByPathCommand({ Path: '/app/t1', MaxResults: 11 }));
    expect(await rejection(tooMany)).toBeInstanceOf(ValidationException);

    const first = await ssm.send(new GetParametersByPathCommand({ Path: '/app/t1', MaxResults: 5 }));
    expect(first.NextToken).toBeDefined();
    const reused = ssm.send(new GetParametersByPathCommand({ Path: '/app/t2', NextToken: first.NextToken }));
    expect(await rejection(reused)).toBeInstanceOf(InvalidNextToken);
  });
});

describe('DeleteParameter and DeleteParameters', () => {
  it('deletes one parameter, and reports a missing one as ParameterNotFound', async () => {
    await put('/a', 'v');
    await ssm.send(new DeleteParameterCommand({ Name: '/a' }));
    expect(endpoint.parameters.has('/a')).toBe(false);
    expect(await rejection(ssm.send(new DeleteParameterCommand({ Name: '/a' })))).toBeInstanceOf(ParameterNotFound);
  });

  it('deletes up to 10 names and lists the missing ones as invalid', async () => {
    await put('/a', '1');
    await put('/b', '2');
    const out = await ssm.send(new DeleteParametersCommand({ Names: ['/a', '/missing', '/b'] }));
    expect(out.DeletedParameters).toEqual(['/a', '/b']);
    expect(out.InvalidParameters).toEqual(['/missing']);
    expect(endpoint.parameters.size).toBe(0);
  });

  it('refuses an empty list and more than 10 names', async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `/p${i}`);
    expect(await rejection(ssm.send(new DeleteParametersCommand({ Names: eleven })))).toBeInstanceOf(ValidationException);
    expect(await rejection(ssm.send(new DeleteParametersCommand({ Names: [] })))).toBeInstanceOf(ValidationException);
    const ten = eleven.slice(0, 10);
    expect((await ssm.send(new DeleteParametersCommand({ Names: ten }))).InvalidParameters).toEqual(ten);
  });
});

describe('DescribeParameters', () => {
  it('lists metadata without values, paged', async () => {
    await put('/a', 'secret-a', { KeyId: 'alias/custom' });
    await ssm.send(new PutParameterCommand({ Name: '/b', Value: 'b', Type: 'String' }));
    const first = await ssm.send(new DescribeParametersCommand({ MaxResults: 1 }));
    expect(first.Parameters).toEqual([
      expect.objectContaining({ Name: '/a', Type: 'SecureString', KeyId: 'alias/custom', Version: 1, LastModifiedDate: T0 }),
    ]);
    expect(JSON.stringify(first)).not.toContain('secret-a');
    const second = await ssm.send(new DescribeParametersCommand({ MaxResults: 1, NextToken: first.NextToken }));
    expect(second.Parameters?.map((p) => p.Name)).toEqual(['/b']);
    expect(second.NextToken).toBeUndefined();
  });
});

describe('fault injection', () => {
  it('throttles the next n requests with ThrottlingException: Rate exceeded', async () => {
    endpoint.faults.throttleNext(2);
    for (let i = 0; i < 2; i += 1) {
      const error = await rejection(put('/a', 'v', { Overwrite: true }));
      expect(error).toBeInstanceOf(SSMServiceException);
      expect(error).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
    }
    expect(await put('/a', 'v', { Overwrite: true })).toBe(1);
    expect(endpoint.requests.map((r) => r.fault)).toEqual(['throttle', 'throttle', undefined]);
  });

  it('fails only the named operation', async () => {
    endpoint.faults.failNext(1, { status: 500 }, 'GetParameter');
    await put('/a', 'v');
    const error = await rejection(ssm.send(new GetParameterCommand({ Name: '/a' })));
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error).toMatchObject({ $fault: 'server', $metadata: { httpStatusCode: 500 } });
    await expect(ssm.send(new GetParameterCommand({ Name: '/a' }))).resolves.toBeDefined();
  });

  it('fails always until cleared, with the status, type and message asked for', async () => {
    endpoint.faults.failAlways({ status: 503, type: 'ServiceUnavailable', message: (body) => `echo ${String(body?.Name)}` });
    for (let i = 0; i < 3; i += 1) {
      const error = await rejection(put('/a', 'v'));
      expect(error).toMatchObject({ name: 'ServiceUnavailable', message: 'echo /a', $metadata: { httpStatusCode: 503 } });
    }
    endpoint.faults.clear();
    expect(await put('/a', 'v')).toBe(1);
  });

  it('resets the connection without an answer', async () => {
    endpoint.faults.resetNext(1);
    const error = await rejection(put('/a', 'v'));
    expect(error).toMatchObject({ code: 'ECONNRESET' });
    expect(endpoint.requests[0]).toMatchObject({ fault: 'reset', status: 0 });
    expect(endpoint.parameters.size).toBe(0);
  });

  it('delays an answer past a client timeout, and still applies the request', async () => {
    const impatient = clientFor(endpoint.url, { requestHandler: { requestTimeout: 50, throwOnRequestTimeout: true } });
    try {
      endpoint.faults.delayNext(1, 300);
      const error = await rejection(impatient.send(new PutParameterCommand({ Name: '/a', Value: 'v', Type: 'String' })));
      expect(error).toMatchObject({ name: 'TimeoutError' });
      await expect.poll(() => endpoint.parameters.has('/a'), { timeout: 2000 }).toBe(true);
    } finally {
      impatient.destroy();
    }
  });
});

describe('timing faults and hooks', () => {
  it('applies a late-answered request at once and answers it only after the wait', async () => {
    const impatient = clientFor(endpoint.url, { requestHandler: { requestTimeout: 100, throwOnRequestTimeout: true } });
    try {
      endpoint.faults.lateAnswerNext(1, 600, 'PutParameter');
      const started = Date.now();
      const error = await rejection(impatient.send(new PutParameterCommand({ Name: '/a', Value: 'v', Type: 'String' })));
      expect(error).toMatchObject({ name: 'TimeoutError' });
      // Already in the store when the client gave up, unlike delayNext, which applies late.
      expect(Date.now() - started).toBeLessThan(600);
      expect(endpoint.parameters.get('/a')?.value).toBe('v');
      expect(endpoint.requests[0]).toMatchObject({ operation: 'PutParameter', fault: 'late' });
    } finally {
      impatient.destroy();
    }
  });

  it('answers a late-answered request in full to a patient client', async () => {
    endpoint.faults.lateAnswerNext(1, 200);
    const started = Date.now();
    expect(await put('/a', 'v')).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('takes late answers only for the named operation and parameter name', async () => {
    endpoint.faults.lateAnswerNext(1, 5000, 'PutParameter', /\/target$/);
    await put('/other', 'v'); // not matched: answered at once
    await expect(ssm.send(new GetParameterCommand({ Name: '/other' }))).resolves.toBeDefined();
    const late = put('/x/target', 'v');
    await expect.poll(() => endpoint.parameters.has('/x/target')).toBe(true);
    expect(endpoint.requests.map((r) => r.fault)).toEqual([undefined, undefined, 'late']);
    endpoint.faults.clear();
    endpoint.reset(); // cancels the pending answer: the client sees nothing until its own timeout
    void late.catch(() => undefined);
  });

  it('adds random latency within the range to every matching request until cleared', async () => {
    endpoint.faults.latency({ minMs: 150, maxMs: 250 }, 'GetParameter');
    await put('/a', 'v');
    for (let i = 0; i < 3; i += 1) {
      const started = Date.now();
      await ssm.send(new GetParameterCommand({ Name: '/a' }));
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(145);
      expect(took).toBeLessThan(1000);
    }
    const startedPut = Date.now();
    await put('/a', 'w', { Overwrite: true }); // another operation: no latency
    expect(Date.now() - startedPut).toBeLessThan(145);
    endpoint.faults.clear();
    const started = Date.now();
    await ssm.send(new GetParameterCommand({ Name: '/a' }));
    expect(Date.now() - started).toBeLessThan(145);
  });

  it('lets two requests under latency overtake each other', async () => {
    endpoint.faults.latency({ minMs: 0, maxMs: 200 });
    const order = new Set<string>();
    for (let i = 0; i < 20 && order.size < 2; i += 1) {
      endpoint.reset();
      endpoint.faults.latency({ minMs: 0, maxMs: 200 });
      await Promise.all([put('/race', 'first', { Overwrite: true }), put('/race', 'second', { Overwrite: true })]);
      order.add(endpoint.parameters.get('/race')?.value ?? '');
    }
    expect(order).toEqual(new Set(['first', 'second']));
  });

  it('calls onReceive before the request is applied, and waits for it', async () => {
    const seen: string[] = [];
    let release = (): void => undefined;
    endpoint.hooks.onReceive = (request) => {
      seen.push(`${request.operation} ${String(request.body?.Name)} stored=${String(endpoint.parameters.has('/a'))}`);
      return new Promise<void>((resolveHook) => {
        release = resolveHook;
      });
    };
    const pending = put('/a', 'v');
    await expect.poll(() => seen.length).toBe(1);
    expect(endpoint.parameters.has('/a')).toBe(false);
    release();
    await pending;
    expect(seen).toEqual(['PutParameter /a stored=false']);
    expect(endpoint.parameters.has('/a')).toBe(true);
  });

  it('calls onApplied after the store changed, before a late answer is sent', async () => {
    const applied: { name: unknown; stored: boolean; status: number }[] = [];
    endpoint.hooks.onApplied = (request) => {
      applied.push({ name: request.body?.Name, stored: endpoint.parameters.has('/a'), status: request.status });
    };
    endpoint.faults.lateAnswerNext(1, 300, 'PutParameter');
    const pending = put('/a', 'v');
    await expect.poll(() => applied.length).toBe(1);
    expect(applied).toEqual([{ name: '/a', stored: true, status: 200 }]);
    await pending;
    endpoint.reset();
    expect(endpoint.hooks.onApplied).toBeUndefined();
  });

  it('refuses nonsense timings', () => {
    expect(() => endpoint.faults.lateAnswerNext(0, 10)).toThrow(RangeError);
    expect(() => endpoint.faults.lateAnswerNext(1, -1)).toThrow(RangeError);
    expect(() => endpoint.faults.latency({ minMs: 20, maxMs: 10 })).toThrow(RangeError);
  });
});

describe('protocol edges', () => {
  const post = (headers: Record<string, string>, body: string): Promise<Response> =>
    fetch(`${endpoint.url}/`, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', ...headers }, body });

  it('answers an unknown operation with InvalidAction', async () => {
    const response = await post({ 'x-amz-target': 'AmazonSSM.LaunchRockets' }, '{}');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'InvalidAction' });
  });

  it('records unsigned requests as unsigned', async () => {
    const response = await post({ 'x-amz-target': 'AmazonSSM.GetParameter' }, '{"Name":"/nope"}');
    expect(await response.json()).toMatchObject({ __type: 'ParameterNotFound' });
    expect(endpoint.requests[0]).toMatchObject({ operation: 'GetParameter', signed: false, status: 400 });
  });

  it('refuses a body that is not JSON', async () => {
    const response = await post({ 'x-amz-target': 'AmazonSSM.GetParameter' }, '{nope');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'SerializationException' });
  });
});

describe('standalone mode', () => {
  let child: ReturnType<typeof spawn> | undefined;

  afterEach(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });

  it('prints its URL and the environment to export, serves, and stops on SIGTERM', async () => {
    const script = fileURLToPath(new URL('./ssm-endpoint.ts', import.meta.url));
    child = spawn(process.execPath, ['--import', 'tsx', script, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
    });
    await expect.poll(() => output, { timeout: 15_000 }).toMatch(/AWS_SECRET_ACCESS_KEY=test/);

    const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
    expect(output).toContain(`export AWS_ENDPOINT_URL_SSM=${url} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test`);
    const client = clientFor(url ?? '');
    try {
      await client.send(new PutParameterCommand({ Name: '/x', Value: 'v', Type: 'String' }));
      const got = await client.send(new GetParameterCommand({ Name: '/x' }));
      expect(got.Parameter?.Value).toBe('v');
    } finally {
      client.destroy();
    }

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });
});
