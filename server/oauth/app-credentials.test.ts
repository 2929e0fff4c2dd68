/**
 * The engine's hooks for apps that mint their connection's credential themselves (a GitHub App):
 * the installation page's state-only authorize URL, the app's credentials from the environment
 * (and their absence), the app's RS256 JWT, and how `install` and `renew` answers become the
 * token set the flow and the lifecycle store. A loopback endpoint answers the user-token exchange.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, importSPKI, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseEnv } from '../env.js';
import { defineConnector, type OAuthSpec } from '../connectors/types.js';
import type { RuntimeEnv } from '../runtime-env.js';
import { SecretValue } from '../secrets/secret-value.js';
import { normalizePem, resolveOAuthConfig } from './config.js';
import { installCredential, renewCredential } from './app-credentials.js';
import { appAuthentication } from './app-jwt.js';
import { authorizationUrl } from './engine.js';
import { ProviderError } from './provider-error.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PKCS1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const PUBLIC = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const PKCE_SECRET = 'app-credentials-pkce-secret-0123456789';
const STATE = 'the-state-0123456789abcdef';

let server: Server;
let base = '';
let exchanges = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exchanges += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'user-token', token_type: 'bearer' }));
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

function configWith(spec: Partial<OAuthSpec<string>>, variables: Record<string, string> = {}) {
  const definition = defineConnector({
    id: 'app_test',
    name: 'App test',
    tagline: 'An app that installs',
    brandColor: '#123456',
    icon: null,
    category: 'engineering',
    accessItems: ['Everything'],
    availability: 'available',
    keys: {
      APP_TEST_ACCESS_TOKEN: { sensitive: true, description: 'installation token' },
      APP_TEST_TOKEN_TYPE: { sensitive: false, description: 'token type' },
      APP_TEST_INSTALLATION: { sensitive: false, description: 'installation id' },
    },
    oauth: {
      endpoints: { authorize: `${base}/apps/:appSlug/installations/new`, token: `${base}/token` },
      apiBase: base,
      pkce: false,
      clientAuthentication: 'client_secret_post',
      authorizeRequest: 'state_only',
      appCredentials: { privateKey: 'APP_TEST_PRIVATE_KEY', appId: 'APP_TEST_APP_ID', slug: 'APP_TEST_SLUG' },
      storage: { accessToken: 'APP_TEST_ACCESS_TOKEN', tokenType: 'APP_TEST_TOKEN_TYPE' },
      learned: { installationId: { key: 'APP_TEST_INSTALLATION', label: 'Installation', from: 'token', schema: z.string().regex(/^\d+$/) } },
      identify: () => Promise.resolve({ id: 'a', name: 'A' }),
      ...(spec as object),
    },
  });
  const env = {
    ...parseEnv({ NODE_ENV: 'test', APP_URL: 'http://localhost:3000' }),
    APP_TEST_CLIENT_ID: 'Iv1.app-client',
    APP_TEST_CLIENT_SECRET: 'app-client-secret',
    APP_TEST_PRIVATE_KEY: PEM,
    APP_TEST_SLUG: 'plugboard-test',
    ...variables,
  } as RuntimeEnv;
  const config = resolveOAuthConfig(definition as never, env);
  return config as typeof config & { clientId: string; clientSecret: SecretValue };
}

const failure = (promise: Promise<unknown>) => promise.then(() => expect.unreachable('should fail'), (e: unknown) => e);

describe('an installation page as the consent step', () => {
  it('carries the state only, at the app slug from the environment', async () => {
    const url = new URL(await authorizationUrl(configWith({}), STATE, PKCE_SECRET));
    expect(`${url.origin}${url.pathname}`).toBe(`${base}/apps/plugboard-test/installations/new`);
    expect(Object.fromEntries(url.searchParams)).toEqual({ state: STATE });
  });

  it('names the missing app variables, and leaves the connector not configured without them', () => {
    const config = configWith({}, { APP_TEST_PRIVATE_KEY: '', APP_TEST_SLUG: '' });
    expect(config.configured).toBe(false);
    expect(config.missing).toEqual(['APP_TEST_PRIVATE_KEY', 'APP_TEST_SLUG']);
    expect(config.app).toBeNull();
  });

  it('accepts a key whose line breaks are literal \\n escapes', () => {
    const escaped = PEM.trim().replace(/\n/g, '\\n');
    expect(normalizePem(escaped)).toBe(PEM.trim());
    expect(configWith({}, { APP_TEST_PRIVATE_KEY: escaped }).app?.privateKey.reveal()).toBe(PEM.trim());
  });
});

describe("the app's JWT", () => {
  it('is RS256, signed with the private key, issued by the app id when set, and lives under ten minutes', async () => {
    const app = appAuthentication(configWith({}, { APP_TEST_APP_ID: '424242' }));
    const jwt = (await app!.jwt()).reveal();
    const { payload, protectedHeader } = await jwtVerify(jwt, await importSPKI(PUBLIC, 'RS256'));
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.iss as unknown).toBe(424242);
    expect(payload.iat).toBeLessThan(Date.now() / 1000);
    expect((payload.exp ?? 0) - Date.now() / 1000).toBeLessThanOrEqual(600);
    expect((payload.exp ?? 0) - Date.now() / 1000).toBeGreaterThan(500);
  });

  it('is issued by the client id without an app id, and works with a PKCS#1 key', async () => {
    const app = appAuthentication(configWith({}, { APP_TEST_PRIVATE_KEY: PKCS1 }));
    expect(decodeJwt((await app!.jwt()).reveal()).iss).toBe('Iv1.app-client');
  });

  it('is not offered without the app credentials', () => {
    expect(appAuthentication(configWith({}, { APP_TEST_PRIVATE_KEY: '' }))).toBeNull();
  });

  it('never shows in a serialized context: the token and the secret are SecretValues', async () => {
    const app = appAuthentication(configWith({}))!;
    const jwt = await app.jwt();
    expect(JSON.stringify({ jwt, secret: app.clientSecret })).not.toContain(jwt.reveal().slice(0, 20));
  });
});

describe('install and renew hooks', () => {
  const minted = (learned: Record<string, string>) => ({
    accessToken: new SecretValue('minted-token'),
    expiresAt: new Date(Date.now() + 3600_000),
    scopes: ['issues:read'],
    learned,
  });

  it('install: the hook gets the callback parameters and the user token (exchanged once); its credential becomes the grant', async () => {
    exchanges = 0;
    const seen: { callback?: Record<string, string>; user?: string; again?: string } = {};
    const config = configWith({
      install: async (ctx) => {
        seen.callback = { ...ctx.callback };
        seen.user = (await ctx.userToken()).reveal();
        seen.again = (await ctx.userToken()).reveal();
        return minted({ installationId: ctx.callback.installation_id ?? '' });
      },
    });
    const tokens = await installCredential(config, { code: 'c', state: STATE, params: { installation_id: '77', setup_action: 'install' } }, PKCE_SECRET, 5000);
    expect(seen).toEqual({ callback: { installation_id: '77', setup_action: 'install' }, user: 'user-token', again: 'user-token' });
    expect(exchanges).toBe(1);
    expect(tokens).toMatchObject({ refreshToken: null, tokenType: 'Bearer', scopes: ['issues:read'], learned: { installationId: '77' } });
    expect(tokens.accessToken.reveal()).toBe('minted-token');
  });

  it('install: a learned value its schema refuses is a malformed answer; no code means no user token', async () => {
    const bad = configWith({ install: () => Promise.resolve(minted({ installationId: 'not-a-number' })) });
    expect(await failure(installCredential(bad, { code: 'c', state: STATE, params: {} }, PKCE_SECRET, 5000))).toMatchObject({
      step: 'token',
      failure: 'malformed_response',
    });
    const codeless = configWith({ install: async (ctx) => ((await ctx.userToken()) ? minted({ installationId: '1' }) : minted({})) });
    expect(await failure(installCredential(codeless, { state: STATE, params: {} }, PKCE_SECRET, 5000))).toBeInstanceOf(ProviderError);
  });

  it('renew: the hook sees the connection settings, the current token and the app; its answer is the new token set', async () => {
    const config = configWith({
      renew: (ctx) => {
        expect(ctx.app?.clientId).toBe('Iv1.app-client');
        expect(ctx.accessToken.reveal()).toBe('old-token');
        return Promise.resolve(minted({ installationId: '5' }));
      },
    });
    const tokens = await renewCredential(config, new SecretValue('old-token'), 5000);
    expect(tokens.accessToken.reveal()).toBe('minted-token');
    expect(tokens.refreshToken).toBeNull();
    const refused = configWith({ renew: () => Promise.reject(new ProviderError('token', 404)) });
    expect(await failure(renewCredential(refused, new SecretValue('old-token'), 5000))).toMatchObject({ step: 'token', status: 404 });
  });
});

describe('GITHUB_APP_PRIVATE_KEY at start', () => {
  it('must parse as an RSA key; the error names the variable and never repeats the value', () => {
    const value = '-----BEGIN PRIVATE KEY-----\nnot-really-a-key-but-secret-looking\n-----END PRIVATE KEY-----';
    let message = '';
    try {
      parseEnv({ NODE_ENV: 'test', GITHUB_APP_PRIVATE_KEY: value });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/GITHUB_APP_PRIVATE_KEY: must be an RSA private key/);
    expect(message).not.toContain('not-really-a-key');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => parseEnv({ NODE_ENV: 'test', GITHUB_APP_PRIVATE_KEY: ec })).toThrow(/GITHUB_APP_PRIVATE_KEY: must be an RSA private key/);
    expect(parseEnv({ NODE_ENV: 'test', GITHUB_APP_PRIVATE_KEY: PEM.replace(/\n/g, '\\n') }).GITHUB_APP_PRIVATE_KEY).toBeDefined();
  });

  it('in production, the app slug and key are required once GITHUB_CLIENT_ID is set', () => {
    const production = {
      NODE_ENV: 'production',
      SESSION_SECRET: 'x'.repeat(40),
      APP_URL: 'https://plugboard.example',
      SECRETS_BACKEND: 'ssm',
      GITHUB_CLIENT_ID: 'Iv1.abc',
      GITHUB_CLIENT_SECRET: 'secret',
    };
    expect(() => parseEnv(production)).toThrow(/GITHUB_APP_PRIVATE_KEY: is required when GITHUB_CLIENT_ID is set[\s\S]*GITHUB_APP_SLUG/);
    expect(() => parseEnv({ ...production, GITHUB_APP_SLUG: 'plugboard', GITHUB_APP_PRIVATE_KEY: PEM })).not.toThrow();
  });
});
