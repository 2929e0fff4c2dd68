/**
 * The sandbox's optional profile fields that Google needs, over real HTTP: a consent screen
 * whose scopes can be unticked, refresh tokens only for offline access on a first consent or
 * with prompt=consent, an ID token, and revocation by a `token` without client authentication.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOAuthSandbox, type OAuthSandbox, type SandboxProfile } from './oauth-sandbox.js';

const CLIENT = { clientId: 'sbx-google-options', clientSecret: `secret-${randomBytes(8).toString('hex')}` };
const REDIRECT_URI = 'http://localhost:3000/integrations/x/callback';
const profile: SandboxProfile = {
  provider: 'Example',
  accountName: 'someone@example.test',
  authorizePath: '/auth',
  scopeSeparator: ' ',
  tokenPath: '/token',
  clientAuthentication: 'client_secret_post',
  accessTokenTtlSeconds: 3599,
  refreshTokens: { rotate: false, offlineConsent: true },
  answerScope: true,
  scopeChoice: { fixed: ['openid', 'email'] },
  idToken: { claims: { sub: 'u-1', email: 'someone@example.test' } },
  tokenPrefix: 'opt_',
  revocation: { path: '/revoke', style: 'token' },
  identity: { path: '/userinfo', method: 'GET', answer: { sub: 'u-1' } },
};

let sandbox: OAuthSandbox;
beforeAll(async () => {
  sandbox = await startOAuthSandbox(profile, CLIENT);
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(() => sandbox.reset());

/** Consent with `grant` ticked (the page's checkboxes), then the code exchange's answer. */
async function authorize(params: Record<string, string>, grant: string[]): Promise<{ html: string; answer: Record<string, unknown> }> {
  const url = new URL(sandbox.oauthUrl);
  for (const [k, v] of Object.entries({ client_id: CLIENT.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', state: 'state-1', scope: 'openid email drive', ...params })) {
    url.searchParams.set(k, v);
  }
  const html = await (await fetch(url)).text();
  const form = new URLSearchParams({ consent: /name="consent" value="([^"]+)"/.exec(html)?.[1] ?? '', decision: 'approve' });
  for (const scope of grant) form.append('grant', scope);
  const decision = await fetch(`${sandbox.url}/auth/decision`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
  const code = new URL(decision.headers.get('location') ?? '').searchParams.get('code') ?? '';
  const token = await fetch(`${sandbox.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret }),
  });
  expect(token.status).toBe(200);
  return { html, answer: (await token.json()) as Record<string, unknown> };
}

const revoke = (body: string, query = '') =>
  fetch(`${sandbox.url}/revoke${query}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });

describe('optional sandbox behaviours', () => {
  it('scopeChoice: only the non-fixed scopes are checkboxes, ticked; the grant holds what stayed ticked', async () => {
    const { html, answer } = await authorize({ access_type: 'offline' }, []);
    expect([...html.matchAll(/<input type="checkbox"[^>]* name="grant" value="([^"]+)" checked>/g)].map((m) => m[1])).toEqual(['drive']);
    expect(html).toContain('<label for="grant-0">drive</label>');
    expect(answer.scope).toBe('openid email');
    expect((await authorize({ access_type: 'offline' }, ['drive'])).answer.scope).toBe('openid email drive');
    // A scope that was not asked for cannot be granted by adding it to the form.
    expect((await authorize({ access_type: 'offline', scope: 'openid email' }, ['drive'])).answer.scope).toBe('openid email');
  });

  it('offlineConsent: a refresh token for access_type=offline on the first consent, or with prompt=consent; never otherwise', async () => {
    expect((await authorize({}, ['drive'])).answer.refresh_token).toBeUndefined();
    sandbox.reset();
    expect((await authorize({ access_type: 'offline' }, ['drive'])).answer.refresh_token).toEqual(expect.any(String));
    expect((await authorize({ access_type: 'offline' }, ['drive'])).answer.refresh_token).toBeUndefined();
    expect((await authorize({ access_type: 'offline', prompt: 'select_account consent' }, ['drive'])).answer.refresh_token).toEqual(expect.any(String));
  });

  it('idToken: an RS256 JWT from the sandbox for the client, when openid is granted', async () => {
    const { answer } = await authorize({ access_type: 'offline' }, []);
    const [header, payload, signature] = String(answer.id_token).split('.');
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toMatchObject({ alg: 'RS256' });
    expect(JSON.parse(Buffer.from(payload ?? '', 'base64url').toString())).toMatchObject({ iss: sandbox.url, aud: CLIENT.clientId, sub: 'u-1', email: 'someone@example.test' });
    expect(signature).toMatch(/^[A-Za-z0-9_-]{300,}$/);
    expect((await authorize({ access_type: 'offline', scope: 'drive' }, ['drive'])).answer.id_token).toBeUndefined();
  });

  it('token revocation: no client authentication, the form or the query; 200 ends the grant, then 400 invalid_token', async () => {
    const { answer } = await authorize({ access_type: 'offline' }, ['drive']);
    const access = String(answer.access_token);
    expect((await revoke(new URLSearchParams({ token: String(answer.refresh_token) }).toString())).status).toBe(200);
    expect(sandbox.tokens().every((t) => t.revoked)).toBe(true);
    const again = await revoke('', `?token=${encodeURIComponent(access)}`);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: 'invalid_token' });
    expect((await revoke('token=unknown')).status).toBe(400);
    expect((await revoke('')).status).toBe(400);
    expect((await fetch(`${sandbox.url}/userinfo`, { headers: { authorization: `Bearer ${access}` } })).status).toBe(401);
  });
});
