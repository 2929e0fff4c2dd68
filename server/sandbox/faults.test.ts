/**
 * What tests lean on around the protocol: one-shot faults per endpoint, the request log (no
 * secrets), close() with a request pending, routing, and the command line.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOAuthSandbox, type OAuthSandbox, type SandboxProfile, type SandboxRequestRecord } from './oauth-sandbox.js';

const CLIENT = { clientId: 'faults-client', clientSecret: `secret-${randomBytes(8).toString('hex')}` };
const REDIRECT_URI = 'http://localhost:3000/integrations/x/callback';
const profile: SandboxProfile = {
  provider: 'Example',
  accountName: 'Example Org',
  authorizePath: '/authorize',
  scopeSeparator: ' ',
  tokenPath: '/token',
  clientAuthentication: 'client_secret_post',
  tokenPrefix: 'ex_',
  revocation: { path: '/revoke', style: 'bearer' },
  identity: { path: '/me', method: 'GET', answer: { id: 'org-1', name: 'Example Org' } },
  loggedHeaders: ['x-api-version', 'authorization'],
};

let sandbox: OAuthSandbox;
let finished: SandboxRequestRecord[];
beforeEach(async () => {
  finished = [];
  sandbox = await startOAuthSandbox(profile, CLIENT, { onRequest: (record) => finished.push(record) });
});
afterEach(async () => {
  await sandbox.close();
});

const exchange = (code: string, signal?: AbortSignal) =>
  fetch(`${sandbox.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, ...{ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret } }),
    ...(signal ? { signal } : {}),
  });
async function token(): Promise<string> {
  const response = await exchange(sandbox.issueCode(REDIRECT_URI, 's'));
  return String(((await response.json()) as Record<string, unknown>).access_token);
}
const me = (value: string) => fetch(`${sandbox.url}/me`, { headers: { authorization: `Bearer ${value}`, 'x-api-version': '7' } });
const revoke = (value: string) => fetch(`${sandbox.url}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${value}` } });

describe('faults', () => {
  it('status: once, with the error answer or a given body typed by its content; the request did nothing', async () => {
    const value = await token();
    sandbox.faults.next('identity', { status: 502, body: '<html>Bad gateway</html>' });
    sandbox.faults.next('identity', { status: 429, body: '{"error":"slow_down"}' });
    sandbox.faults.next('revoke', { status: 500 });
    const html = await me(value);
    expect([html.status, html.headers.get('content-type'), await html.text()]).toEqual([502, 'text/plain; charset=utf-8', '<html>Bad gateway</html>']);
    const limited = await me(value);
    expect([limited.status, limited.headers.get('content-type')]).toEqual([429, 'application/json; charset=utf-8']);
    expect((await me(value)).status).toBe(200);
    const failed = await revoke(value);
    expect([failed.status, await failed.json()]).toEqual([500, { error: 'server_error', error_description: 'Sandbox fault: HTTP 500' }]);
    expect(sandbox.tokens()[0]?.revoked).toBe(false);
    expect((await revoke(value)).status).toBe(200);
  });

  it('malformedJson: a 200 JSON answer cut off, once per fault, on every endpoint', async () => {
    const value = await token();
    sandbox.faults.next('token', { malformedJson: true });
    sandbox.faults.next('identity', { malformedJson: true });
    sandbox.faults.next('revoke', { malformedJson: true });
    const code = sandbox.issueCode(REDIRECT_URI, 's');
    for (const response of [await exchange(code), await me(value), await revoke(value)]) {
      expect([response.status, response.headers.get('content-type')]).toEqual([200, 'application/json; charset=utf-8']);
      await expect(response.json()).rejects.toThrow(SyntaxError);
    }
    expect((await exchange(code)).status).toBe(200); // the faulted exchange did not use the code
    expect(sandbox.tokens().filter((t) => t.revoked)).toEqual([]);
  });

  it('delay: waits, then answers; a client that gave up still gets the work done, as with a real server', async () => {
    const value = await token();
    sandbox.faults.next('identity', { delayMs: 300 });
    let started = performance.now();
    expect((await me(value)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    started = performance.now();
    expect((await me(value)).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(250);

    sandbox.faults.next('token', { delayMs: 200 });
    await expect(exchange(sandbox.issueCode(REDIRECT_URI, 's'), AbortSignal.timeout(50))).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sandbox.tokens()).toHaveLength(2);
  });

  it('apply to their endpoint only, in order; clear() and reset() drop them; nonsense is refused', async () => {
    const value = await token();
    sandbox.faults.next('token', { status: 500 });
    sandbox.faults.next('identity', { status: 500 });
    sandbox.faults.next('identity', { status: 404 });
    expect((await me(value)).status).toBe(500);
    sandbox.faults.clear();
    expect((await me(value)).status).toBe(200);
    sandbox.faults.next('identity', { status: 500 });
    sandbox.reset();
    expect((await me(value)).status).toBe(401); // forgotten token, not the queued 500
    expect(() => sandbox.faults.next('identity', { status: 99 })).toThrow(RangeError);
    expect(() => sandbox.faults.next('identity', { delayMs: -1 })).toThrow(RangeError);
    expect(() => sandbox.faults.next('identity', { delayMs: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => sandbox.faults.next('me' as 'identity', { status: 500 })).toThrow(TypeError);
  });
});

describe('the request log', () => {
  it('records method, path, scheme, the profile headers and status: no body, query, code, token or credential', async () => {
    await fetch(`${sandbox.url}/authorize?${new URLSearchParams({ client_id: CLIENT.clientId, state: 'secret-state', redirect_uri: REDIRECT_URI, response_type: 'code' }).toString()}`);
    const code = sandbox.issueCode(REDIRECT_URI, 's');
    const value = String(((await (await exchange(code)).json()) as Record<string, unknown>).access_token);
    await me(value);
    expect(sandbox.log.map((r) => [r.method, r.path, r.authorization, r.status])).toEqual([
      ['GET', '/authorize', null, 200],
      ['POST', '/token', null, 200],
      ['GET', '/me', 'bearer', 200],
    ]);
    expect(sandbox.log[1]?.contentType).toBe('application/x-www-form-urlencoded');
    // Listed or not, a credential header is never kept.
    expect(sandbox.log[2]?.headers).toEqual({ 'x-api-version': '7' });
    expect(finished).toEqual(sandbox.log);
    const dump = JSON.stringify(sandbox.log);
    for (const secret of [CLIENT.clientSecret, code, encodeURIComponent(code), value, 'secret-state']) expect(dump).not.toContain(secret);
  });

  it('answers 404 to other paths, a request target naming another host included', async () => {
    for (const path of ['/nope', '//evil.example/me']) {
      const response = await fetch(`${sandbox.url}${path}`, { headers: { authorization: `Bearer ${await token()}` } });
      expect([response.status, await response.json()]).toEqual([404, { error: 'not_found' }]);
    }
    expect((await fetch(`${sandbox.url}/me`, { method: 'POST' })).headers.get('allow')).toBe('GET');
  });
});

it('close() resolves promptly with a delayed request pending, which is dropped', async () => {
  const value = await token();
  sandbox.faults.next('identity', { delayMs: 60_000 });
  const pending = me(value);
  while (!sandbox.log.some((r) => r.path === '/me')) await new Promise((resolve) => setTimeout(resolve, 5));
  const started = performance.now();
  await sandbox.close();
  expect(performance.now() - started).toBeLessThan(1000);
  await expect(pending).rejects.toThrow();
  await expect(sandbox.close()).resolves.toBeUndefined();
});

it('the command line starts a connector profile, prints the URLs, serves, and stops on SIGTERM', async () => {
  const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
  const args = ['--connector', 'intercom', '--port', '0', '--client-id', 'cli-id', '--client-secret', 'cli-secret', '--workspace-name', 'CLI Co'];
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    child.stdout.setEncoding('utf8');
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        const match = /INTERCOM_API_URL=(\S+)/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited early (${code}): ${out}`)));
    });
    expect(out).toMatch(/INTERCOM_OAUTH_URL=http:\/\/127\.0\.0\.1:\d+\/oauth\n/);
    const page = await fetch(`${url}/oauth?${new URLSearchParams({ client_id: 'cli-id', state: 's', redirect_uri: REDIRECT_URI, response_type: 'code' }).toString()}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('CLI Co');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(out).toMatch(/ GET \/oauth 200\n/);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

it('the command line refuses an unknown connector with the usage and exit code 2', async () => {
  const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', cli, '--connector', 'nope', '--client-id', 'a', '--client-secret', 'b'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  expect((await once(child, 'exit'))[0]).toBe(2);
  expect(err).toContain('Usage: tsx server/sandbox/cli.ts');
});
