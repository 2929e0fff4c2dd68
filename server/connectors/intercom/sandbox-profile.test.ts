/** The generic sandbox playing Intercom, over real HTTP: what the Intercom suites rely on. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOAuthSandbox, type OAuthSandbox } from '../../sandbox/oauth-sandbox.js';
import { intercomSandboxProfile, type IntercomSandboxOptions } from './sandbox-profile.js';

const CLIENT = { clientId: 'client-123', clientSecret: 'secret-456' };
const REDIRECT_URI = 'http://127.0.0.1:3000/integrations/intercom/callback';
const OPTIONS: IntercomSandboxOptions = {
  workspace: { idCode: 'abc12345', name: 'Acme Support', region: 'Europe' },
  admin: { id: '4242', name: 'Ada Admin', email: 'ada@acme.test' },
};

let sandbox: OAuthSandbox;
const start = (options: IntercomSandboxOptions = OPTIONS) => startOAuthSandbox(intercomSandboxProfile(options), CLIENT);
beforeEach(async () => {
  sandbox = await start();
});
afterEach(async () => {
  await sandbox.close();
});

const unauthorized = (message: string) => ({ type: 'error.list', errors: [{ code: 'unauthorized', message }] });
const credentials = { client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret };

async function exchange(fields: Record<string, string>, as: 'form' | 'json' = 'form') {
  const response = await fetch(`${sandbox.apiUrl}/auth/eagle/token`, {
    method: 'POST',
    headers: { 'content-type': as === 'form' ? 'application/x-www-form-urlencoded' : 'application/json', accept: 'application/json' },
    body: as === 'form' ? new URLSearchParams(fields) : JSON.stringify(fields),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
async function tokenFor(code: string): Promise<string> {
  const { status, body } = await exchange({ code, ...credentials });
  expect(status).toBe(200);
  return String(body.token);
}
const getMe = (token?: string) =>
  fetch(`${sandbox.apiUrl}/me`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'intercom-version': '2.11', accept: 'application/json' } });
const uninstall = (token: string) => fetch(`${sandbox.apiUrl}/auth/uninstall`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'intercom-version': '2.11' } });

/** Opens the consent page as the engine would send the browser there, and presses `decision`. */
async function consent(decision: 'approve' | 'deny', redirectUri = REDIRECT_URI): Promise<URL> {
  const query = new URLSearchParams({ client_id: CLIENT.clientId, redirect_uri: redirectUri, response_type: 'code', state: 'st-<1>' });
  const html = await (await fetch(`${sandbox.oauthUrl}?${query.toString()}`)).text();
  expect(html).toContain('Intercom sandbox');
  expect(html).toContain('Plugboard wants to access your Intercom workspace Acme Support');
  expect(html).toMatch(/<form method="post" action="\/oauth\/decision">/);
  const consentId = /name="consent" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const answer = await fetch(`${sandbox.url}/oauth/decision`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ consent: consentId, decision }),
  });
  expect(answer.status).toBe(302);
  return new URL(answer.headers.get('location') ?? '');
}

describe('consent', () => {
  it('approve sends a code ending in "==", percent-encoded, and the exact state; deny sends access_denied', async () => {
    const back = await consent('approve');
    expect(back.href).toMatch(/code=[^&]+%3D%3D&/);
    expect(back.searchParams.get('code')).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(back.searchParams.get('state')).toBe('st-<1>');
    const denied = await consent('deny');
    expect([denied.searchParams.get('error'), denied.searchParams.has('code')]).toEqual(['access_denied', false]);
  });

  it('escapes a hostile workspace name', async () => {
    await sandbox.close();
    sandbox = await start({ workspace: { name: '<img src=x onerror=alert(1)>' } });
    const query = new URLSearchParams({ client_id: CLIENT.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', state: 's' });
    const html = await (await fetch(`${sandbox.oauthUrl}?${query.toString()}`)).text();
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('token exchange', () => {
  it('answers {token_type, token, access_token} to a form or JSON, without grant_type or redirect_uri', async () => {
    const form = await exchange({ code: (await consent('approve')).searchParams.get('code') ?? '', ...credentials });
    expect(form.status).toBe(200);
    expect(Object.keys(form.body).sort()).toEqual(['access_token', 'token', 'token_type']);
    expect(form.body).toEqual({ token_type: 'Bearer', token: expect.stringMatching(/^dG9r[A-Za-z0-9_-]{43}/), access_token: form.body.token });
    const json = await exchange({ code: sandbox.issueCode(REDIRECT_URI, 's'), ...credentials, redirect_uri: REDIRECT_URI }, 'json');
    expect(json.body.access_token).toBe(json.body.token);
    expect(sandbox.tokens().map((t) => [t.kind, t.revoked])).toEqual([['access', false], ['access', false]]);
  });

  it('"Unauthorized Code" (401) for a stripped, used or mismatched code', async () => {
    const code = sandbox.issueCode(REDIRECT_URI, 's');
    expect(await exchange({ code: code.replace(/=+$/, ''), ...credentials })).toEqual({ status: 401, body: unauthorized('Unauthorized Code') });
    expect((await exchange({ code, ...credentials })).status).toBe(200);
    expect(await exchange({ code, ...credentials }, 'json')).toEqual({ status: 401, body: unauthorized('Unauthorized Code') });
    const other = sandbox.issueCode(REDIRECT_URI, 's');
    expect(await exchange({ code: other, ...credentials, redirect_uri: 'http://127.0.0.1:3000/elsewhere' })).toEqual({ status: 401, body: unauthorized('Unauthorized Code') });
  });

  it('a wrong client is 401 and does not burn the code; a missing code or bad JSON is 400 error.list', async () => {
    const code = sandbox.issueCode(REDIRECT_URI, 's');
    expect(await exchange({ code, ...credentials, client_secret: 'wrong' })).toEqual({ status: 401, body: unauthorized('Invalid client_id or client_secret') });
    expect((await exchange({ code, ...credentials, client_id: 'other' })).status).toBe(401);
    expect(await exchange(credentials)).toEqual({ status: 400, body: { type: 'error.list', errors: [{ code: 'parameter_not_found', message: 'code is required' }] } });
    const badJson = await fetch(`${sandbox.apiUrl}/auth/eagle/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"code":' });
    expect([badJson.status, ((await badJson.json()) as { type: string }).type]).toEqual([400, 'error.list']);
    expect((await exchange({ code, ...credentials })).status).toBe(200);
  });
});

describe('/me and uninstall', () => {
  it('/me answers the admin and the workspace; the log keeps Intercom-Version', async () => {
    const response = await getMe(await tokenFor(sandbox.issueCode(REDIRECT_URI, 's')));
    expect(response.status).toBe(200);
    const me = (await response.json()) as Record<string, unknown> & { app: Record<string, unknown> };
    expect(me).toMatchObject({ type: 'admin', id: '4242', email: 'ada@acme.test', name: 'Ada Admin', email_verified: true, has_inbox_seat: true });
    expect(me.app).toMatchObject({ type: 'app', id_code: 'abc12345', name: 'Acme Support', region: 'Europe', secure: true, timezone: 'Europe/Dublin' });
    expect(typeof me.app.created_at).toBe('number');
    expect(sandbox.log.at(-1)).toMatchObject({ method: 'GET', path: '/me', headers: { 'intercom-version': '2.11' }, status: 200 });
  });

  it('defaults the workspace when none is given', async () => {
    await sandbox.close();
    sandbox = await start({});
    const me = (await (await getMe(await tokenFor(sandbox.issueCode(REDIRECT_URI, 's')))).json()) as { app: Record<string, unknown>; id: string };
    expect(me.app).toMatchObject({ id_code: expect.stringMatching(/^sbx[a-z0-9]{5}$/), name: 'Sandbox Workspace', region: 'US' });
    expect(me.id).toMatch(/^\d{7}$/);
  });

  it('"Access Token Invalid" without a token or with an unknown one', async () => {
    for (const response of [await getMe(), await getMe('dG9rnope')]) {
      expect([response.status, await response.json()]).toEqual([401, unauthorized('Access Token Invalid')]);
    }
  });

  it('uninstall revokes the token: 200 {}, then /me and a second uninstall are 401', async () => {
    const token = await tokenFor(sandbox.issueCode(REDIRECT_URI, 's'));
    const first = await uninstall(token);
    expect([first.status, await first.json()]).toEqual([200, {}]);
    expect(sandbox.tokens().map((t) => t.revoked)).toEqual([true]);
    expect((await getMe(token)).status).toBe(401);
    const again = await uninstall(token);
    expect([again.status, await again.json()]).toEqual([401, unauthorized('Access Token Invalid')]);
  });
});

describe('faults and routing, the Intercom way', () => {
  it('a status fault without a body answers an Intercom error; malformedJson cuts a token answer', async () => {
    sandbox.faults.next('token', { status: 503 });
    sandbox.faults.next('token', { malformedJson: true });
    const code = sandbox.issueCode(REDIRECT_URI, 's');
    expect(await exchange({ code, ...credentials })).toEqual({ status: 503, body: { type: 'error.list', errors: [{ code: 'server_error', message: 'Sandbox fault: HTTP 503' }] } });
    const cut = await fetch(`${sandbox.apiUrl}/auth/eagle/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, ...credentials }) });
    expect(await cut.text()).toMatch(/^\{"token_type":"Bearer",/);
    expect((await exchange({ code, ...credentials })).status).toBe(200);
  });

  it('answers 404 error.list to anything else', async () => {
    const response = await fetch(`${sandbox.url}/nope`);
    expect([response.status, await response.json()]).toEqual([404, { type: 'error.list', errors: [{ code: 'not_found', message: 'not_found' }] }]);
  });
});
