import { existsSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { ServerBuild } from '@remix-run/node';
import { afterAll, beforeAll } from 'vitest';
import { createHttpApp } from '../../server/http/app.js';
import { testServices, type TestDatabase } from './database.js';
import { captureLogs } from './logs.js';

export interface TestHttpApp {
  /** `http://127.0.0.1:<port>`, also the app's APP_URL unless `env` names another. */
  base: string;
  logs: ReturnType<typeof captureLogs>;
}

export async function loadServerBuild(): Promise<ServerBuild> {
  const buildFile = path.resolve('build/index.js');
  if (!existsSync(buildFile)) throw new Error('Run `npx remix build` first (npm test does).');
  return (await import(pathToFileURL(buildFile).href)) as ServerBuild;
}

/**
 * The real HTTP app (createHttpApp, the Remix build, the test database) on a loopback port,
 * for the duration of a test file. `env` overrides the test environment (APP_URL, ...).
 */
export function useHttpApp(
  db: TestDatabase,
  env: (base: string) => Record<string, string> = () => ({}),
  options: { publicDir?: () => string } = {},
): TestHttpApp {
  let server: Server | undefined;
  const handle = { base: '', logs: captureLogs() };
  beforeAll(async () => {
    const build = await loadServerBuild();
    // Listen first: APP_URL must be the origin the requests come from (Remix checks it too).
    server = createServer();
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server!.once('listening', resolve));
    handle.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const app = createHttpApp({
      services: testServices(db.orm, handle.logs.logger, { APP_URL: handle.base, ...env(handle.base) }),
      build,
      publicDir: options.publicDir?.() ?? path.resolve('public'),
      formActionOrigins: ['https://app.intercom.com'],
    });
    server.on('request', app);
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });
  return handle;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A request through node:http, for what fetch hides: a streamed (chunked) body of any size, a
 * Content-Length that is a lie. Resolves with the answer even when the server stops reading
 * the body early; `body` may be a Buffer (sent with its length) or chunks (sent chunked).
 */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | Iterable<Buffer> | AsyncIterable<Buffer> },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(url, { method: options.method ?? 'POST', headers: options.headers }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const body = options.body;
    if (body === undefined) return void req.end();
    if (Buffer.isBuffer(body)) return void req.end(body);
    Readable.from(body)
      .on('error', () => req.destroy())
      .pipe(req);
  });
}

/** `total` bytes of `x`, in 64 KB chunks made on demand (so the sender holds almost nothing). */
export function* bytes(total: number, fill = 'x'): Generator<Buffer> {
  const chunk = Buffer.alloc(64 * 1024, fill);
  for (let sent = 0; sent < total; sent += chunk.length) yield total - sent >= chunk.length ? chunk : chunk.subarray(0, total - sent);
}
