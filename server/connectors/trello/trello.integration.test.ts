/**
 * Trello end to end through the real procedures and the OAuth 1.0a mode: real Postgres, the
 * Trello sandbox started by the definition's own `sandbox` hook over HTTP (every signature
 * checked there), the authorization page clicked over HTTP, the revocation job run by the real
 * worker.
 */
import { randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callerFor, signedInUser } from '../../../test/support/factories.js';
import { testServices, useTestDatabase } from '../../../test/support/database.js';
import { runDueJobs } from '../../../test/support/jobs.js';
import { captureLogs } from '../../../test/support/logs.js';
import { resolveOAuthConfig } from '../../oauth/config.js';
import { OAuthFlowError } from '../../oauth/flow.js';
import { OAuthStateError } from '../../oauth/state.js';
import { authorizationHeader } from '../../oauth1/signature.js';
import { SecretValue } from '../../secrets/secret-value.js';
import type { AppServices } from '../../services.js';
import { issueToken } from '../../tokens/issue.js';
import type { ConnectorDefinition, OAuthSpec } from '../types.js';
import { trello } from './definition.js';
import { TRELLO_SANDBOX_MEMBER as MEMBER, type TrelloSandbox } from './sandbox.js';

const db = useTestDatabase();
const logs = captureLogs();

const CLIENT = { clientId: 'plugboard-trello-it', clientSecret: `trello-api-secret-${randomBytes(12).toString('hex')}` };
const definition = trello as ConnectorDefinition & { oauth: OAuthSpec<string> };

let sandbox: TrelloSandbox;

beforeAll(async () => {
  // The definition's own hook: the same sandbox `npm start` runs without TRELLO_CLIENT_ID.
  sandbox = (await definition.oauth.sandbox?.(CLIENT)) as unknown as TrelloSandbox;
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(async () => {
  sandbox.reset();
  await db.sql('select graphile_worker.complete_jobs(array(select id from graphile_worker.jobs))');
});
afterEach(() => {
  const text = logs.text();
  for (const secret of [CLIENT.clientSecret, ...sandbox.issuedSecrets()]) {
    expect(text.includes(secret), 'a token, token secret, verifier or the API secret reached the log').toBe(false);
  }
});

function servicesWithSandbox(client = CLIENT): AppServices {
  const base = testServices(db.orm, logs.logger, { OAUTH_HTTP_TIMEOUT_MS: '5000' });
  const oauth = new Map(base.oauth);
  oauth.set('trello', resolveOAuthConfig(definition, base.env, { client, server: sandbox }));
  return { ...base, oauth };
}

type Caller = ReturnType<typeof callerFor>;

/** Opens Trello's authorization page and presses a button: where the sandbox sends the browser back. */
async function decide(authorizeUrl: string, decision: 'approve' | 'deny'): Promise<URL> {
  const page = await fetch(authorizeUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('Let Plugboard use your account?');
  const token = /name="oauth_token" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const answer = await fetch(`${sandbox.url}/1/OAuthAuthorizeToken`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ oauth_token: token, decision }),
  });
  expect(answer.status).toBe(302);
  const location = new URL(answer.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).toBe('http://localhost:3000/integrations/trello/callback');
  return location;
}

/** Connect and approve: the callback's parameters, as the callback route hands them to `exchange`. */
async function approve(caller: Caller) {
  const authorizeUrl = (await caller.trello.connect()).authorizeUrl;
  const back = await decide(authorizeUrl, 'approve');
  return {
    authorizeUrl: new URL(authorizeUrl),
    input: { state: back.searchParams.get('state') ?? '', oauth_token: back.searchParams.get('oauth_token') ?? '', oauth_verifier: back.searchParams.get('oauth_verifier') ?? '' },
  };
}

async function connected(services: AppServices) {
  const { session } = await signedInUser(services, 'admin');
  const caller = callerFor(services, session);
  await caller.trello.exchange((await approve(caller)).input);
  const token = (await services.secrets.get(session.tenantId, 'TRELLO_TOKEN'))!.reveal();
  const tokenSecret = (await services.secrets.get(session.tenantId, 'TRELLO_TOKEN_SECRET'))!.reveal();
  return { session, caller, token, tokenSecret };
}

async function rejection(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

/** members/me at the sandbox, signed with these token credentials. */
async function membersMe(token: string, tokenSecret: string): Promise<number> {
  const url = `${sandbox.url}/1/members/me`;
  const authorization = authorizationHeader({ key: CLIENT.clientId, secret: new SecretValue(CLIENT.clientSecret) }, { method: 'GET', url }, { key: token, secret: new SecretValue(tokenSecret) });
  return (await fetch(url, { headers: { authorization } })).status;
}

const grantStatuses = async (tenantId: string) =>
  (await db.sql<{ status: string }>('select status from connector_grants where tenant_id = $1 order by created_at', [tenantId])).map((r) => r.status);

describe('Trello (OAuth 1.0a)', () => {
  it('connect: signed request token, Trello-shaped authorization URL, signed access token; token and secret stored; the member named', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { authorizeUrl, input } = await approve(caller);

    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${sandbox.url}/1/OAuthAuthorizeToken`);
    expect(Object.fromEntries(authorizeUrl.searchParams)).toEqual({ oauth_token: input.oauth_token, name: 'Plugboard', scope: 'read', expiration: 'never' });
    // The request token secret stays on the server: not in the URL, and sealed in the state row.
    const stateRows = await db.sql<{ settings: unknown }>('select settings from oauth_states where tenant_id = $1', [session.tenantId]);
    expect(stateRows).toHaveLength(1);
    for (const secret of sandbox.issuedSecrets().filter((s) => s !== input.oauth_token)) {
      expect(authorizeUrl.toString()).not.toContain(secret);
      expect(JSON.stringify(stateRows)).not.toContain(secret);
    }

    expect(await caller.trello.exchange(input)).toEqual({ success: true, redirectTo: null, finishing: false });
    expect(sandbox.requests.map((r) => [r.method, r.path, r.status, r.signature])).toEqual([
      ['POST', '/1/OAuthGetRequestToken', 200, 'valid'],
      ['GET', '/1/OAuthAuthorizeToken', 200, 'absent'],
      ['POST', '/1/OAuthAuthorizeToken', 302, 'absent'],
      ['POST', '/1/OAuthGetAccessToken', 200, 'valid'],
      ['GET', '/1/members/me', 200, 'valid'],
    ]);
    const token = (await services.secrets.get(session.tenantId, 'TRELLO_TOKEN'))?.reveal();
    expect(sandbox.liveTokens()).toContain(token);
    const tokenSecret = (await services.secrets.get(session.tenantId, 'TRELLO_TOKEN_SECRET'))?.reveal() ?? '';
    expect(await membersMe(token!, tokenSecret)).toBe(200);
    expect(await services.secrets.get(session.tenantId, 'TRELLO_TOKEN_TYPE')).toBe('OAuth1');
    // Consumed: the state row (and the sealed request token in it) is gone.
    expect(await db.sql('select 1 from oauth_states where tenant_id = $1', [session.tenantId])).toHaveLength(0);
    expect(await caller.trello.status()).toMatchObject({
      state: 'connected',
      health: 'healthy',
      expiresAt: null,
      workspace: { id: MEMBER.id, name: MEMBER.fullName },
      revocation: 'at_provider',
    });
  });

  it('deny: Trello sends the request token back without a verifier; the exchange is refused and nothing is stored', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const live = sandbox.liveTokens();
    const back = await decide((await caller.trello.connect()).authorizeUrl, 'deny');
    expect(back.searchParams.has('oauth_token')).toBe(true);
    expect(back.searchParams.has('oauth_verifier')).toBe(false);
    // The callback route treats this as access_denied; the procedure refuses it too.
    const error = await rejection(caller.trello.exchange({ state: back.searchParams.get('state') ?? '', oauth_token: back.searchParams.get('oauth_token') ?? '' }));
    expect(error.cause).toBeInstanceOf(OAuthFlowError);
    expect(sandbox.requests.filter((r) => r.path === '/1/OAuthGetAccessToken')).toHaveLength(0);
    expect(sandbox.liveTokens()).toEqual(live);
    expect(await caller.trello.status()).toMatchObject({ state: 'not_connected' });
  });

  it('a replayed callback is refused (state consumed), and one carrying another attempt’s request token is refused before Trello is asked', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const first = await approve(caller);
    const second = await approve(caller);
    // Second attempt's state with the first attempt's token and verifier.
    const swapped = await rejection(caller.trello.exchange({ ...first.input, state: second.input.state }));
    expect(swapped.code).toBe('BAD_REQUEST');
    expect((swapped.cause as OAuthFlowError).reason).toBe('token_rejected');
    expect(sandbox.requests.filter((r) => r.path === '/1/OAuthGetAccessToken')).toHaveLength(0);

    await caller.trello.exchange(first.input);
    const replay = await rejection(caller.trello.exchange(first.input));
    expect(replay.cause).toBeInstanceOf(OAuthStateError);
    expect((replay.cause as OAuthStateError).reason).toBe('state_unknown');
    expect(sandbox.requests.filter((r) => r.path === '/1/OAuthGetAccessToken')).toHaveLength(1);
    expect(sandbox.liveTokens()).toContain((await services.secrets.get(session.tenantId, 'TRELLO_TOKEN'))?.reveal());
  });

  it('a wrong signature is refused by the sandbox: a client with the wrong API secret cannot even start', async () => {
    const services = servicesWithSandbox({ clientId: CLIENT.clientId, clientSecret: 'not-the-api-secret' });
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const error = await rejection(caller.trello.connect());
    expect((error.cause as OAuthFlowError).reason).toBe('token_rejected');
    expect(sandbox.requests.map((r) => [r.path, r.status, r.signature])).toEqual([['/1/OAuthGetRequestToken', 401, 'invalid']]);
    // And a token signed with another token secret is refused too.
    const good = await connected(servicesWithSandbox());
    expect(await membersMe(good.token, 'wrong-token-secret')).toBe(401);
    expect(await membersMe(good.token, good.tokenSecret)).toBe(200);
  });

  it('verification: the never-expiring token is checked with members/me; revoked at Trello, the connection needs a reconnect', async () => {
    const services = servicesWithSandbox();
    const { caller, token } = await connected(services);
    expect(await caller.trello.check()).toMatchObject({ health: 'healthy' });
    sandbox.revokeAtTrello(token);
    sandbox.reset();
    expect(await caller.trello.check()).toMatchObject({ health: 'needs_reconnect', healthReason: 'identity_rejected' });
    // Nothing was "refreshed": the token secret never went to the access-token endpoint.
    expect(sandbox.requests.map((r) => [r.method, r.path, r.status])).toEqual([['GET', '/1/members/me', 401]]);
  });

  it('disconnect: the revocation job deletes the token at Trello, which then no longer works; reconnect makes a new one', async () => {
    const services = servicesWithSandbox();
    const { session, caller, token, tokenSecret } = await connected(services);
    expect(await caller.trello.disconnect()).toEqual({ success: true, redirectTo: null, finishing: false });
    expect(await services.secrets.get(session.tenantId, 'TRELLO_TOKEN')).toBeNull();
    expect(await services.secrets.get(session.tenantId, 'TRELLO_TOKEN_SECRET')).toBeNull();
    expect(sandbox.deletedTokens()).not.toContain(token);

    await runDueJobs({ url: db.url, services });
    expect(sandbox.deletedTokens()).toContain(token);
    expect(sandbox.requests.find((r) => r.method === 'DELETE')).toMatchObject({ status: 200, signature: 'valid' });
    expect(await membersMe(token, tokenSecret)).toBe(401);
    expect(await grantStatuses(session.tenantId)).toEqual(['revoked']);

    await caller.trello.exchange((await approve(caller)).input);
    expect(await caller.trello.status()).toMatchObject({ state: 'connected', workspace: { name: MEMBER.fullName } });
    const second = (await services.secrets.get(session.tenantId, 'TRELLO_TOKEN'))?.reveal();
    expect(second).not.toBe(token);
    expect(sandbox.liveTokens()).toContain(second);
    expect(sandbox.liveTokens()).not.toContain(token);
  });

  it('reconnect while connected: the replaced token is deleted at Trello by the job', async () => {
    const services = servicesWithSandbox();
    const { session, caller, token } = await connected(services);
    await caller.trello.exchange((await approve(caller)).input);
    await runDueJobs({ url: db.url, services });
    const current = (await services.secrets.get(session.tenantId, 'TRELLO_TOKEN'))?.reveal();
    expect(sandbox.deletedTokens()).toContain(token);
    expect(sandbox.liveTokens()).toContain(current);
    expect(sandbox.liveTokens()).not.toContain(token);
    expect(await grantStatuses(session.tenantId)).toEqual(['revoked', 'active']);
  });

  it('the token API gives a backend the token and token secret, which sign a call to Trello with the API key', async () => {
    const services = servicesWithSandbox();
    const { session, token, tokenSecret } = await connected(services);
    const issued = await issueToken(services, { tenantId: session.tenantId, connector: 'trello' }, logs.logger);
    expect(issued.accessToken.reveal()).toBe(token);
    expect(issued.tokenSecret?.reveal()).toBe(tokenSecret);
    expect(issued).toMatchObject({ tokenType: 'OAuth1', expiresAt: null, account: { id: MEMBER.id, name: MEMBER.fullName } });
    expect(await membersMe(issued.accessToken.reveal(), issued.tokenSecret!.reveal())).toBe(200);
  });
});
