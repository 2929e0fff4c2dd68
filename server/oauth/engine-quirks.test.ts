/**
 * What the engine sends and accepts for providers that bend RFC 6749, declared as data in the
 * spec: a JSON request body (Notion, Atlassian), an error inside an HTTP 200 answer (Slack's
 * `ok: false`), and values the token answer tells about the connection (Salesforce's
 * `instance_url`). A loopback endpoint records each request as it arrived on the wire.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseEnv } from '../env.js';
import { defineConnector, type OAuthSpec } from '../connectors/types.js';
import type { RuntimeEnv } from '../runtime-env.js';
import { SecretValue } from '../secrets/secret-value.js';
import { resolveOAuthConfig } from './config.js';
import { exchangeCode, refreshTokens, revokeWithRfc7009 } from './engine.js';
import { judgeFailure } from '../tokens/health.js';
import { ProviderError } from './provider-error.js';

const SECRET = 'quirk-client-secret';
const PKCE_SECRET = 'quirk-pkce-secret-quirk-pkce-secret-quirk';
interface Seen {
  path: string;
  contentType: string | undefined;
  authorization: string | undefined;
  version: string | undefined;
  body: string;
}
let server: Server;
let base = '';
let seen: Seen[] = [];
let answer: { status: number; body: unknown } = { status: 200, body: {} };

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        version: req.headers['notion-version'] as string | undefined,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  seen = [];
  answer = { status: 200, body: { access_token: 'at-1', token_type: 'bearer', refresh_token: 'rt-1', expires_in: 3600 } };
});

function configWith(spec: Partial<OAuthSpec<string>>) {
  const definition = defineConnector({
    id: 'quirk_test',
    name: 'Quirk test',
    tagline: 'A provider with quirks',
    brandColor: '#123456',
    icon: null,
    category: 'engineering',
    accessItems: ['Everything'],
    availability: 'available',
    keys: {
      QUIRK_TEST_ACCESS_TOKEN: { sensitive: true, description: 'access token' },
      QUIRK_TEST_TOKEN_TYPE: { sensitive: false, description: 'token type' },
      QUIRK_TEST_INSTANCE: { sensitive: false, description: 'instance' },
    },
    oauth: {
      endpoints: { authorize: `${base}/authorize`, token: `${base}/token`, revoke: `${base}/revoke` },
      apiBase: base,
      clientAuthentication: 'client_secret_post',
      storage: { accessToken: 'QUIRK_TEST_ACCESS_TOKEN', tokenType: 'QUIRK_TEST_TOKEN_TYPE' },
      identify: () => Promise.resolve({ id: 'a', name: 'A' }),
      revoke: 'rfc7009',
      ...(spec as object),
    },
  });
  const env = {
    ...parseEnv({ NODE_ENV: 'test', APP_URL: 'http://localhost:3000' }),
    QUIRK_TEST_CLIENT_ID: 'quirk-client',
    QUIRK_TEST_CLIENT_SECRET: SECRET,
  } as RuntimeEnv;
  const config = resolveOAuthConfig(definition as never, env);
  return config as typeof config & { clientId: string; clientSecret: SecretValue };
}

const exchange = (config: ReturnType<typeof configWith>) => exchangeCode(config, { code: 'the-code', state: 'the-state-0123456789' }, PKCE_SECRET, 5_000);
const failure = (promise: Promise<unknown>) => promise.then(() => expect.unreachable('should fail'), (e: unknown) => e as ProviderError);

describe('request body', () => {
  it('is an RFC 6749 form by default', async () => {
    await exchange(configWith({}));
    expect(seen[0]).toMatchObject({ path: '/token', contentType: 'application/x-www-form-urlencoded;charset=UTF-8' });
    expect(new URLSearchParams(seen[0]!.body).get('code')).toBe('the-code');
  });

  it('is the same parameters as JSON, with HTTP Basic client authentication, when the spec says json (Notion)', async () => {
    const config = configWith({ requestBody: 'json', clientAuthentication: 'client_secret_basic' });
    const tokens = await exchange(config);
    expect(tokens.accessToken.reveal()).toBe('at-1');
    expect(seen[0]!.contentType).toBe('application/json');
    const body = JSON.parse(seen[0]!.body) as Record<string, string>;
    expect(body).toMatchObject({ grant_type: 'authorization_code', code: 'the-code', redirect_uri: 'http://localhost:3000/integrations/quirk_test/callback' });
    expect(body.code_verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.client_secret).toBeUndefined();
    // Unreserved characters (UUID hyphens) unescaped: providers that do not decode read them as sent.
    expect(Buffer.from(seen[0]!.authorization!.replace(/^Basic /, ''), 'base64').toString()).toBe(`quirk-client:${SECRET}`);

    await refreshTokens(config, new SecretValue('rt-0'), 5_000);
    expect(JSON.parse(seen[1]!.body)).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt-0' });
    await revokeWithRfc7009(config, new SecretValue('at-1'), 5_000);
    expect(seen[2]).toMatchObject({ path: '/revoke', contentType: 'application/json' });
    expect(JSON.parse(seen[2]!.body)).toEqual({ token: 'at-1' });
  });

  it('carries the client secret in the JSON body with client_secret_post (Atlassian)', async () => {
    await exchange(configWith({ requestBody: 'json' }));
    expect(JSON.parse(seen[0]!.body)).toMatchObject({ client_id: 'quirk-client', client_secret: SECRET, code: 'the-code' });
    expect(seen[0]!.authorization).toBeUndefined();
  });
});

describe('request headers', () => {
  it("the spec's headers go with the code exchange, the refresh and the revocation, without replacing client authentication", async () => {
    const config = configWith({ requestBody: 'json', clientAuthentication: 'client_secret_basic', requestHeaders: { 'Notion-Version': '2026-03-11' } });
    await exchange(config);
    await refreshTokens(config, new SecretValue('rt-0'), 5_000);
    await revokeWithRfc7009(config, new SecretValue('at-1'), 5_000);
    expect(seen.map((s) => [s.path, s.version, s.contentType, s.authorization?.split(' ')[0]])).toEqual([
      ['/token', '2026-03-11', 'application/json', 'Basic'],
      ['/token', '2026-03-11', 'application/json', 'Basic'],
      ['/revoke', '2026-03-11', 'application/json', 'Basic'],
    ]);
  });

  it('none by default', async () => {
    await exchange(configWith({}));
    expect(seen[0]?.version).toBeUndefined();
  });
});

describe('an error inside a 200 answer (okField)', () => {
  const slackLike = { okField: 'ok' } as const;

  it('ok: true is a token answer', async () => {
    answer.body = { ok: true, access_token: 'xoxb-1', token_type: 'Bearer' };
    expect((await exchange(configWith(slackLike))).accessToken.reveal()).toBe('xoxb-1');
  });

  it("ok: false fails with the provider's error code, never its text", async () => {
    answer.body = { ok: false, error: 'invalid_code', warning: 'something the-code' };
    const error = await failure(exchange(configWith(slackLike)));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ step: 'token', status: 200, oauthError: 'invalid_code' });
    expect(error.message).not.toContain('the-code');
  });

  it("the provider's codes for wrong client credentials are invalid_client, so health retries instead of asking for a reconnect", async () => {
    answer.body = { ok: false, error: 'bad_client_secret' };
    const spec = { ...slackLike, clientErrorCodes: ['invalid_client_id', 'bad_client_secret'] };
    const error = await failure(exchange(configWith(spec)));
    expect(error).toMatchObject({ oauthError: 'invalid_client' });
    expect(judgeFailure(error)).toEqual({ health: 'refresh_failing', reason: 'invalid_client' });
    answer.body = { ok: false, error: 'invalid_refresh_token' };
    expect(judgeFailure(await failure(exchange(configWith(spec))))).toEqual({ health: 'needs_reconnect', reason: 'invalid_refresh_token' });
  });

  it('ok missing, or an error code that is not a plain code, is a malformed answer or no code', async () => {
    answer.body = { access_token: 'x', token_type: 'Bearer' };
    expect(await failure(exchange(configWith(slackLike)))).toMatchObject({ failure: 'malformed_response' });
    answer.body = { ok: false, error: 'Bad code: <script>' };
    expect(await failure(exchange(configWith(slackLike)))).toMatchObject({ status: 200, oauthError: null });
  });
});

describe('values learned from the token answer', () => {
  const learned = {
    learned: {
      instanceUrl: {
        key: 'QUIRK_TEST_INSTANCE',
        label: 'Instance',
        from: 'token',
        field: 'instance_url',
        schema: z.string().regex(/^https:\/\/[a-z0-9-]+\.my\.example\.com$/),
      },
    },
  } as const;

  it('are validated and returned with the tokens', async () => {
    answer.body = { access_token: 'at', token_type: 'Bearer', instance_url: 'https://acme.my.example.com' };
    expect((await exchange(configWith(learned))).learned).toEqual({ instanceUrl: 'https://acme.my.example.com' });
  });

  it('a value that fails its schema, or a missing one, fails the answer without repeating it', async () => {
    answer.body = { access_token: 'at', token_type: 'Bearer', instance_url: 'https://evil.example.net' };
    const error = await failure(exchange(configWith(learned)));
    expect(error).toMatchObject({ step: 'token', failure: 'malformed_response' });
    expect(error.message).not.toContain('evil');
    answer.body = { access_token: 'at', token_type: 'Bearer' };
    expect(await failure(exchange(configWith(learned)))).toMatchObject({ failure: 'malformed_response' });
  });

  it('an optional value may be missing', async () => {
    answer.body = { access_token: 'at', token_type: 'Bearer' };
    const optional = { learned: { instanceUrl: { ...learned.learned.instanceUrl, optional: true } } };
    expect((await exchange(configWith(optional))).learned).toEqual({});
  });
});
