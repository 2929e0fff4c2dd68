/**
 * Linear end to end through the real procedures: real Postgres, the generic sandbox started by
 * Linear's own `sandbox` hook over HTTP, the consent page clicked over HTTP, the revocation job
 * run by the real worker. Nothing Linear-specific exists outside the definition.
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
import type { OAuthSandbox } from '../../sandbox/oauth-sandbox.js';
import type { AppServices } from '../../services.js';
import type { ConnectorDefinition, OAuthSpec } from '../types.js';
import { linear } from './definition.js';
import { LINEAR_SANDBOX_ORGANIZATION as ORG } from './sandbox-profile.js';

const db = useTestDatabase();
const logs = captureLogs();

const CLIENT = { clientId: 'plugboard-linear-it', clientSecret: `linear-client-secret-${randomBytes(12).toString('hex')}` };
const REDIRECT_URI = 'http://localhost:3000/integrations/linear/callback';
const definition = linear as ConnectorDefinition & { oauth: OAuthSpec<string> };

let sandbox: OAuthSandbox;
/** Codes seen in this file: none may reach a log line. */
const codes: string[] = [];

beforeAll(async () => {
  // The definition's own hook: the same sandbox `npm start` runs without LINEAR_CLIENT_ID.
  sandbox = (await definition.oauth.sandbox?.(CLIENT)) as OAuthSandbox;
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
  for (const secret of [CLIENT.clientSecret, ...codes, ...sandbox.tokens().map((t) => t.token)]) {
    expect(text.includes(secret), 'a token, code or client secret reached the log').toBe(false);
  }
});

/** Test services whose Linear client is the sandbox, resolved exactly as `npm start` resolves it. */
function servicesWithSandbox(): AppServices {
  const base = testServices(db.orm, logs.logger, { OAUTH_HTTP_TIMEOUT_MS: '5000' });
  const oauth = new Map(base.oauth);
  oauth.set('linear', resolveOAuthConfig(definition, base.env, { client: CLIENT, server: sandbox }));
  return { ...base, oauth };
}

type Caller = ReturnType<typeof callerFor>;

/** Opens the consent page the app sent us to and presses a button there: where the sandbox sends the browser. */
async function consentAt(authorizeUrl: string, decision: 'approve' | 'deny'): Promise<URL> {
  const page = await fetch(authorizeUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain(`Plugboard wants to access your Linear workspace ${ORG.name}`);
  const consent = /name="consent" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const answer = await fetch(`${sandbox.url}/oauth/authorize/decision`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ consent, decision }),
  });
  expect(answer.status).toBe(302);
  const location = new URL(answer.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
  return location;
}

async function approve(caller: Caller): Promise<{ authorizeUrl: URL; code: string; state: string }> {
  const authorizeUrl = new URL((await caller.linear.connect()).authorizeUrl);
  const back = await consentAt(authorizeUrl.toString(), 'approve');
  const code = back.searchParams.get('code') ?? '';
  codes.push(code);
  expect(back.searchParams.get('state')).toBe(authorizeUrl.searchParams.get('state'));
  return { authorizeUrl, code, state: back.searchParams.get('state') ?? '' };
}

async function rejection(call: Promise<unknown>): Promise<TRPCError> {
  const error = await call.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

const calls = () => sandbox.log.map((r) => `${r.method} ${r.path} ${r.status ?? ''}`);
const accessTokens = () => sandbox.tokens().filter((t) => t.kind === 'access');
const installationRows = (tenantId: string) =>
  db.sql<{ status: string; external_account_id: string | null; external_account_name: string | null }>(
    "select status, external_account_id, external_account_name from connector_installations where tenant_id = $1 and type = 'linear'",
    [tenantId],
  );
const grantRows = (tenantId: string) =>
  db.sql<{ status: string }>("select status from connector_grants where tenant_id = $1 and connector = 'linear' order by created_at", [tenantId]);
const storedKeys = async (tenantId: string) =>
  (await db.sql<{ key: string }>('select key from secret_values where tenant_id = $1 order by key', [tenantId])).map((r) => r.key);
const configRows = (tenantId: string) => db.sql<{ key: string; value: string }>('select key, value from config_values where tenant_id = $1', [tenantId]);

describe('Linear through the generic engine and sandbox', () => {
  it('connect: the consent URL is Linear-shaped; approve and exchange store the token and name the organization', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);

    const { authorizeUrl, code, state } = await approve(caller);
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(sandbox.oauthUrl);
    expect(Object.fromEntries(authorizeUrl.searchParams)).toEqual({
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      state,
      scope: 'read',
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: 'S256',
      prompt: 'consent',
    });

    // The sandbox checks the PKCE verifier against the challenge: a success proves it matched.
    expect(await caller.linear.exchange({ code, state })).toEqual({ success: true, redirectTo: null, finishing: false });

    const [access, ...others] = accessTokens();
    expect(others).toEqual([]);
    expect(access).toMatchObject({ revoked: false, identityCalls: 1 });
    expect(sandbox.tokens().map((t) => t.kind).sort()).toEqual(['access', 'refresh']);
    expect((await services.secrets.get(session.tenantId, 'LINEAR_ACCESS_TOKEN'))?.reveal()).toBe(access?.token);
    expect(await services.secrets.get(session.tenantId, 'LINEAR_TOKEN_TYPE')).toBe('Bearer');
    // The refresh token is kept (it rotates; the token lifecycle uses it), with expiry and scopes.
    const refresh = sandbox.tokens().find((t) => t.kind === 'refresh');
    expect((await services.secrets.get(session.tenantId, 'LINEAR_REFRESH_TOKEN'))?.reveal()).toBe(refresh?.token);
    const config = Object.fromEntries((await configRows(session.tenantId)).map((r) => [r.key, r.value]));
    expect(config).toEqual({ LINEAR_TOKEN_TYPE: 'Bearer', LINEAR_EXPIRES_AT: expect.any(String), LINEAR_SCOPES: 'read' });
    expect(Date.parse(config.LINEAR_EXPIRES_AT!)).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(await installationRows(session.tenantId)).toEqual([{ status: 'active', external_account_id: ORG.id, external_account_name: ORG.name }]);
    expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['active']);

    // Form-encoded exchange with the secret in the body (no Authorization header), then GraphQL with the bearer token.
    expect(calls()).toEqual(['GET /oauth/authorize 200', 'POST /oauth/authorize/decision 302', 'POST /oauth/token 200', 'POST /graphql 200']);
    const [tokenCall, graphqlCall] = sandbox.log.slice(2);
    expect(tokenCall?.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    expect(tokenCall?.authorization).toBeNull();
    expect(graphqlCall?.authorization).toBe('bearer');

    expect(await caller.linear.status()).toMatchObject({
      connector: 'linear',
      configured: true,
      sandbox: true,
      state: 'connected',
      workspace: { id: ORG.id, name: ORG.name },
      connectedBy: session.email,
    });
  });

  it('disconnect: after the revocation job, the sandbox shows the grant revoked and nothing is left stored', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { code, state } = await approve(caller);
    await caller.linear.exchange({ code, state });

    expect(await caller.linear.disconnect()).toEqual({ success: true, redirectTo: null, finishing: false });
    expect(await services.secrets.get(session.tenantId, 'LINEAR_ACCESS_TOKEN')).toBeNull();
    // Disconnect does not wait for Linear: the job does it.
    expect(sandbox.tokens().some((t) => t.revoked)).toBe(false);

    await runDueJobs({ url: db.url, services });
    const revokes = sandbox.log.filter((r) => r.path === '/oauth/revoke');
    expect(revokes.map((r) => [r.status, r.authorization])).toEqual([[200, 'bearer']]);
    expect(sandbox.tokens().map((t) => t.revoked)).toEqual([true, true]);
    expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['revoked']);
    expect(await storedKeys(session.tenantId)).toEqual([]);
    expect(await installationRows(session.tenantId)).toEqual([{ status: 'disconnected', external_account_id: ORG.id, external_account_name: ORG.name }]);
  });

  it('deny: the callback carries access_denied and the exact state, and nothing is issued or stored', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const authorizeUrl = new URL((await caller.linear.connect()).authorizeUrl);

    const back = await consentAt(authorizeUrl.toString(), 'deny');
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe(authorizeUrl.searchParams.get('state'));
    expect(back.searchParams.has('code')).toBe(false);
    expect(sandbox.tokens()).toEqual([]);
    expect(await installationRows(session.tenantId)).toEqual([]);
    expect(await storedKeys(session.tenantId)).toEqual([]);
    expect(await configRows(session.tenantId)).toEqual([]);
    expect(await caller.linear.status()).toMatchObject({ state: 'not_connected' });
  });

  it('a replayed callback is refused before Linear is called, and the connection stands', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { code, state } = await approve(caller);
    await caller.linear.exchange({ code, state });
    const before = sandbox.tokens();

    const error = await rejection(caller.linear.exchange({ code, state }));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.cause).toBeInstanceOf(OAuthStateError);
    expect((error.cause as OAuthStateError).reason).toBe('state_unknown');
    expect(sandbox.log.filter((r) => r.path === '/oauth/token')).toHaveLength(1);
    expect(sandbox.tokens()).toEqual(before);
    expect((await services.secrets.get(session.tenantId, 'LINEAR_ACCESS_TOKEN'))?.reveal()).toBe(accessTokens()[0]?.token);
    expect((await installationRows(session.tenantId))[0]?.status).toBe('active');
  });

  it('a 500 from the token endpoint is provider_unavailable, with nothing stored and no identity call', async () => {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { code, state } = await approve(caller);
    sandbox.faults.next('token', { status: 500 });

    const error = await rejection(caller.linear.exchange({ code, state }));
    expect(error.cause).toBeInstanceOf(OAuthFlowError);
    expect((error.cause as OAuthFlowError).reason).toBe('provider_unavailable');
    expect(calls().slice(2)).toEqual(['POST /oauth/token 500']);
    expect(sandbox.tokens()).toEqual([]);
    expect(await installationRows(session.tenantId)).toEqual([]);
    expect(await storedKeys(session.tenantId)).toEqual([]);
  });
});
