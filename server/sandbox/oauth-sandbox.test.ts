/** The generic sandbox over real HTTP: consent, codes, PKCE, client authentication, refresh, revocation, identity. */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOAuthSandbox, type OAuthSandbox, type SandboxProfile } from './oauth-sandbox.js';

const CLIENT = { clientId: 'sbx-client', clientSecret: `secret-${randomBytes(8).toString('hex')}` };
const REDIRECT_URI = 'http://localhost:3000/integrations/x/callback?keep=%20this';

const standard: SandboxProfile = {
  provider: 'Example',
  accountName: 'Example Org',
  authorizePath: '/authorize',
  scopeSeparator: ' ',
  tokenPath: '/token',
  clientAuthentication: 'client_secret_basic',
  accessTokenTtlSeconds: 3600,
  refreshTokens: { rotate: true },
  answerScope: true,
  tokenPrefix: 'ex_',
  revocation: { path: '/revoke', style: 'rfc7009' },
  identity: { path: '/me', method: 'GET', answer: { id: 'org-1', name: 'Example Org' } },
};
const bearerStyle: SandboxProfile = {
  ...standard,
  clientAuthentication: 'client_secret_post',
  refreshTokens: { rotate: false },
  revocation: { path: '/revoke', style: 'bearer' },
};

let clock = Date.now();
let sandbox: OAuthSandbox;
let linearish: OAuthSandbox;
beforeAll(async () => {
  sandbox = await startOAuthSandbox(standard, CLIENT, { now: () => clock });
  linearish = await startOAuthSandbox(bearerStyle, CLIENT);
});
afterAll(async () => {
  await sandbox?.close();
  await linearish?.close();
});
beforeEach(() => {
  clock = Date.now();
  sandbox.reset();
  linearish.reset();
});

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const challengeOf = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
const VERIFIER = randomBytes(32).toString('base64url');

function authorizeUrl(s: OAuthSandbox, params: Record<string, string> = {}): string {
  const url = new URL(s.oauthUrl);
  const all = { client_id: CLIENT.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', state: 'st+/=ate', scope: 'read write', ...params };
  for (const [k, v] of Object.entries(all)) url.searchParams.set(k, v);
  return url.toString();
}

/** Opens the consent page and presses a button: the Location the sandbox answers. */
async function consent(s: OAuthSandbox, decision: 'approve' | 'deny', params: Record<string, string> = {}): Promise<URL> {
  const page = await fetch(authorizeUrl(s, params));
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('Example sandbox');
  const consentId = /name="consent" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? '';
  const answer = await fetch(`${s.url}${action}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ consent: consentId, decision }),
  });
  expect(answer.status).toBe(302);
  const location = answer.headers.get('location') ?? '';
  expect(location.startsWith(`${REDIRECT_URI}&`)).toBe(true);
  return new URL(location);
}

async function tokenRequest(s: OAuthSandbox, form: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${s.url}${standard.tokenPath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const exchange = (code: string, verifier: string | null, auth = basic(CLIENT.clientId, CLIENT.clientSecret)) =>
  tokenRequest(sandbox, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, ...(verifier ? { code_verifier: verifier } : {}) }, { authorization: auth });

async function approvedCode(): Promise<string> {
  const back = await consent(sandbox, 'approve', { code_challenge: challengeOf(VERIFIER), code_challenge_method: 'S256' });
  return back.searchParams.get('code') ?? '';
}

describe('consent page', () => {
  it('approve sends the code with the exact state; deny sends access_denied', async () => {
    const approved = await consent(sandbox, 'approve');
    expect(approved.searchParams.get('state')).toBe('st+/=ate');
    expect(approved.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(approved.searchParams.get('keep')).toBe(' this');
    const denied = await consent(sandbox, 'deny');
    expect([...denied.searchParams.keys()]).toEqual(['keep', 'error', 'state']);
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('st+/=ate');
    expect(sandbox.tokens()).toEqual([]);
  });

  it('refuses an unknown client, a malformed redirect_uri, a missing state and a plain challenge', async () => {
    const refused: Record<string, string>[] = [
      { client_id: 'someone-else' },
      { redirect_uri: 'not a url' },
      { redirect_uri: 'http://localhost/cb#frag' },
      { state: '' },
      { code_challenge: challengeOf(VERIFIER), code_challenge_method: 'plain' },
    ];
    for (const params of refused) {
      expect((await fetch(authorizeUrl(sandbox, params))).status, JSON.stringify(params)).toBe(400);
    }
  });
});

describe('token endpoint', () => {
  it('verifies PKCE: a wrong or missing verifier is refused, the right one gets tokens', async () => {
    expect(await exchange(await approvedCode(), randomBytes(32).toString('base64url'))).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    expect(await exchange(await approvedCode(), null)).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    const ok = await exchange(await approvedCode(), VERIFIER);
    expect(ok).toEqual({
      status: 200,
      body: { access_token: expect.stringMatching(/^ex_at_/), token_type: 'Bearer', expires_in: 3600, refresh_token: expect.stringMatching(/^ex_rt_/), scope: 'read write' },
    });
  });

  it('a code works once; a replay is refused and ends what the code issued', async () => {
    const code = await approvedCode();
    expect((await exchange(code, VERIFIER)).status).toBe(200);
    expect(sandbox.tokens().every((t) => !t.revoked)).toBe(true);
    expect(await exchange(code, VERIFIER)).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    expect(sandbox.tokens().map((t) => t.revoked)).toEqual([true, true]);
  });

  it('a code expires after 10 minutes', async () => {
    const code = await approvedCode();
    clock += 10 * 60 * 1000 + 1;
    expect(await exchange(code, VERIFIER)).toEqual({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses client authentication other than the profile says, and a wrong secret', async () => {
    const code = await approvedCode();
    expect(await exchange(code, VERIFIER, basic(CLIENT.clientId, 'wrong'))).toEqual({ status: 401, body: { error: 'invalid_client' } });
    // The right secret, in the form body: this profile takes client_secret_basic only.
    const posted = await tokenRequest(sandbox, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: VERIFIER, ...{ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret } });
    expect(posted).toEqual({ status: 401, body: { error: 'invalid_client' } });
    expect(sandbox.tokens()).toEqual([]);
    // And the other way round for a client_secret_post profile.
    const viaBasic = await fetch(`${linearish.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT_URI }),
    });
    expect(viaBasic.status).toBe(401);
  });

  it('rotates refresh tokens; the old one is refused with invalid_grant and its reuse ends the grant', async () => {
    const first = (await exchange(await approvedCode(), VERIFIER)).body;
    const auth = { authorization: basic(CLIENT.clientId, CLIENT.clientSecret) };
    const refreshed = await tokenRequest(sandbox, { grant_type: 'refresh_token', refresh_token: String(first.refresh_token) }, auth);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).toMatch(/^ex_rt_/);
    expect(refreshed.body.refresh_token).not.toBe(first.refresh_token);
    expect(refreshed.body.access_token).not.toBe(first.access_token);
    expect(await tokenRequest(sandbox, { grant_type: 'refresh_token', refresh_token: String(first.refresh_token) }, auth)).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    // The reuse revoked the whole grant: the rotated-in token is refused as well.
    expect(await tokenRequest(sandbox, { grant_type: 'refresh_token', refresh_token: String(refreshed.body.refresh_token) }, auth)).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    expect(sandbox.tokens().every((t) => t.revoked)).toBe(true);
  });

  it('without rotation the refresh token stays valid: absent from the refresh answer, or repeated unchanged with `echo`', async () => {
    for (const refreshTokens of [{ rotate: false }, { rotate: false, echo: true }]) {
      const s = await startOAuthSandbox({ ...standard, refreshTokens }, CLIENT);
      try {
        const back = await consent(s, 'approve');
        const auth = { authorization: basic(CLIENT.clientId, CLIENT.clientSecret) };
        const first = (await tokenRequest(s, { grant_type: 'authorization_code', code: back.searchParams.get('code') ?? '', redirect_uri: REDIRECT_URI }, auth)).body;
        for (let i = 0; i < 2; i += 1) {
          const refreshed = await tokenRequest(s, { grant_type: 'refresh_token', refresh_token: String(first.refresh_token) }, auth);
          expect(refreshed.status).toBe(200);
          expect(refreshed.body.refresh_token).toBe(refreshTokens.echo ? first.refresh_token : undefined);
        }
        expect(s.tokens().filter((t) => t.kind === 'refresh')).toHaveLength(1);
        expect(s.tokens().some((t) => t.revoked)).toBe(false);
      } finally {
        await s.close();
      }
    }
  });

  it('answers an injected fault once, and logs no secret', async () => {
    sandbox.faults.next('token', { status: 500 });
    const code = await approvedCode();
    expect(await exchange(code, VERIFIER)).toEqual({ status: 500, body: { error: 'server_error', error_description: 'Sandbox fault: HTTP 500' } });
    expect((await exchange(code, VERIFIER)).status).toBe(200);
    expect(sandbox.log.filter((r) => r.path === '/token').map((r) => [r.status, r.authorization])).toEqual([[500, 'basic'], [200, 'basic']]);
    const logged = JSON.stringify(sandbox.log);
    for (const secret of [code, CLIENT.clientSecret, VERIFIER, ...sandbox.tokens().map((t) => t.token)]) expect(logged).not.toContain(secret);
  });
});

describe('identity and revocation', () => {
  it('identity answers a live token only: not a missing, revoked or expired one', async () => {
    const { access_token: token } = (await exchange(await approvedCode(), VERIFIER)).body;
    const me = (value?: string) => fetch(`${sandbox.url}/me`, { headers: value ? { authorization: `Bearer ${value}` } : {} });
    expect((await me()).status).toBe(401);
    const ok = await me(String(token));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ id: 'org-1', name: 'Example Org' });
    expect(sandbox.tokens().find((t) => t.kind === 'access')?.identityCalls).toBe(1);
    clock += 3600 * 1000;
    expect((await me(String(token))).status).toBe(401);
  });

  it('RFC 7009: client authentication required, unknown tokens are fine, a refresh token ends its grant', async () => {
    const body = (await exchange(await approvedCode(), VERIFIER)).body;
    const revoke = (form: Record<string, string>, auth = basic(CLIENT.clientId, CLIENT.clientSecret)) =>
      fetch(`${sandbox.url}/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth }, body: new URLSearchParams(form) });
    expect((await revoke({ token: String(body.refresh_token) }, basic(CLIENT.clientId, 'wrong'))).status).toBe(401);
    expect((await revoke({ token: 'never-issued' })).status).toBe(200);
    expect(sandbox.tokens().some((t) => t.revoked)).toBe(false);
    expect((await revoke({ token: String(body.refresh_token), token_type_hint: 'refresh_token' })).status).toBe(200);
    expect(sandbox.tokens().map((t) => [t.kind, t.revoked])).toEqual([['refresh', true], ['access', true]]);
  });

  it('RFC 7009 with refreshTokensOnly: an access token is refused with 400 and stays live; the refresh token ends the grant', async () => {
    const s = await startOAuthSandbox({ ...standard, revocation: { path: '/revoke', style: 'rfc7009', refreshTokensOnly: true } }, CLIENT);
    try {
      const back = await consent(s, 'approve');
      const auth = { authorization: basic(CLIENT.clientId, CLIENT.clientSecret) };
      const body = (await tokenRequest(s, { grant_type: 'authorization_code', code: back.searchParams.get('code') ?? '', redirect_uri: REDIRECT_URI }, auth)).body;
      const revoke = (token: string) =>
        fetch(`${s.url}/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth }, body: new URLSearchParams({ token }) });
      const refused = await revoke(String(body.access_token));
      expect([refused.status, await refused.json()]).toEqual([400, { error: 'invalid_request', error_description: 'Send the refresh token: access tokens are not accepted' }]);
      expect(s.tokens().some((t) => t.revoked)).toBe(false);
      expect((await revoke('never-issued')).status).toBe(200);
      expect((await revoke(String(body.refresh_token))).status).toBe(200);
      expect(s.tokens().map((t) => t.revoked)).toEqual([true, true]);
    } finally {
      await s.close();
    }
  });

  it('bearer-style revocation: 200 and the grant ends, then 400 for the same token, 401 for an unknown one', async () => {
    const back = await consent(linearish, 'approve', { code_challenge: challengeOf(VERIFIER), code_challenge_method: 'S256' });
    const exchanged = await fetch(`${linearish.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: back.searchParams.get('code') ?? '', redirect_uri: REDIRECT_URI, code_verifier: VERIFIER, ...CLIENT_FORM }),
    });
    const token = String(((await exchanged.json()) as Record<string, unknown>).access_token);
    const revoke = (value: string) => fetch(`${linearish.url}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${value}` } });
    expect((await revoke(token)).status).toBe(200);
    expect(linearish.tokens().map((t) => t.revoked)).toEqual([true, true]);
    expect((await revoke(token)).status).toBe(400);
    expect((await revoke('never-issued')).status).toBe(401);
  });
});

const CLIENT_FORM = { client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret };
