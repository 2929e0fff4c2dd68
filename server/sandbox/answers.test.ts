/**
 * The profile capabilities that let one sandbox play providers that bend RFC 6749: form or JSON
 * token bodies (with Basic client authentication too, as Notion), a reshaped token answer
 * (Intercom's `token`, Salesforce's `instance_url`, no `token_type`), errors in a 200 (Slack),
 * the minimal code exchange and base64 codes (Intercom).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startOAuthSandbox, type OAuthSandbox, type SandboxProfile } from './oauth-sandbox.js';

const CLIENT = { clientId: 'answers-client', clientSecret: `secret-${randomBytes(8).toString('hex')}` };
const REDIRECT_URI = 'http://localhost:3000/integrations/x/callback';
const BASIC = `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`;

const base: SandboxProfile = {
  provider: 'Example',
  accountName: 'Example Org',
  authorizePath: '/authorize',
  scopeSeparator: ' ',
  tokenPath: '/token',
  clientAuthentication: 'client_secret_post',
  tokenPrefix: 'ex_',
  revocation: { path: '/revoke', style: 'bearer' },
  identity: { path: '/me', method: 'GET', answer: { id: 'org-1' } },
};

const started: OAuthSandbox[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});
async function start(overrides: Partial<SandboxProfile>): Promise<OAuthSandbox> {
  const sandbox = await startOAuthSandbox({ ...base, ...overrides }, CLIENT);
  started.push(sandbox);
  return sandbox;
}

async function post(sandbox: OAuthSandbox, body: Record<string, string> | string, headers: Record<string, string> = {}) {
  const json = typeof body === 'string' || headers['content-type'] === 'application/json';
  const response = await fetch(`${sandbox.url}/token`, {
    method: 'POST',
    headers: { 'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded', ...headers },
    body: typeof body === 'string' ? body : json ? JSON.stringify(body) : new URLSearchParams(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const grant = (code: string) => ({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
const posted = (code: string) => ({ ...grant(code), client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret });

describe('token request bodies', () => {
  it('a form-only profile refuses JSON; a form-and-JSON profile takes the same fields either way', async () => {
    const formOnly = await start({});
    const code = formOnly.issueCode(REDIRECT_URI, 's');
    expect(await post(formOnly, posted(code), { 'content-type': 'application/json' })).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'Content-Type must be application/x-www-form-urlencoded' },
    });
    expect((await post(formOnly, posted(code))).status).toBe(200);

    const both = await start({ tokenRequestBodies: ['form', 'json'] });
    expect((await post(both, posted(both.issueCode(REDIRECT_URI, 's')))).status).toBe(200);
    const viaJson = await post(both, posted(both.issueCode(REDIRECT_URI, 's')), { 'content-type': 'application/json' });
    expect(viaJson).toEqual({ status: 200, body: { access_token: expect.stringMatching(/^ex_at_/), token_type: 'Bearer' } });
  });

  it('JSON with HTTP Basic client authentication (Notion); a form is refused and does not burn the code', async () => {
    const notion = await start({ clientAuthentication: 'client_secret_basic', tokenRequestBodies: ['json'] });
    const code = notion.issueCode(REDIRECT_URI, 's');
    expect((await post(notion, grant(code), { authorization: BASIC })).status).toBe(400);
    expect(await post(notion, grant(code), { authorization: BASIC, 'content-type': 'application/json' })).toMatchObject({ status: 200 });
    // The secret in the JSON body instead of the header is another client authentication: refused.
    const other = notion.issueCode(REDIRECT_URI, 's');
    expect(await post(notion, posted(other), { 'content-type': 'application/json' })).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it('refuses JSON that does not parse, is not an object, or holds a non-string field', async () => {
    const both = await start({ tokenRequestBodies: ['json'] });
    const code = both.issueCode(REDIRECT_URI, 's');
    expect((await post(both, '{"code":')).body).toEqual({ error: 'invalid_request', error_description: 'The body is not valid JSON' });
    expect((await post(both, '["code"]')).status).toBe(400);
    expect((await post(both, JSON.stringify({ ...posted(code), code: 42 }))).body.error_description).toBe('code must be a string');
    const tooBig = await post(both, { ...posted(code), padding: 'x'.repeat(70_000) }, { 'content-type': 'application/json' });
    expect(tooBig.status).toBe(413);
    // None of these consumed the code.
    expect((await post(both, posted(code), { 'content-type': 'application/json' })).status).toBe(200);
  });
});

describe('required headers (Notion-Version)', () => {
  const version = [{ name: 'x-api-version', value: '2026-03-11', error: 'missing_version' }];

  it('token, identity and revocation refuse a request without the exact value, before reading it; with it they answer', async () => {
    const pinned = await start({ requiredHeaders: version, loggedHeaders: ['x-api-version'] });
    const code = pinned.issueCode(REDIRECT_URI, 's');
    expect(await post(pinned, posted(code))).toEqual({
      status: 400,
      body: { error: 'missing_version', error_description: 'The x-api-version header must be 2026-03-11' },
    });
    expect((await post(pinned, posted(code), { 'x-api-version': '2022-06-28' })).status).toBe(400);
    // The code was not spent by the refusals.
    const answer = await post(pinned, posted(code), { 'x-api-version': '2026-03-11' });
    expect(answer.status).toBe(200);
    const bearer = { authorization: `Bearer ${String(answer.body.access_token)}` };
    expect((await fetch(`${pinned.url}/me`, { headers: bearer })).status).toBe(400);
    expect((await fetch(`${pinned.url}/me`, { headers: { ...bearer, 'x-api-version': '2026-03-11' } })).status).toBe(200);
    expect((await fetch(`${pinned.url}/revoke`, { method: 'POST', headers: bearer })).status).toBe(400);
    expect(pinned.tokens().every((t) => !t.revoked)).toBe(true);
    expect(pinned.log.map((r) => [r.path, r.status, r.headers['x-api-version'] ?? null])).toEqual([
      ['/token', 400, null],
      ['/token', 400, '2022-06-28'],
      ['/token', 200, '2026-03-11'],
      ['/me', 400, null],
      ['/me', 200, '2026-03-11'],
      ['/revoke', 400, null],
    ]);
  });
});

describe('RFC 7009 revocation that ends the grant (Notion)', () => {
  async function revoke(sandbox: OAuthSandbox, token: string) {
    return fetch(`${sandbox.url}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret }),
    });
  }

  it('without endsGrant, revoking the access token leaves the refresh token; with it, the whole grant ends', async () => {
    const rfc = { style: 'rfc7009', path: '/revoke' } as const;
    for (const [endsGrant, refreshRevoked] of [[false, false], [true, true]] as const) {
      const sandbox = await start({ refreshTokens: { rotate: true }, revocation: { ...rfc, endsGrant } });
      const tokens = (await post(sandbox, posted(sandbox.issueCode(REDIRECT_URI, 's')))).body;
      expect((await revoke(sandbox, String(tokens.access_token))).status).toBe(200);
      expect(sandbox.tokens().map((t) => [t.kind, t.revoked])).toEqual([
        ['refresh', refreshRevoked],
        ['access', true],
      ]);
    }
  });
});

describe('answers shaped by the profile', () => {
  it('tokenAnswer adds fields or drops token_type', async () => {
    const salesforce = await start({ tokenAnswer: (standard) => ({ ...standard, instance_url: 'https://example.my.salesforce.com' }) });
    expect((await post(salesforce, posted(salesforce.issueCode(REDIRECT_URI, 's')))).body).toEqual({
      access_token: expect.stringMatching(/^ex_at_/),
      token_type: 'Bearer',
      instance_url: 'https://example.my.salesforce.com',
    });
    const bare = await start({ tokenAnswer: ({ access_token }) => ({ access_token }) });
    expect(Object.keys((await post(bare, posted(bare.issueCode(REDIRECT_URI, 's')))).body)).toEqual(['access_token']);
  });

  it('errorAnswer signals errors in a 200 (Slack); an injected status fault keeps its status', async () => {
    const slack = await start({
      tokenAnswer: (standard) => ({ ok: true, ...standard }),
      errorAnswer: ({ error }) => ({ status: 200, body: { ok: false, error } }),
    });
    expect(await post(slack, posted('never-issued'))).toEqual({ status: 200, body: { ok: false, error: 'invalid_grant' } });
    expect(await post(slack, { ...posted('x'), client_secret: 'wrong' })).toEqual({ status: 200, body: { ok: false, error: 'invalid_client' } });
    const me = await fetch(`${slack.url}/me`, { headers: { authorization: 'Bearer nope' } });
    expect([me.status, await me.json()]).toEqual([200, { ok: false, error: 'invalid_token' }]);
    slack.faults.next('token', { status: 503 });
    expect(await post(slack, posted(slack.issueCode(REDIRECT_URI, 's')))).toEqual({ status: 503, body: { ok: false, error: 'server_error' } });
    expect((await post(slack, posted(slack.issueCode(REDIRECT_URI, 's')))).body.ok).toBe(true);
  });
});

describe('the minimal code exchange and base64 codes (Intercom)', () => {
  it('without minimalCodeExchange, grant_type and redirect_uri are required', async () => {
    const strict = await start({});
    const code = strict.issueCode(REDIRECT_URI, 's');
    const { grant_type: _grantType, redirect_uri: _redirect, ...bare } = posted(code);
    expect((await post(strict, bare)).body).toEqual({ error: 'unsupported_grant_type' });
    expect((await post(strict, { ...bare, grant_type: 'authorization_code' })).body).toEqual({ error: 'invalid_grant' });
  });

  it('with it, code and client suffice; a redirect_uri that is sent must match', async () => {
    const minimal = await start({ minimalCodeExchange: true, codeEncoding: 'base64' });
    const code = minimal.issueCode(REDIRECT_URI, 's');
    expect(code).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    const bare = { code, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret };
    expect((await post(minimal, { ...bare, code: code.replace(/=+$/, '') })).status).toBe(400);
    expect((await post(minimal, bare)).status).toBe(200);
    const other = minimal.issueCode(REDIRECT_URI, 's');
    expect((await post(minimal, { ...bare, code: other, redirect_uri: 'http://localhost:3000/elsewhere' })).status).toBe(400);
  });

  it('issueCode refuses what the consent page would', async () => {
    const sandbox = await start({});
    expect(() => sandbox.issueCode('/relative', 's')).toThrow(TypeError);
    expect(() => sandbox.issueCode(`${REDIRECT_URI}#x`, 's')).toThrow(TypeError);
    expect(() => sandbox.issueCode(REDIRECT_URI, '')).toThrow(TypeError);
  });
});
