/**
 * The lifecycle against a real authorization server nobody here wrote (panva's oidc-provider,
 * test/support/oidc-provider.ts): access tokens that live 3 s, refresh tokens rotated on every
 * use, and a reused refresh token answered with `invalid_grant` (which also ends the grant).
 * The connection uses Linear's storage keys with a definition pointed at oidc-provider.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { callerFor, signedInUser } from '../../test/support/factories.js';
import { startAuthorizationServer, type AuthorizationServer } from '../../test/support/oidc-provider.js';
import { testServices, useTestDatabase } from '../../test/support/database.js';
import { captureLogs } from '../../test/support/logs.js';
import { linear } from '../connectors/linear/definition.js';
import type { ConnectorDefinition, OAuthSpec } from '../connectors/types.js';
import { resolveOAuthConfig } from '../oauth/config.js';
import type { RuntimeEnv } from '../runtime-env.js';
import type { AppServices } from '../services.js';
import { issueToken, NeedsReconnectError } from './issue.js';

const db = useTestDatabase();
const logs = captureLogs();
const CLIENT = { id: 'plugboard-life', secret: 'life-secret-0123456789abcdef' };
const APP_URL = 'http://localhost:3000';
let server: AuthorizationServer;

beforeAll(async () => {
  server = await startAuthorizationServer({
    clients: [{ clientId: CLIENT.id, clientSecret: CLIENT.secret, redirectUris: [`${APP_URL}/integrations/linear/callback`], tokenEndpointAuthMethod: 'client_secret_basic' }],
    accounts: { ada: { email: 'ada@example.test', name: 'Ada' } },
    accessTokenTtlSeconds: 3,
  });
});
afterAll(async () => {
  expect(server.serverErrors).toEqual([]);
  await server.close();
});

function services(): AppServices {
  const base = testServices(db.orm, logs.logger, { TOKEN_REFRESH_MARGIN_SECONDS: '1', OAUTH_HTTP_TIMEOUT_MS: '5000' });
  const definition = {
    ...linear,
    oauth: {
      ...linear.oauth!,
      endpoints: { authorize: server.endpoints.authorization, token: server.endpoints.token, revoke: server.endpoints.revocation },
      issuer: server.issuer,
      apiBase: server.issuer,
      scopes: ['openid', 'offline_access'],
      scopeSeparator: ' ',
      authorizeParams: { prompt: 'consent' },
      clientAuthentication: 'client_secret_basic',
      normalizeTokenAnswer: undefined,
      identify: () => Promise.resolve({ id: 'ada', name: 'Ada' }),
      revoke: 'rfc7009',
      sandbox: undefined,
    },
  } as unknown as ConnectorDefinition & { oauth: OAuthSpec<string> };
  const env = { ...base.env, LINEAR_CLIENT_ID: CLIENT.id, LINEAR_CLIENT_SECRET: CLIENT.secret } as RuntimeEnv;
  const oauth = new Map(base.oauth);
  oauth.set('linear', resolveOAuthConfig(definition, env));
  return { ...base, oauth };
}

async function connect(app: AppServices) {
  const { session } = await signedInUser(app, 'admin');
  const caller = callerFor(app, session);
  const back = await server.approve((await caller.linear.connect()).authorizeUrl, { accountId: 'ada' });
  await caller.linear.exchange({ code: back.searchParams.get('code')!, state: back.searchParams.get('state')!, iss: back.searchParams.get('iss') ?? undefined });
  return { tenantId: session.tenantId, connector: 'linear' as const };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const refreshTokens = () => server.artifacts('RefreshToken');

it('expiry passes: one refresh for twenty concurrent requests; the old refresh token is consumed and never sent again', async () => {
  const app = services();
  const scope = await connect(app);
  const first = (await issueToken(app, scope, logs.logger)).accessToken.reveal();
  expect(refreshTokens()).toHaveLength(1);
  await sleep(2_150);

  const answers = await Promise.all(Array.from({ length: 20 }, () => issueToken(app, scope, logs.logger)));
  const tokens = new Set(answers.map((a) => a.accessToken.reveal()));
  expect(tokens.size).toBe(1);
  expect(tokens.has(first)).toBe(false);
  const [old, current] = refreshTokens();
  expect(refreshTokens()).toHaveLength(2);
  expect(old).toMatchObject({ consumed: true, revoked: false });
  expect(current).toMatchObject({ consumed: false, revoked: false });
  expect((await app.secrets.get(scope.tenantId, 'LINEAR_REFRESH_TOKEN'))?.reveal()).toBe(current?.id);
  // The authorization server saw no reuse: a reused token would have revoked the grant.
  expect(server.artifacts('Grant').every((g) => !g.revoked)).toBe(true);

  await sleep(2_150);
  await issueToken(app, scope, logs.logger);
  expect(refreshTokens()).toHaveLength(3);
  expect(refreshTokens().filter((t) => !t.consumed)).toHaveLength(1);
});

it('a refresh token the server no longer accepts: needs_reconnect, never a silent loss', async () => {
  const app = services();
  const scope = await connect(app);
  // Revoke the grant at the server (RFC 7009 with the refresh token ends the grant).
  const refresh = (await app.secrets.get(scope.tenantId, 'LINEAR_REFRESH_TOKEN'))!.reveal();
  const revoked = await fetch(server.endpoints.revocation, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: refresh, token_type_hint: 'refresh_token' }),
  });
  expect(revoked.status).toBe(200);
  await sleep(2_150);
  const error = await issueToken(app, scope, logs.logger).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(NeedsReconnectError);
  expect((error as NeedsReconnectError).reason).toBe('invalid_grant');
});
