/**
 * Google's shared definition driven by the real engine (oauth4webapi) against its sandbox, no
 * database: the refresh token rules behind `access_type=offline&prompt=consent`, the ID token's
 * issuer, the scope names Google answers, and the revoke and identify hooks' answers.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseEnv } from '../../env.js';
import { resolveOAuthConfig, type OAuthClientConfig } from '../../oauth/config.js';
import { authorizationUrl, exchangeCode, hookContext, refreshTokens } from '../../oauth/engine.js';
import { startOAuthSandbox, type OAuthSandbox } from '../../sandbox/oauth-sandbox.js';
import { SecretValue } from '../../secrets/secret-value.js';
import { googleDrive } from '../google-drive/definition.js';
import { googleEmail } from '../google-email/definition.js';
import type { ConnectorDefinition, OAuthSpec, ProviderCallContext } from '../types.js';
import { USERINFO_EMAIL } from './oauth.js';
import { GOOGLE_SANDBOX_USER, googleSandboxProfile } from './sandbox-profile.js';

const definition = googleDrive as ConnectorDefinition & { oauth: OAuthSpec<string> };
const spec = definition.oauth;
const CLIENT = { clientId: 'drive-unit.apps.googleusercontent.com', clientSecret: randomBytes(12).toString('hex') };
const PKCE_SECRET = 'pkce-secret-for-the-google-definition-test';
const TIMEOUT = 5000;
const env = { ...parseEnv({ NODE_ENV: 'test', APP_URL: 'http://localhost:3000' }), SESSION_SECRET: 'x'.repeat(40) };
type Configured = OAuthClientConfig & { clientId: string; clientSecret: SecretValue };

let sandbox: OAuthSandbox;
let config: Configured;
beforeAll(async () => {
  sandbox = (await spec.sandbox?.(CLIENT)) as OAuthSandbox;
  config = resolveOAuthConfig(definition, env, { client: CLIENT, server: sandbox }) as Configured;
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(() => sandbox.reset());

/** The engine's consent URL (with the spec's parameters replaced by `params`), approved at `server`, exchanged by the engine. */
async function connect(params: Record<string, string> = spec.authorizeParams ?? {}, server = sandbox, client: Configured = config) {
  const configured = { ...client, spec: { ...client.spec, authorizeParams: params } };
  const state = randomBytes(32).toString('base64url');
  const html = await (await fetch(await authorizationUrl(configured, state, PKCE_SECRET))).text();
  const consent = /name="consent" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const form = new URLSearchParams({ consent, decision: 'approve' });
  for (const m of html.matchAll(/name="grant" value="([^"]+)" checked/g)) form.append('grant', m[1] ?? '');
  const answer = await fetch(`${server.url}/o/oauth2/v2/auth/decision`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  const back = new URL(answer.headers.get('location') ?? '');
  return exchangeCode(configured, { code: back.searchParams.get('code') ?? '', state }, PKCE_SECRET, TIMEOUT);
}

const failure = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error);

describe('Google definition', () => {
  it('Drive and Gmail share everything but their scope and keys', () => {
    const drive = googleDrive.oauth!;
    const gmail = googleEmail.oauth!;
    expect(drive.scopes).toEqual(['openid', 'email', 'https://www.googleapis.com/auth/drive.readonly']);
    expect(gmail.scopes).toEqual(['openid', 'email', 'https://www.googleapis.com/auth/gmail.readonly']);
    for (const oauth of [drive, gmail]) {
      expect(oauth.endpoints).toEqual({
        authorize: 'https://accounts.google.com/o/oauth2/v2/auth',
        token: 'https://oauth2.googleapis.com/token',
        revoke: 'https://oauth2.googleapis.com/revoke',
      });
      expect(oauth).toMatchObject({ authorizeParams: { access_type: 'offline', prompt: 'consent' }, pkce: true, clientAuthentication: 'client_secret_post', scopeSeparator: ' ' });
      expect(oauth.docsUrl).toBe('https://developers.google.com/identity/protocols/oauth2/web-server');
    }
    expect(Object.keys(googleEmail.keys).every((k) => k.startsWith('GOOGLE_EMAIL_'))).toBe(true);
  });

  it('expects ID tokens from https://accounts.google.com (not the token endpoint origin) in production', () => {
    const production = resolveOAuthConfig(definition, env);
    expect(production.issuer).toBe('https://accounts.google.com');
    expect(production.apiUrl).toBe('https://openidconnect.googleapis.com');
  });

  it('stores the `email` scope under the name asked, though Google answers it by its long name', () => {
    const normalize = spec.normalizeTokenAnswer!;
    expect(normalize({ access_token: 'a', token_type: 'Bearer', scope: `openid ${USERINFO_EMAIL} https://www.googleapis.com/auth/drive.readonly` })).toMatchObject({
      scope: 'openid email https://www.googleapis.com/auth/drive.readonly',
    });
    expect(normalize({ access_token: 'a', token_type: 'Bearer' })).toEqual({ access_token: 'a', token_type: 'Bearer' });
  });
});

describe('Google definition against its sandbox', () => {
  it('the code exchange gives an hour-long token, a refresh token, the granted scopes and an ID token the engine accepts; the account is the email', async () => {
    const tokens = await connect();
    expect(tokens.refreshToken).not.toBeNull();
    expect(tokens.scopes).toEqual(['openid', 'email', 'https://www.googleapis.com/auth/drive.readonly']);
    expect((tokens.expiresAt?.getTime() ?? 0) - Date.now()).toBeGreaterThan(3500_000);
    expect(await spec.identify(hookContext(config, 'identify', tokens.accessToken, TIMEOUT))).toEqual({
      id: GOOGLE_SANDBOX_USER.sub,
      name: GOOGLE_SANDBOX_USER.email,
      approvedBy: GOOGLE_SANDBOX_USER.email,
    });
  });

  it('a refresh answer carries no refresh token: the engine says so (null), and the old one keeps working', async () => {
    const first = await connect();
    const second = await refreshTokens(config, first.refreshToken!, TIMEOUT);
    expect(second.refreshToken).toBeNull();
    expect(second.accessToken.reveal()).not.toBe(first.accessToken.reveal());
    expect(second.scopes).toEqual(first.scopes);
    const third = await refreshTokens(config, first.refreshToken!, TIMEOUT);
    expect(third.refreshToken).toBeNull();
  });

  it('why access_type=offline and prompt=consent: without them there is no refresh token (or only on the first consent)', async () => {
    expect((await connect({})).refreshToken).toBeNull();
    sandbox.reset();
    expect((await connect({ access_type: 'offline' })).refreshToken).not.toBeNull();
    // A second consent without prompt=consent: Google issues no new refresh token.
    expect((await connect({ access_type: 'offline' })).refreshToken).toBeNull();
    // With prompt=consent every consent gives one.
    expect((await connect({ access_type: 'offline', prompt: 'consent' })).refreshToken).not.toBeNull();
  });

  it('an ID token from another issuer is refused', async () => {
    const profile = googleSandboxProfile('Google Drive');
    const other = await startOAuthSandbox({ ...profile, idToken: { claims: { ...profile.idToken?.claims, iss: 'https://oauth2.googleapis.com' } } }, CLIENT);
    try {
      const otherConfig = resolveOAuthConfig(definition, env, { client: CLIENT, server: other }) as Configured;
      expect(await failure(connect(spec.authorizeParams, other, otherConfig))).toMatchObject({ step: 'token', failure: 'malformed_response' });
    } finally {
      await other.close();
    }
  });

  it('behind PROVIDER_ORIGIN_OVERRIDES (the sandbox CLI), the sandbox signs as Google and the production configuration connects', async () => {
    const standIn = await startOAuthSandbox(googleSandboxProfile('Google Drive', { asGoogle: true }), CLIENT);
    try {
      const overrides = ['https://accounts.google.com', 'https://oauth2.googleapis.com', 'https://openidconnect.googleapis.com'].map((o) => `${o}=${standIn.url}`).join(',');
      const production = resolveOAuthConfig(
        definition,
        { ...parseEnv({ NODE_ENV: 'test', APP_URL: 'http://localhost:3000', PROVIDER_ORIGIN_OVERRIDES: overrides, GOOGLE_DRIVE_CLIENT_ID: CLIENT.clientId, GOOGLE_DRIVE_CLIENT_SECRET: CLIENT.clientSecret }), SESSION_SECRET: 'x'.repeat(40) },
      ) as Configured;
      expect(production.issuer).toBe('https://accounts.google.com');
      const tokens = await connect(spec.authorizeParams, standIn, production);
      expect(tokens.refreshToken).not.toBeNull();
      expect(await spec.identify(hookContext(production, 'identify', tokens.accessToken, TIMEOUT))).toMatchObject({ name: GOOGLE_SANDBOX_USER.email });
    } finally {
      await standIn.close();
    }
  });

  it('revoke: the refresh token (ends the whole grant), then already_revoked for Google\'s 400 invalid_token', async () => {
    const tokens = await connect();
    const revoke = spec.revoke;
    if (typeof revoke !== 'function') throw new Error('Google revokes with a hook');
    const ctx = hookContext(config, 'revoke', tokens.accessToken, TIMEOUT, tokens.refreshToken);
    expect(await revoke(ctx)).toBe('revoked');
    expect(sandbox.tokens().every((t) => t.revoked)).toBe(true);
    expect(await revoke(ctx)).toBe('already_revoked');
    expect(sandbox.log.filter((r) => r.path === '/revoke').map((r) => r.status)).toEqual([200, 400]);
    expect(await failure(spec.identify(hookContext(config, 'identify', tokens.accessToken, TIMEOUT)))).toMatchObject({ step: 'identify', status: 401 });
  });

  it('revoke sends `token` in a form; a 400 other than invalid_token and a 500 throw', async () => {
    const bodies: string[] = [];
    const answers = [new Response('', { status: 200 }), Response.json({ error: 'invalid_request' }, { status: 400 }), new Response('', { status: 503 })];
    const ctx: ProviderCallContext = {
      apiUrl: 'https://openidconnect.googleapis.com',
      settings: {},
      accessToken: new SecretValue('access'),
      refreshToken: new SecretValue('refresh'),
      revokeUrl: 'https://oauth2.googleapis.com/revoke',
      fetch: async (url, init) => {
        expect(url).toBe('https://oauth2.googleapis.com/revoke');
        expect(new Headers(init?.headers).get('content-type')).toBe('application/x-www-form-urlencoded');
        bodies.push(String(init?.body));
        return answers.shift()!;
      },
    };
    const revoke = spec.revoke as (c: ProviderCallContext) => Promise<string>;
    expect(await revoke(ctx)).toBe('revoked');
    expect(await failure(revoke(ctx))).toMatchObject({ step: 'revoke', status: 400 });
    expect(await failure(revoke({ ...ctx, refreshToken: null }))).toMatchObject({ step: 'revoke', status: 503 });
    expect(bodies).toEqual(['token=refresh', 'token=refresh', 'token=access']);
  });

  it('refuses a userinfo answer without the email', async () => {
    const ctx = { apiUrl: sandbox.apiUrl, settings: {}, accessToken: new SecretValue('x'), fetch: async () => Response.json({ sub: '1' }) };
    expect(await failure(spec.identify(ctx))).toMatchObject({ step: 'identify', failure: 'malformed_response' });
  });
});
