/**
 * Sign-in throttling over real HTTP against createHttpApp and a real Postgres. Each test
 * speaks from its own loopback source address (127.0.0.x), so Express's `req.ip` differs
 * honestly between tests without trusting X-Forwarded-For.
 */
import { existsSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServerBuild } from '@remix-run/node';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOrm, type Orm } from '../../db/orm.js';
import { makeTenant, makeUser, TEST_PASSWORD } from '../../test/support/factories.js';
import { testServices, useTestDatabase } from '../../test/support/database.js';
import { captureLogs } from '../../test/support/logs.js';
import { cheapPasswordHash } from '../../test/support/passwords.js';
import { createHttpApp } from '../http/app.js';
import { createContextInner } from '../trpc/context.js';
import { createCaller } from '../trpc/router.js';
import { hashingStats } from './password.js';
import { resolveSession } from './sessions.js';
import { emailHash, SIGN_IN_LIMITS, SignInThrottledError } from './sign-in-throttle.js';
import { readSessionToken } from './session-cookie.js';

const db = useTestDatabase();

interface Instance {
  base: string;
  server: Server;
  logs: ReturnType<typeof captureLogs>;
  orm: Orm;
}
const instances: Instance[] = [];
let a: Instance;
let b: Instance;
let secondOrm: Orm;

/** An app instance with its own services (and, for the second, its own ORM pool) on the shared database. */
async function startInstance(build: ServerBuild, orm: Orm): Promise<Instance> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const logs = captureLogs();
  const app = createHttpApp({
    services: testServices(orm, logs.logger, { APP_URL: base }),
    build,
    publicDir: path.resolve('public'),
    formActionOrigins: [],
  });
  server.on('request', app);
  const instance = { base, server, logs, orm };
  instances.push(instance);
  return instance;
}

beforeAll(async () => {
  const buildFile = path.resolve('build/index.js');
  if (!existsSync(buildFile)) throw new Error('Run `npx remix build` first (npm test does).');
  const build = (await import(pathToFileURL(buildFile).href)) as ServerBuild;
  secondOrm = await openOrm(db.url, { poolMax: 2 });
  a = await startInstance(build, db.orm);
  b = await startInstance(build, secondOrm);
});
afterAll(async () => {
  for (const { server } of instances) await new Promise((resolve) => server.close(resolve));
  await secondOrm.close(true);
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** A POST from a chosen loopback source address (node:http: fetch cannot pick one). */
function post(instance: Instance, urlPath: string, payload: unknown, from: string, cookie?: string): Promise<Reply> {
  const url = new URL(urlPath, instance.base);
  const data = JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        localAddress: from,
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(data),
          origin: instance.base,
          ...(cookie ? { cookie } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        );
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

type TrpcError = { error: { message: string; data: { code: string; httpStatus: number } } };

const signIn = (instance: Instance, from: string, email: string, password: string, cookie?: string) =>
  post(instance, '/api/trpc/auth.signIn', { email, password }, from, cookie);

/** One HTTP request carrying several auth.signIn calls (tRPC batching). */
async function signInBatch(instance: Instance, from: string, inputs: { email: string; password: string }[]) {
  const paths = inputs.map(() => 'auth.signIn').join(',');
  const payload = Object.fromEntries(inputs.map((input, i) => [String(i), input]));
  const reply = await post(instance, `/api/trpc/${paths}?batch=1`, payload, from);
  return { ...reply, items: reply.body as TrpcError[] };
}

/** A user whose stored hash uses tiny scrypt parameters, so many failed checks stay quick on a busy machine. */
async function newUser() {
  const em = db.orm.em.fork();
  const tenant = await makeTenant(em);
  const user = await makeUser(em, tenant.slug);
  await db.sql('update users set password_hash = $1 where id = $2', [cheapPasswordHash(TEST_PASSWORD), user.id]);
  return user;
}

const LIMIT = SIGN_IN_LIMITS.emailIp.points;

describe('sign-in throttling per email and IP', () => {
  it(`refuses the right password after ${LIMIT} failures with 429 and Retry-After, without hashing`, async () => {
    const user = await newUser();
    const from = '127.0.0.11';
    for (let i = 0; i < LIMIT; i++) {
      const reply = await signIn(a, from, user.email, `wrong password ${i}`);
      expect(reply.status).toBe(401);
    }
    const before = hashingStats.computations;
    const refused = await signIn(a, from, user.email, TEST_PASSWORD);
    expect(hashingStats.computations).toBe(before);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe(String(SIGN_IN_LIMITS.emailIp.firstBlockSeconds));
    const { error } = refused.body as TrpcError;
    expect(error.data.code).toBe('TOO_MANY_REQUESTS');
    expect(error.message).toBe('Too many sign-in attempts. Try again in 15 minutes.');
    expect(refused.headers['set-cookie']).toBeUndefined();

    // The same account from another address is not locked out.
    const elsewhere = await signIn(a, '127.0.0.12', user.email, TEST_PASSWORD);
    expect(elsewhere.status).toBe(200);
  });

  it('gives server callers the cause with a numeric retryAfterSeconds', async () => {
    const user = await newUser();
    const caller = createCaller(createContextInner({ services: db.services, session: null, ip: '192.0.2.7' }));
    for (let i = 0; i < LIMIT; i++) {
      await expect(caller.auth.signIn({ email: user.email, password: 'wrong password' })).rejects.toThrow('Incorrect');
    }
    const error = (await caller.auth.signIn({ email: user.email, password: TEST_PASSWORD }).catch((e: unknown) => e)) as TRPCError;
    expect(error).toBeInstanceOf(TRPCError);
    expect(error.code).toBe('TOO_MANY_REQUESTS');
    expect(error.cause).toBeInstanceOf(SignInThrottledError);
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as SignInThrottledError).retryAfterSeconds).toBe(SIGN_IN_LIMITS.emailIp.firstBlockSeconds);
  });

  it('starts afresh after a successful sign-in', async () => {
    const user = await newUser();
    const from = '127.0.0.13';
    for (let i = 0; i < LIMIT - 1; i++) expect((await signIn(a, from, user.email, 'wrong password')).status).toBe(401);
    expect((await signIn(a, from, user.email, TEST_PASSWORD)).status).toBe(200);
    for (let i = 0; i < LIMIT; i++) expect((await signIn(a, from, user.email, 'wrong password')).status).toBe(401);
    expect((await signIn(a, from, user.email, TEST_PASSWORD)).status).toBe(429);
  });

  it('counts every call of a tRPC batch: the second batch of 10 is refused', async () => {
    const user = await newUser();
    const from = '127.0.0.14';
    const guesses = Array.from({ length: 10 }, (_, i) => ({ email: user.email, password: `guess number ${i}` }));

    const first = await signInBatch(a, from, guesses);
    expect(first.items.map((item) => item.error.data.code)).toEqual(Array(10).fill('UNAUTHORIZED'));

    const before = hashingStats.computations;
    const second = await signInBatch(a, from, [...guesses.slice(1), { email: user.email, password: TEST_PASSWORD }]);
    expect(second.status).toBe(429);
    expect(second.headers['retry-after']).toBeDefined();
    expect(second.items.map((item) => item.error.data.code)).toEqual(Array(10).fill('TOO_MANY_REQUESTS'));
    expect(hashingStats.computations).toBe(before);
  });

  it('doubles the block each time the same pair is blocked again', async () => {
    const user = await newUser();
    const from = '127.0.0.16';
    for (let i = 0; i < LIMIT; i++) await signIn(a, from, user.email, 'wrong password');
    const firstBlock = await signIn(a, from, user.email, 'wrong password');
    expect(firstBlock.headers['retry-after']).toBe(String(SIGN_IN_LIMITS.emailIp.firstBlockSeconds));

    // Let the first block run out (as if 15 minutes had passed) by expiring its row.
    const pairKey = `email_ip:${emailHash(db.services.env.SESSION_SECRET, user.email)}:${from}`;
    const expired = await db.sql('update sign_in_throttle set expire = $1 where key = $2 returning key', [Date.now() - 1, pairKey]);
    expect(expired).toHaveLength(1);

    for (let i = 0; i < LIMIT; i++) expect((await signIn(a, from, user.email, 'wrong password')).status).toBe(401);
    const secondBlock = await signIn(a, from, user.email, TEST_PASSWORD);
    expect(secondBlock.status).toBe(429);
    expect(secondBlock.headers['retry-after']).toBe(String(2 * SIGN_IN_LIMITS.emailIp.firstBlockSeconds));
    expect((secondBlock.body as TrpcError).error.message).toBe('Too many sign-in attempts. Try again in 30 minutes.');
  });

  it('holds across two app instances on one database', async () => {
    const user = await newUser();
    const from = '127.0.0.17';
    for (let i = 0; i < LIMIT; i++) {
      const instance = i % 2 === 0 ? a : b;
      expect((await signIn(instance, from, user.email, 'wrong password')).status).toBe(401);
    }
    expect((await signIn(a, from, user.email, TEST_PASSWORD)).status).toBe(429);
    expect((await signIn(b, from, user.email, TEST_PASSWORD)).status).toBe(429);
  });
});

describe('sign-in throttling per IP', () => {
  it(`refuses any email from an IP after ${SIGN_IN_LIMITS.ip.points} failures`, async () => {
    // Ten accounts, ten failures each: never over the per-pair limit, 100 from one address.
    const users = await Promise.all(Array.from({ length: 10 }, () => newUser()));
    const from = '127.0.0.15';
    for (const user of users) {
      const batch = await signInBatch(a, from, Array.from({ length: 10 }, () => ({ email: user.email, password: 'wrong password' })));
      expect(batch.items.map((item) => item.error.data.code)).toEqual(Array(10).fill('UNAUTHORIZED'));
    }
    const fresh = await newUser();
    const before = hashingStats.computations;
    const refused = await signIn(a, from, fresh.email, TEST_PASSWORD);
    expect(hashingStats.computations).toBe(before);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe(String(SIGN_IN_LIMITS.ip.blockSeconds));
    expect(a.logs.lines.some((line) => line.includes('"sign-in throttled"') && line.includes('"limit":"ip"'))).toBe(true);
    // Another address is unaffected.
    expect((await signIn(a, '127.0.0.18', fresh.email, TEST_PASSWORD)).status).toBe(200);
  }, 60_000);
});

describe('sign-in sessions and logs', () => {
  it('revokes the session the request carried and opens a new one', async () => {
    const user = await newUser();
    const first = await signIn(a, '127.0.0.19', user.email, TEST_PASSWORD);
    const firstCookie = String(first.headers['set-cookie']).split(';')[0]!;
    const second = await signIn(a, '127.0.0.19', user.email, TEST_PASSWORD, firstCookie);
    expect(second.status).toBe(200);
    const secondCookie = String(second.headers['set-cookie']).split(';')[0]!;
    const env = db.services.env;
    const oldToken = readSessionToken(firstCookie, env)!;
    const newToken = readSessionToken(secondCookie, env)!;
    expect(newToken).not.toBe(oldToken);
    expect(await resolveSession(db.orm, oldToken, env)).toBeNull();
    expect(await resolveSession(db.orm, newToken, env)).not.toBeNull();
    expect(await db.sql('select id from sessions where user_id = $1', [user.id])).toHaveLength(1);
  });

  it('logs failures and throttling at warn with the IP and a keyed email hash, never the email', async () => {
    const user = await newUser();
    const from = '127.0.0.20';
    const start = a.logs.lines.length;
    for (let i = 0; i <= LIMIT; i++) await signIn(a, from, user.email, 'a wrong password');
    const lines = a.logs.lines.slice(start);
    const text = lines.join('\n');
    expect(text).not.toContain(user.email);
    expect(text).not.toContain(user.email.split('@')[0]);
    expect(text).not.toContain('a wrong password');

    const hash = emailHash(db.services.env.SESSION_SECRET, user.email);
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const failed = entries.filter((e) => e.msg === 'sign-in failed');
    expect(failed).toHaveLength(LIMIT);
    for (const entry of failed) expect(entry).toMatchObject({ level: 40, ip: from, emailHash: hash });
    const throttled = entries.filter((e) => e.msg === 'sign-in throttled');
    expect(throttled).toEqual([expect.objectContaining({ level: 40, ip: from, emailHash: hash, limit: 'email+ip' })]);
  });
});
