import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startIntercomSandbox, type IntercomSandbox, type IntercomSandboxOptions } from './sandbox.js';

const CLIENT_ID = 'client-123';
const CLIENT_SECRET = 'secret-456';
const REDIRECT_URI = 'http://127.0.0.1:3000/connectors/intercom/callback';
const VERSION = '2.11';

let sandbox: IntercomSandbox;
let clock: number;

async function start(extra: Partial<IntercomSandboxOptions> = {}): Promise<IntercomSandbox> {
  return startIntercomSandbox({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    workspace: { idCode: 'abc12345', name: 'Acme Support', region: 'Europe' },
    admin: { id: '4242', name: 'Ada Admin', email: 'ada@acme.test' },
    now: () => clock,
    ...extra,
  });
}

beforeEach(async () => {
  clock = Date.parse('2026-01-01T00:00:00Z');
  sandbox = await start();
});

afterEach(async () => {
  await sandbox.close();
});

function consentUrl(params: Record<string, string>): string {
  return `${sandbox.oauthUrl}?${new URLSearchParams(params).toString()}`;
}

async function decide(
  decision: 'approve' | 'deny',
  state = 'st-1',
  redirectUri = REDIRECT_URI,
): Promise<Response> {
  return fetch(`${sandbox.url}/oauth/decision`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: CLIENT_ID, state, redirect_uri: redirectUri, decision }),
  });
}

/** Approve through the consent form and return the code exactly as the callback would parse it. */
async function approvedCode(state = 'st-1'): Promise<string> {
  const res = await decide('approve', state);
  const code = new URL(res.headers.get('location') ?? '').searchParams.get('code');
  if (code === null) throw new Error('no code in redirect');
  return code;
}

async function exchangeForm(fields: Record<string, string>): Promise<Response> {
  return fetch(`${sandbox.apiUrl}/auth/eagle/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(fields),
  });
}

async function exchangeJson(fields: Record<string, string>): Promise<Response> {
  return fetch(`${sandbox.apiUrl}/auth/eagle/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(fields),
  });
}

async function tokenFor(code: string): Promise<string> {
  const res = await exchangeForm({ code, client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { token: string };
  return body.token;
}

async function getMe(token: string): Promise<Response> {
  return fetch(`${sandbox.apiUrl}/me`, {
    headers: { authorization: `Bearer ${token}`, 'intercom-version': VERSION, accept: 'application/json' },
  });
}

async function uninstall(token: string): Promise<Response> {
  return fetch(`${sandbox.apiUrl}/auth/uninstall`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'intercom-version': VERSION },
  });
}

const unauthorized = (message: string) => ({ type: 'error.list', errors: [{ code: 'unauthorized', message }] });

describe('consent page', () => {
  it('renders a labelled, self-contained page with Approve and Deny in a plain form', async () => {
    const res = await fetch(
      consentUrl({ client_id: CLIENT_ID, state: 'st-1', redirect_uri: REDIRECT_URI, response_type: 'code' }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; form-action *",
    );
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    expect(html).toContain('Intercom sandbox');
    expect(html).toContain('Acme Support');
    expect(html).toContain('Plugboard');
    expect(html).toMatch(/<form method="post" action="\/oauth\/decision">/);
    expect(html).toMatch(/<button type="submit" name="decision" value="approve"[^>]*>Approve<\/button>/);
    expect(html).toMatch(/<button type="submit" name="decision" value="deny"[^>]*>Deny<\/button>/);
    expect(html).not.toMatch(/<script|<link|src=/i);
  });

  it('escapes everything it echoes', async () => {
    const state = '<script>alert(1)</script>"\'&';
    const res = await fetch(consentUrl({ client_id: CLIENT_ID, state, redirect_uri: `${REDIRECT_URI}?x="a"` }));
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('<script>');
    expect(html).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"');
    expect(html).toContain(`value="${REDIRECT_URI}?x=&quot;a&quot;"`);
  });

  it('escapes a hostile workspace name', async () => {
    await sandbox.close();
    sandbox = await start({ workspace: { idCode: 'x1', name: '<img src=x onerror=alert(1)>' } });
    const html = await (await fetch(consentUrl({ client_id: CLIENT_ID, state: 's', redirect_uri: REDIRECT_URI }))).text();
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it.each([
    ['an unknown client_id', { client_id: 'nope', state: 's', redirect_uri: REDIRECT_URI }, 'Unknown client_id'],
    ['a missing client_id', { state: 's', redirect_uri: REDIRECT_URI }, 'Unknown client_id'],
    ['a missing state', { client_id: CLIENT_ID, redirect_uri: REDIRECT_URI }, 'Missing state'],
    ['a missing redirect_uri', { client_id: CLIENT_ID, state: 's' }, 'Invalid redirect_uri'],
    ['a relative redirect_uri', { client_id: CLIENT_ID, state: 's', redirect_uri: '/callback' }, 'Invalid redirect_uri'],
    [
      'a javascript: redirect_uri',
      { client_id: CLIENT_ID, state: 's', redirect_uri: 'javascript:alert(1)' },
      'Invalid redirect_uri',
    ],
    [
      'a redirect_uri with a fragment',
      { client_id: CLIENT_ID, state: 's', redirect_uri: `${REDIRECT_URI}#frag` },
      'Invalid redirect_uri',
    ],
    [
      'a redirect_uri with a newline',
      { client_id: CLIENT_ID, state: 's', redirect_uri: `${REDIRECT_URI}\nx` },
      'Invalid redirect_uri',
    ],
    [
      'a response_type other than code',
      { client_id: CLIENT_ID, state: 's', redirect_uri: REDIRECT_URI, response_type: 'token' },
      'Unsupported response_type',
    ],
  ])('answers 400 for %s', async (_label, params, message) => {
    const res = await fetch(consentUrl(params));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await res.text()).toContain(message);
  });
});

describe('decision', () => {
  it('approve redirects with a code ending in "=" and the state', async () => {
    const res = await decide('approve', 'st-<1>');
    expect(res.status).toBe(302);
    const location = res.headers.get('location') ?? '';
    expect(location.startsWith(`${REDIRECT_URI}?code=`)).toBe(true);
    // The `=` is percent-encoded on the wire, so a client that decodes once gets it back exactly.
    expect(location).toMatch(/code=[^&]+%3D%3D&/);
    const params = new URL(location).searchParams;
    expect(params.get('code')).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(params.get('state')).toBe('st-<1>');
    expect(params.has('error')).toBe(false);
  });

  it('keeps the query string of the redirect_uri exactly', async () => {
    const res = await decide('approve', 's', `${REDIRECT_URI}?tenant=a%20b&flag`);
    const location = res.headers.get('location') ?? '';
    expect(location.startsWith(`${REDIRECT_URI}?tenant=a%20b&flag&code=`)).toBe(true);
    expect(new URL(location).searchParams.get('tenant')).toBe('a b');
  });

  it('deny redirects with error=access_denied and the state, and no code', async () => {
    const res = await decide('deny', 'st-2');
    expect(res.status).toBe(302);
    const params = new URL(res.headers.get('location') ?? '').searchParams;
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('error_description')).toBeTruthy();
    expect(params.get('state')).toBe('st-2');
    expect(params.has('code')).toBe(false);
  });

  it('rejects a decision that is neither approve nor deny, or for another client', async () => {
    const bad = await fetch(`${sandbox.url}/oauth/decision`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ client_id: CLIENT_ID, state: 's', redirect_uri: REDIRECT_URI, decision: 'maybe' }),
    });
    expect(bad.status).toBe(400);
    const other = await fetch(`${sandbox.url}/oauth/decision`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ client_id: 'other', state: 's', redirect_uri: REDIRECT_URI, decision: 'approve' }),
    });
    expect(other.status).toBe(400);
    expect(await other.text()).toContain('Unknown client_id');
  });
});

describe('token exchange', () => {
  it('exchanges a code sent as a form', async () => {
    const code = await approvedCode();
    const res = await exchangeForm({ code, client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'token', 'token_type']);
    expect(body.token_type).toBe('Bearer');
    expect(body.token).toMatch(/^dG9r[A-Za-z0-9_-]{43}$/);
    expect(body.access_token).toBe(body.token);
    expect(sandbox.tokens()).toEqual([{ token: body.token, revoked: false }]);
  });

  it('exchanges a code sent as JSON', async () => {
    const code = await approvedCode();
    const res = await exchangeJson({ code, client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; access_token: string };
    expect(body.access_token).toBe(body.token);
  });

  it('accepts a code only once: the second use is 401 "Unauthorized Code"', async () => {
    const code = await approvedCode();
    const fields = { code, client_id: CLIENT_ID, client_secret: CLIENT_SECRET };
    expect((await exchangeForm(fields)).status).toBe(200);
    const again = await exchangeJson(fields);
    expect(again.status).toBe(401);
    expect(await again.json()).toEqual(unauthorized('Unauthorized Code'));
  });

  it('rejects a code that lost its trailing "=" (what a sloppy client sends)', async () => {
    const code = await approvedCode();
    const res = await exchangeForm({ code: code.replace(/=+$/, ''), client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual(unauthorized('Unauthorized Code'));
    // The real code is still good.
    expect((await exchangeForm({ code, client_id: CLIENT_ID, client_secret: CLIENT_SECRET })).status).toBe(200);
  });

  it('rejects a wrong secret with 401 and does not burn the code', async () => {
    const code = await approvedCode();
    const res = await exchangeForm({ code, client_id: CLIENT_ID, client_secret: 'wrong' });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { type: string; errors: { code: string; message: string }[] };
    expect(body.type).toBe('error.list');
    expect(body.errors[0]?.code).toBe('unauthorized');
    expect((await exchangeForm({ code, client_id: 'other', client_secret: CLIENT_SECRET })).status).toBe(401);
    expect((await exchangeForm({ code, client_id: CLIENT_ID, client_secret: CLIENT_SECRET })).status).toBe(200);
  });

  it('expires codes after 10 minutes', async () => {
    const fresh = await approvedCode();
    const stale = await approvedCode();
    clock += 10 * 60 * 1000 - 1;
    expect((await exchangeForm({ code: fresh, client_id: CLIENT_ID, client_secret: CLIENT_SECRET })).status).toBe(200);
    clock += 1;
    const res = await exchangeForm({ code: stale, client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual(unauthorized('Unauthorized Code'));
  });

  it('checks redirect_uri when the client sends one', async () => {
    const code = sandbox.issueCode(REDIRECT_URI, 'st');
    const wrong = await exchangeForm({
      code,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uri: 'http://127.0.0.1:3000/elsewhere',
    });
    expect(wrong.status).toBe(401);
    const right = await exchangeForm({ code, client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uri: REDIRECT_URI });
    expect(right.status).toBe(200);
  });

  it('answers 415 to other content types and 400 to missing fields or bad JSON', async () => {
    const code = await approvedCode();
    const text = await fetch(`${sandbox.apiUrl}/auth/eagle/token`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: `code=${code}`,
    });
    expect(text.status).toBe(415);
    const missing = await exchangeForm({ code, client_id: CLIENT_ID });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({
      type: 'error.list',
      errors: [{ code: 'parameter_not_found', message: 'client_secret is required' }],
    });
    const badJson = await fetch(`${sandbox.apiUrl}/auth/eagle/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: '{"code":',
    });
    expect(badJson.status).toBe(400);
    const tooBig = await exchangeForm({ code, client_id: CLIENT_ID, client_secret: 'x'.repeat(70_000) });
    expect(tooBig.status).toBe(413);
    // None of these consumed the code.
    expect((await exchangeForm({ code, client_id: CLIENT_ID, client_secret: CLIENT_SECRET })).status).toBe(200);
  });

  it('issueCode mints a code usable without the consent page', async () => {
    const code = sandbox.issueCode(REDIRECT_URI, 'st');
    expect(code.endsWith('=')).toBe(true);
    expect(await tokenFor(code)).toMatch(/^dG9r/);
    expect(() => sandbox.issueCode('/relative', 'st')).toThrow(TypeError);
    expect(() => sandbox.issueCode(REDIRECT_URI, '')).toThrow(TypeError);
  });
});

describe('/me and uninstall', () => {
  it('returns the admin and the workspace for a valid token, and logs Intercom-Version', async () => {
    const token = await tokenFor(await approvedCode());
    const res = await getMe(token);
    expect(res.status).toBe(200);
    const me = (await res.json()) as {
      type: string;
      id: string;
      email: string;
      name: string;
      email_verified: boolean;
      has_inbox_seat: boolean;
      app: Record<string, unknown>;
    };
    expect(me).toMatchObject({
      type: 'admin',
      id: '4242',
      email: 'ada@acme.test',
      name: 'Ada Admin',
      email_verified: true,
      has_inbox_seat: true,
    });
    expect(me.app).toMatchObject({
      type: 'app',
      id_code: 'abc12345',
      name: 'Acme Support',
      region: 'Europe',
      secure: true,
      identity_verification: false,
      timezone: 'Europe/Dublin',
    });
    expect(typeof me.app.created_at).toBe('number');
    expect(sandbox.log.at(-1)).toMatchObject({ method: 'GET', path: '/me', intercomVersion: VERSION, status: 200 });
  });

  it('applies the default workspace when none is given', async () => {
    await sandbox.close();
    sandbox = await start({ workspace: undefined });
    const me = (await (await getMe(await tokenFor(sandbox.issueCode(REDIRECT_URI, 's')))).json()) as {
      app: { id_code: string; name: string; region: string };
    };
    expect(me.app.id_code).toMatch(/^sbx[a-z0-9]{5}$/);
    expect(me.app.name).toBe('Sandbox Workspace');
    expect(me.app.region).toBe('US');
  });

  it('answers 401 "Access Token Invalid" without a token or with an unknown one', async () => {
    const none = await fetch(`${sandbox.apiUrl}/me`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual(unauthorized('Access Token Invalid'));
    const unknown = await getMe('dG9rnope');
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toEqual(unauthorized('Access Token Invalid'));
  });

  it('uninstall revokes the token: /me and a second uninstall are then 401', async () => {
    const token = await tokenFor(await approvedCode());
    const res = await uninstall(token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expect(sandbox.tokens()).toEqual([{ token, revoked: true }]);
    const me = await getMe(token);
    expect(me.status).toBe(401);
    expect(await me.json()).toEqual(unauthorized('Access Token Invalid'));
    expect((await uninstall(token)).status).toBe(401);
  });
});

describe('routing, log and reset', () => {
  it('answers 404 JSON to anything else', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['GET', '/auth/eagle/token'],
      ['POST', '/me'],
      ['GET', '//evil.example/me'],
    ] as const) {
      const res = await fetch(`${sandbox.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      const body = (await res.json()) as { type: string; errors: { code: string }[] };
      expect(body.type).toBe('error.list');
      expect(body.errors[0]?.code).toBe('not_found');
    }
  });

  it('logs every request without bodies, queries, codes, tokens or secrets', async () => {
    await fetch(consentUrl({ client_id: CLIENT_ID, state: 'secret-state', redirect_uri: REDIRECT_URI }));
    const code = await approvedCode();
    const token = await tokenFor(code);
    await getMe(token);
    expect(sandbox.log.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /oauth',
      'POST /oauth/decision',
      'POST /auth/eagle/token',
      'GET /me',
    ]);
    expect(sandbox.log[2]).toMatchObject({ contentType: 'application/x-www-form-urlencoded', status: 200 });
    expect(sandbox.log[0]?.contentType).toBeNull();
    expect(sandbox.log[0]?.at).toBe('2026-01-01T00:00:00.000Z');
    const dump = JSON.stringify(sandbox.log);
    for (const secret of [CLIENT_SECRET, code, encodeURIComponent(code), token, 'secret-state']) {
      expect(dump).not.toContain(secret);
    }
  });

  it('reset() forgets codes, tokens, faults and the log', async () => {
    const code = sandbox.issueCode(REDIRECT_URI, 's');
    const token = await tokenFor(sandbox.issueCode(REDIRECT_URI, 's'));
    sandbox.faults.next('me', { status: 500 });
    sandbox.reset();
    expect(sandbox.log).toEqual([]);
    expect(sandbox.tokens()).toEqual([]);
    expect((await exchangeForm({ code, client_id: CLIENT_ID, client_secret: CLIENT_SECRET })).status).toBe(401);
    expect((await getMe(token)).status).toBe(401); // 401, not the queued 500
  });
});

describe('faults', () => {
  it('status: answers once with the status and a default Intercom error, then clears', async () => {
    sandbox.faults.next('token', { status: 503 });
    const code = await approvedCode();
    const fields = { code, client_id: CLIENT_ID, client_secret: CLIENT_SECRET };
    const faulted = await exchangeForm(fields);
    expect(faulted.status).toBe(503);
    expect(await faulted.json()).toEqual({
      type: 'error.list',
      errors: [{ code: 'server_error', message: 'Sandbox fault: HTTP 503' }],
    });
    // The faulted call did not consume the code.
    expect((await exchangeForm(fields)).status).toBe(200);
  });

  it('status: sends a given body, typed by its content', async () => {
    const token = await tokenFor(sandbox.issueCode(REDIRECT_URI, 's'));
    sandbox.faults.next('me', { status: 502, body: '<html>Bad gateway</html>' });
    sandbox.faults.next('me', { status: 429, body: '{"type":"error.list"}' });
    const html = await getMe(token);
    expect(html.status).toBe(502);
    expect(html.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await html.text()).toBe('<html>Bad gateway</html>');
    const limited = await getMe(token);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await getMe(token)).status).toBe(200);
  });

  it('delay: waits, answers normally once, then clears', async () => {
    const token = await tokenFor(sandbox.issueCode(REDIRECT_URI, 's'));
    sandbox.faults.next('me', { delayMs: 300 });
    let started = performance.now();
    expect((await getMe(token)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    started = performance.now();
    expect((await getMe(token)).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(250);
  });

  it('delay: a client that gives up (timeout) does not break the sandbox; the exchange still happens', async () => {
    sandbox.faults.next('token', { delayMs: 200 });
    const code = sandbox.issueCode(REDIRECT_URI, 's');
    const fields = { code, client_id: CLIENT_ID, client_secret: CLIENT_SECRET };
    await expect(
      fetch(`${sandbox.apiUrl}/auth/eagle/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(fields),
        signal: AbortSignal.timeout(50),
      }),
    ).rejects.toThrow();
    // Like a real server, the sandbox finishes the work the client stopped waiting for.
    await new Promise((r) => setTimeout(r, 250));
    expect(sandbox.tokens()).toHaveLength(1);
    const retry = await exchangeJson(fields);
    expect(retry.status).toBe(401);
    expect(await retry.json()).toEqual(unauthorized('Unauthorized Code'));
  });

  it('malformedJson: 200 with an application/json body that does not parse, once', async () => {
    const token = await tokenFor(sandbox.issueCode(REDIRECT_URI, 's'));
    sandbox.faults.next('uninstall', { malformedJson: true });
    const broken = await uninstall(token);
    expect(broken.status).toBe(200);
    expect(broken.headers.get('content-type')).toMatch(/^application\/json/);
    await expect(broken.json()).rejects.toThrow(SyntaxError);
    // The faulted call did not revoke the token; the next one does.
    expect(sandbox.tokens()[0]?.revoked).toBe(false);
    expect((await uninstall(token)).status).toBe(200);
    expect(sandbox.tokens()[0]?.revoked).toBe(true);
  });

  it('malformedJson on the token endpoint looks like a cut-off token answer', async () => {
    sandbox.faults.next('token', { malformedJson: true });
    const code = sandbox.issueCode(REDIRECT_URI, 's');
    const res = await exchangeJson({ code, client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"token_type": "Bearer", ');
    expect((await exchangeJson({ code, client_id: CLIENT_ID, client_secret: CLIENT_SECRET })).status).toBe(200);
  });

  it('faults apply to their endpoint only, in order, and clear() drops them', async () => {
    const token = await tokenFor(sandbox.issueCode(REDIRECT_URI, 's'));
    sandbox.faults.next('token', { status: 500 });
    sandbox.faults.next('me', { status: 500 });
    sandbox.faults.next('me', { status: 404 });
    expect((await getMe(token)).status).toBe(500);
    sandbox.faults.clear();
    expect((await getMe(token)).status).toBe(200);
    expect((await tokenFor(sandbox.issueCode(REDIRECT_URI, 's'))).length).toBeGreaterThan(4);
  });

  it('refuses nonsense faults', () => {
    expect(() => sandbox.faults.next('me', { status: 99 })).toThrow(RangeError);
    expect(() => sandbox.faults.next('me', { delayMs: -1 })).toThrow(RangeError);
    expect(() => sandbox.faults.next('me', { delayMs: Number.POSITIVE_INFINITY })).toThrow(RangeError);
  });
});

describe('close()', () => {
  it('resolves promptly with a delayed request pending, and the client sees the connection drop', async () => {
    const token = await tokenFor(sandbox.issueCode(REDIRECT_URI, 's'));
    sandbox.faults.next('me', { delayMs: 60_000 });
    const pending = getMe(token);
    // Wait until the request has reached the sandbox (it is logged on arrival).
    while (!sandbox.log.some((r) => r.path === '/me')) await new Promise((r) => setTimeout(r, 5));
    const started = performance.now();
    await sandbox.close();
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(pending).rejects.toThrow();
    await expect(sandbox.close()).resolves.toBeUndefined(); // idempotent
  });
});

describe('standalone', () => {
  it('starts from the command line, prints the URLs, serves, and stops on SIGTERM', async () => {
    const script = fileURLToPath(new URL('./sandbox.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', script, '--port', '0', '--client-id', 'cli-id', '--client-secret', 'cli-secret'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
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
      expect(out).toMatch(/INTERCOM_OAUTH_URL=http:\/\/127\.0\.0\.1:\d+\/oauth/);
      const res = await fetch(`${url}/oauth?${new URLSearchParams({ client_id: 'cli-id', state: 's', redirect_uri: REDIRECT_URI }).toString()}`);
      expect(res.status).toBe(200);
      await res.text();
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
