/**
 * Linear's definition driven by the real engine (oauth4webapi) against its sandbox, no database:
 * the code exchange with PKCE, refresh rotation as the engine sees it, and the identify and
 * revoke hooks' answers to each status Linear documents.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveOAuthConfig, type OAuthClientConfig } from '../../oauth/config.js';
import { authorizationUrl, exchangeCode, hookContext, refreshTokens } from '../../oauth/engine.js';
import { ProviderError } from '../../oauth/provider-error.js';
import { parseEnv } from '../../env.js';
import type { OAuthSandbox } from '../../sandbox/oauth-sandbox.js';
import { SecretValue } from '../../secrets/secret-value.js';
import type { ConnectorDefinition, OAuthSpec } from '../types.js';
import { linear } from './definition.js';
import { LINEAR_SANDBOX_ORGANIZATION as ORG } from './sandbox-profile.js';

const definition = linear as ConnectorDefinition & { oauth: OAuthSpec<string> };
const spec = definition.oauth;
const CLIENT = { clientId: 'linear-unit', clientSecret: randomBytes(12).toString('hex') };
const PKCE_SECRET = 'pkce-secret-for-the-linear-definition-test';
const TIMEOUT = 5000;

let sandbox: OAuthSandbox;
let config: OAuthClientConfig & { clientId: string; clientSecret: SecretValue };
beforeAll(async () => {
  sandbox = (await spec.sandbox?.(CLIENT)) as OAuthSandbox;
  const env = { ...parseEnv({ NODE_ENV: 'test', APP_URL: 'http://localhost:3000' }), SESSION_SECRET: 'x'.repeat(40) };
  config = resolveOAuthConfig(definition, env, { client: CLIENT, server: sandbox }) as typeof config;
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(() => sandbox.reset());

/** The engine's consent URL, approved at the sandbox over HTTP, exchanged by the engine. */
async function connect() {
  const state = randomBytes(32).toString('base64url');
  const html = await (await fetch(await authorizationUrl(config, state, PKCE_SECRET))).text();
  const consent = /name="consent" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const answer = await fetch(`${sandbox.url}/oauth/authorize/decision`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ consent, decision: 'approve' }),
  });
  const back = new URL(answer.headers.get('location') ?? '');
  return exchangeCode(config, { code: back.searchParams.get('code') ?? '', state }, PKCE_SECRET, TIMEOUT);
}

const failure = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error);

describe('Linear definition against its sandbox', () => {
  it('exchanges a code for an expiring token with a refresh token, and names the organization', async () => {
    const tokens = await connect();
    expect(tokens.tokenType).toBe('Bearer');
    expect(tokens.refreshToken).not.toBeNull();
    expect(tokens.scopes).toEqual(['read']);
    expect((tokens.expiresAt?.getTime() ?? 0) - Date.now()).toBeGreaterThan(86_000 * 1000);
    expect(await spec.identify(hookContext(config, 'identify', tokens.accessToken, TIMEOUT))).toEqual({ id: ORG.id, name: ORG.name });
  });

  it('refresh tokens rotate: the engine gets a new one, and the old one is invalid_grant', async () => {
    const first = await connect();
    const second = await refreshTokens(config, first.refreshToken ?? new SecretValue(''), TIMEOUT);
    expect(second.refreshToken?.reveal()).not.toBe(first.refreshToken?.reveal());
    const error = await failure(refreshTokens(config, first.refreshToken ?? new SecretValue(''), TIMEOUT));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ step: 'token', status: 400, oauthError: 'invalid_grant' });
  });

  it('revoke: revoked, then already_revoked (400), already_revoked for a token Linear does not know (401), a 500 throws', async () => {
    const tokens = await connect();
    const revoke = spec.revoke;
    if (typeof revoke !== 'function') throw new Error('Linear revokes with a hook');
    const ctx = (token: SecretValue) => hookContext(config, 'revoke', token, TIMEOUT);
    sandbox.faults.next('revoke', { status: 500 });
    expect(await failure(revoke(ctx(tokens.accessToken)))).toMatchObject({ step: 'revoke', status: 500 });
    expect(await revoke(ctx(tokens.accessToken))).toBe('revoked');
    expect(sandbox.tokens().every((t) => t.revoked)).toBe(true);
    expect(await revoke(ctx(tokens.accessToken))).toBe('already_revoked');
    expect(await revoke(ctx(new SecretValue('lin_unknown')))).toBe('already_revoked');
    expect(sandbox.log.filter((r) => r.path === '/oauth/revoke').map((r) => r.status)).toEqual([500, 200, 400, 401]);
    // A revoked token no longer reads the organization.
    expect(await failure(spec.identify(hookContext(config, 'identify', tokens.accessToken, TIMEOUT)))).toMatchObject({ step: 'identify', status: 401 });
  });

  it('accepts the array `scope` of apps created before 2023-12-01, and refuses an identity answer without the organization', async () => {
    expect(spec.normalizeTokenAnswer?.({ access_token: 'a', token_type: 'Bearer', scope: ['read', 'write'] })).toMatchObject({ scope: 'read write' });
    expect(spec.normalizeTokenAnswer?.({ access_token: 'a', token_type: 'Bearer', scope: 'read' })).toMatchObject({ scope: 'read' });
    const ctx = { apiUrl: sandbox.apiUrl, settings: {}, accessToken: new SecretValue('x'), fetch: async () => Response.json({ data: { viewer: { id: 'u' } } }) };
    expect(await failure(spec.identify(ctx))).toMatchObject({ step: 'identify', failure: 'malformed_response' });
  });
});
