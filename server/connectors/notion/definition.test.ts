/**
 * Notion's definition driven by the real engine (oauth4webapi) against its sandbox, no database:
 * the authorize URL, the code exchange as JSON with HTTP Basic and Notion-Version (and what the
 * sandbox refuses instead), the token answer's learned values and their schemas, rotation as
 * the engine sees it, and the identify hook's checks.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveOAuthConfig, type OAuthClientConfig } from '../../oauth/config.js';
import { authorizationUrl, exchangeCode, hookContext, refreshTokens, revokeWithRfc7009 } from '../../oauth/engine.js';
import { ProviderError } from '../../oauth/provider-error.js';
import { revokeAtProvider } from '../../oauth/revoke.js';
import { parseLearnedValues } from '../settings.js';
import { parseEnv } from '../../env.js';
import type { OAuthSandbox } from '../../sandbox/oauth-sandbox.js';
import { SecretValue } from '../../secrets/secret-value.js';
import type { ConnectorDefinition, OAuthSpec } from '../types.js';
import { NOTION_API_VERSION, notion } from './definition.js';
import { NOTION_SANDBOX_WORKSPACE as WORKSPACE } from './sandbox-profile.js';

const definition = notion as ConnectorDefinition & { oauth: OAuthSpec<string> };
const spec = definition.oauth;
// Notion's client ids are UUIDs: their hyphens must reach the provider unescaped.
const CLIENT = { clientId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', clientSecret: `secret_${randomBytes(12).toString('hex')}` };
const PKCE_SECRET = 'pkce-secret-for-the-notion-definition-test';
const TIMEOUT = 5000;
const LEARNED = { workspaceId: WORKSPACE.id, workspaceName: WORKSPACE.name, workspaceIcon: WORKSPACE.icon, botId: WORKSPACE.botId, ownerType: 'user' };

type Config = OAuthClientConfig & { clientId: string; clientSecret: SecretValue };
let sandbox: OAuthSandbox;
let config: Config;
/** The same client with parts of the spec changed: what the sandbox refuses. */
const variant = (changes: Partial<OAuthSpec<string>>): Config => ({ ...config, spec: { ...spec, ...changes } });

beforeAll(async () => {
  sandbox = (await spec.sandbox?.(CLIENT)) as OAuthSandbox;
  const env = { ...parseEnv({ NODE_ENV: 'test', APP_URL: 'http://localhost:3000' }), SESSION_SECRET: 'x'.repeat(40) };
  config = resolveOAuthConfig(definition, env, { client: CLIENT, server: sandbox }) as Config;
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(() => sandbox.reset());

/** A code approved on the sandbox's consent page for the engine's authorize URL. */
async function approvedCode(state: string, with_ = config): Promise<string> {
  const html = await (await fetch(await authorizationUrl(with_, state, PKCE_SECRET))).text();
  const consent = /name="consent" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const answer = await fetch(`${sandbox.url}/v1/oauth/authorize/decision`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ consent, decision: 'approve' }),
  });
  return new URL(answer.headers.get('location') ?? '').searchParams.get('code') ?? '';
}

async function connect(with_ = config) {
  const state = randomBytes(32).toString('base64url');
  return exchangeCode(with_, { code: await approvedCode(state, with_), state }, PKCE_SECRET, TIMEOUT);
}

const failure = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error);
const tokenCalls = () => sandbox.log.filter((r) => r.path === '/v1/oauth/token');

describe('Notion definition against its sandbox', () => {
  it('asks with owner=user and response_type=code, no scope and no PKCE', async () => {
    const url = new URL(await authorizationUrl(config, 'the-state', PKCE_SECRET));
    expect(`${url.origin}${url.pathname}`).toBe(`${sandbox.url}/v1/oauth/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: CLIENT.clientId,
      redirect_uri: 'http://localhost:3000/integrations/notion/callback',
      response_type: 'code',
      state: 'the-state',
      owner: 'user',
    });
  });

  it('exchanges the code as JSON with HTTP Basic and Notion-Version; the answer names the workspace and bot', async () => {
    const tokens = await connect();
    expect(tokens.tokenType).toBe('Bearer');
    expect(tokens.refreshToken?.reveal()).toMatch(/^ntn_sbx_rt_/);
    // No expires_in in Notion's answer, no scopes either.
    expect(tokens.expiresAt).toBeNull();
    expect(tokens.scopes).toBeNull();
    expect(tokens.learned).toEqual(LEARNED);
    expect(tokenCalls().map((r) => [r.status, r.contentType, r.authorization, r.headers['notion-version']])).toEqual([
      [200, 'application/json', 'basic', NOTION_API_VERSION],
    ]);

    const identifyAt = { ...config, connectionSettings: tokens.learned };
    expect(await spec.identify(hookContext(identifyAt, 'identify', tokens.accessToken, TIMEOUT))).toEqual({
      id: WORKSPACE.id,
      name: WORKSPACE.name,
      approvedBy: WORKSPACE.owner.user.person.email,
    });
    expect(sandbox.log.at(-1)).toMatchObject({ path: '/v1/users/me', status: 200, authorization: 'bearer', headers: { 'notion-version': NOTION_API_VERSION } });
  });

  it('the token endpoint refuses a form body, the secret in the body, and a request without Notion-Version', async () => {
    const refusals: [Partial<OAuthSpec<string>>, number, string][] = [
      [{ requestBody: 'form' }, 400, 'invalid_request'],
      [{ clientAuthentication: 'client_secret_post' }, 401, 'invalid_client'],
      [{ requestHeaders: {} }, 400, 'missing_version'],
    ];
    for (const [changes, status, oauthError] of refusals) {
      const error = await failure(connect(variant(changes)));
      expect(error, JSON.stringify(changes)).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ step: 'token', status, oauthError });
    }
    expect(sandbox.tokens()).toEqual([]);
    expect(tokenCalls().map((r) => [r.contentType?.split(';')[0], r.authorization, r.headers['notion-version'] ?? null])).toEqual([
      ['application/x-www-form-urlencoded', 'basic', NOTION_API_VERSION],
      ['application/json', null, NOTION_API_VERSION],
      ['application/json', 'basic', null],
    ]);
  });

  it('refresh tokens rotate: a new pair each time, and the old refresh token is invalid_grant', async () => {
    const first = await connect();
    const second = await refreshTokens(config, first.refreshToken ?? new SecretValue(''), TIMEOUT);
    expect(second.refreshToken?.reveal()).not.toBe(first.refreshToken?.reveal());
    expect(second.accessToken.reveal()).not.toBe(first.accessToken.reveal());
    expect(second.learned).toEqual(LEARNED);
    const error = await failure(refreshTokens(config, first.refreshToken ?? new SecretValue(''), TIMEOUT));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ step: 'token', status: 400, oauthError: 'invalid_grant' });
    expect(tokenCalls().every((r) => r.headers['notion-version'] === NOTION_API_VERSION && r.authorization === 'basic')).toBe(true);
  });

  it('revoking the access token (JSON, Basic, Notion-Version) ends the whole connection', async () => {
    const tokens = await connect();
    expect(await revokeWithRfc7009(config, tokens.accessToken, TIMEOUT)).toBe('revoked');
    expect(sandbox.log.at(-1)).toMatchObject({
      path: '/v1/oauth/revoke',
      status: 200,
      authorization: 'basic',
      contentType: 'application/json',
      headers: { 'notion-version': NOTION_API_VERSION },
    });
    expect(sandbox.tokens().map((t) => [t.kind, t.revoked])).toEqual([
      ['refresh', true],
      ['access', true],
    ]);
    const error = await failure(refreshTokens(config, tokens.refreshToken ?? new SecretValue(''), TIMEOUT));
    expect(error).toMatchObject({ step: 'token', status: 400, oauthError: 'invalid_grant' });
  });

  it('disconnect revokes the access token, as Notion documents, even when a refresh token is kept', async () => {
    const tokens = await connect();
    const services = { oauth: new Map([['notion' as const, config]]), env: { OAUTH_HTTP_TIMEOUT_MS: TIMEOUT } } as unknown as Parameters<typeof revokeAtProvider>[0];
    // A refresh token the sandbox never issued: had it been sent instead, nothing would be revoked.
    expect(await revokeAtProvider(services, 'notion', tokens.accessToken, new SecretValue('ntn_sbx_rt_unknown'))).toBe('revoked');
    expect(sandbox.tokens().every((t) => t.revoked)).toBe(true);
  });

  it('identify refuses a token of another bot, a missing workspace, and reports a rejected token with its status', async () => {
    const tokens = await connect();
    const at = (settings: Record<string, string>) => hookContext({ ...config, connectionSettings: settings }, 'identify', tokens.accessToken, TIMEOUT);
    expect(await failure(spec.identify(at({ ...LEARNED, botId: '00000000-0000-4000-8000-000000000000' })))).toMatchObject({
      step: 'identify',
      failure: 'malformed_response',
    });
    expect(await failure(spec.identify(at({})))).toMatchObject({ step: 'identify', failure: 'malformed_response' });
    // Without the name in the token answer, the bot user's workspace_name names the account.
    const { workspaceName: _name, ...unnamed } = LEARNED;
    expect(await spec.identify(at(unnamed))).toMatchObject({ id: WORKSPACE.id, name: WORKSPACE.name });
    const unknown = hookContext({ ...config, connectionSettings: LEARNED }, 'identify', new SecretValue('ntn_unknown'), TIMEOUT);
    expect(await failure(spec.identify(unknown))).toMatchObject({ step: 'identify', status: 401 });
  });
});

describe("Notion's token answer", () => {
  const learned = (answer: Record<string, unknown>) => parseLearnedValues(spec.learned, 'token', answer);
  const answer = { workspace_id: WORKSPACE.id, workspace_name: WORKSPACE.name, workspace_icon: WORKSPACE.icon, bot_id: WORKSPACE.botId, owner: WORKSPACE.owner };

  it('a null refresh_token (documented as string | null) is no refresh token; a string is kept', () => {
    const normalize = spec.normalizeTokenAnswer!;
    expect(normalize({ access_token: 'a', token_type: 'bearer', refresh_token: null })).toEqual({ access_token: 'a', token_type: 'bearer' });
    expect(normalize({ access_token: 'a', token_type: 'bearer', refresh_token: 'r' })).toMatchObject({ refresh_token: 'r' });
  });

  it('learns the workspace, its icon, the bot and the owner type; name and icon may be null', () => {
    expect(learned(answer)).toEqual({ success: true, values: LEARNED });
    expect(learned({ ...answer, workspace_icon: 'https://s3.us-west-2.amazonaws.com/public.notion-static.com/icon.png' })).toMatchObject({ success: true });
    expect(learned({ ...answer, owner: { type: 'workspace', workspace: true } })).toMatchObject({ success: true, values: { ownerType: 'workspace' } });
    expect(learned({ ...answer, owner: { workspace: true } })).toMatchObject({ success: true, values: { ownerType: 'workspace' } });
    const { workspaceName: _n, workspaceIcon: _i, ...rest } = LEARNED;
    expect(learned({ ...answer, workspace_name: null, workspace_icon: null })).toEqual({ success: true, values: rest });
  });

  it('refuses values that are not what Notion documents, naming the entry only', () => {
    expect(learned({ ...answer, workspace_id: 'not-a-uuid' })).toEqual({ success: false, name: 'workspaceId' });
    expect(learned({ ...answer, bot_id: undefined })).toEqual({ success: false, name: 'botId' });
    expect(learned({ ...answer, workspace_icon: 'javascript:alert(1)' })).toEqual({ success: false, name: 'workspaceIcon' });
    expect(learned({ ...answer, workspace_icon: 'http://example.com/icon.png' })).toEqual({ success: false, name: 'workspaceIcon' });
    expect(learned({ ...answer, workspace_name: 'two\nlines' })).toEqual({ success: false, name: 'workspaceName' });
    expect(learned({ ...answer, workspace_name: 'x'.repeat(256) })).toEqual({ success: false, name: 'workspaceName' });
    expect(learned({ ...answer, owner: { type: 'bot' } })).toEqual({ success: false, name: 'ownerType' });
    expect(learned({ ...answer, owner: { workspace: false } })).toEqual({ success: false, name: 'ownerType' });
  });
});
