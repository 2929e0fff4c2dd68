/**
 * Google Drive and Gmail end to end through the real procedures, one suite for both: real
 * Postgres, the generic sandbox started by the definition's own `sandbox` hook, the consent page
 * answered over HTTP (ticking or unticking scopes as a person would), the refresh and the
 * revocation job run by the real code. Each connector's test file runs it with its definition.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callerFor, signedInUser } from '../../../test/support/factories.js';
import { testServices, useTestDatabase } from '../../../test/support/database.js';
import { runDueJobs } from '../../../test/support/jobs.js';
import { expireStoredToken } from '../../../test/support/linear-connection.js';
import { captureLogs } from '../../../test/support/logs.js';
import { resolveOAuthConfig } from '../../oauth/config.js';
import type { OAuthSandbox } from '../../sandbox/oauth-sandbox.js';
import type { AppServices } from '../../services.js';
import { issueToken } from '../../tokens/issue.js';
import { sweepOnce } from '../../tokens/sweep.js';
import type { ConnectorDefinition, OAuthSpec } from '../types.js';
import { GOOGLE_SANDBOX_USER as USER } from './sandbox-profile.js';

type GoogleId = 'google_drive' | 'google_email';

export function googleConnectorSuite(connector: ConnectorDefinition<GoogleId>, productScope: string): void {
  const db = useTestDatabase();
  const logs = captureLogs();
  const id = connector.id;
  const definition = connector as ConnectorDefinition<GoogleId> & { oauth: OAuthSpec<string> };
  const prefix = id.toUpperCase();
  const CLIENT = { clientId: `plugboard-${id}-it.apps.googleusercontent.com`, clientSecret: `GOCSPX-${randomBytes(12).toString('hex')}` };
  const REDIRECT_URI = `http://localhost:3000/integrations/${id}/callback`;
  let sandbox: OAuthSandbox;
  const codes: string[] = [];

  beforeAll(async () => {
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

  function servicesWithSandbox(): AppServices {
    const base = testServices(db.orm, logs.logger, { OAUTH_HTTP_TIMEOUT_MS: '5000', TOKEN_REFRESH_MARGIN_SECONDS: '300' });
    const oauth = new Map(base.oauth);
    oauth.set(id, resolveOAuthConfig(definition, base.env, { client: CLIENT, server: sandbox }));
    return { ...base, oauth };
  }

  async function signIn() {
    const services = servicesWithSandbox();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    return { services, session, caller, procedures: caller[id] };
  }
  type Procedures = Awaited<ReturnType<typeof signIn>>['procedures'];

  /** The consent page, answered as a person would: Approve, with the product's scope ticked or not. */
  async function approve(procedures: Procedures, options: { untick?: boolean } = {}) {
    const authorizeUrl = new URL((await procedures.connect()).authorizeUrl);
    const page = await fetch(authorizeUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    const consent = /name="consent" value="([^"]+)"/.exec(html)?.[1] ?? '';
    // Only the product's scope can be unticked: the sign-in scopes are not offered as a choice.
    expect([...html.matchAll(/type="checkbox"[^>]* name="grant" value="([^"]+)" checked/g)].map((m) => m[1])).toEqual([productScope]);
    const form = new URLSearchParams({ consent, decision: 'approve' });
    if (!options.untick) form.append('grant', productScope);
    const answer = await fetch(`${sandbox.url}/o/oauth2/v2/auth/decision`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    expect(answer.status).toBe(302);
    const back = new URL(answer.headers.get('location') ?? '');
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT_URI);
    const code = back.searchParams.get('code') ?? '';
    codes.push(code);
    return { authorizeUrl, code, state: back.searchParams.get('state') ?? '' };
  }

  async function connect(procedures: Procedures, options: { untick?: boolean } = {}) {
    const { code, state } = await approve(procedures, options);
    return procedures.exchange({ code, state });
  }

  const calls = () => sandbox.log.map((r) => `${r.method} ${r.path} ${r.status ?? ''}`);
  const tokensOf = (kind: 'access' | 'refresh') => sandbox.tokens().filter((t) => t.kind === kind);
  const secret = async (services: AppServices, tenantId: string, suffix: string) =>
    (await services.secrets.get(tenantId, `${prefix}_${suffix}` as never)) as { reveal(): string } | string | null;
  const reveal = (value: { reveal(): string } | string | null) => (value === null || typeof value === 'string' ? value : value.reveal());
  const configRows = async (tenantId: string) =>
    Object.fromEntries((await db.sql<{ key: string; value: string }>('select key, value from config_values where tenant_id = $1', [tenantId])).map((r) => [r.key, r.value]));
  const installation = async (tenantId: string) =>
    (
      await db.sql<{ status: string; external_account_id: string | null; external_account_name: string | null; health: string; health_reason: string | null }>(
        'select status, external_account_id, external_account_name, health, health_reason from connector_installations where tenant_id = $1 and type = $2',
        [tenantId, id],
      )
    )[0];
  const grantRows = (tenantId: string) =>
    db.sql<{ status: string }>('select status from connector_grants where tenant_id = $1 and connector = $2 order by created_at', [tenantId, id]);
  const storedKeys = async (tenantId: string) =>
    (await db.sql<{ key: string }>('select key from secret_values where tenant_id = $1 order by key', [tenantId])).map((r) => r.key);
  /** Google's revocation endpoint, called the way the definition calls it (a user removing access in their Google Account does the same). */
  const revokeAtGoogle = (token: string) =>
    fetch(`${sandbox.url}/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }) });
  const userinfo = (token: string) => fetch(`${sandbox.url}/v1/userinfo`, { headers: { authorization: `Bearer ${token}` } });

  describe(`${connector.name} through the generic engine and the Google sandbox`, () => {
    it('connect: the consent URL asks offline access, consent and S256 PKCE; tokens land in the secret store; the account is the email', async () => {
      const { services, session, procedures } = await signIn();
      const { authorizeUrl, code, state } = await approve(procedures);
      expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(sandbox.oauthUrl);
      expect(sandbox.oauthUrl.endsWith('/o/oauth2/v2/auth')).toBe(true);
      expect(Object.fromEntries(authorizeUrl.searchParams)).toEqual({
        client_id: CLIENT.clientId,
        redirect_uri: REDIRECT_URI,
        response_type: 'code',
        state,
        scope: `openid email ${productScope}`,
        code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        code_challenge_method: 'S256',
        access_type: 'offline',
        prompt: 'consent',
      });

      // The sandbox checks the verifier against the challenge and validates nothing else for us:
      // success proves PKCE matched, and the engine accepted the ID token Google sends with `openid`.
      expect(await procedures.exchange({ code, state })).toEqual({ success: true, redirectTo: null, finishing: false });

      const [access] = tokensOf('access');
      const [refresh] = tokensOf('refresh');
      expect(tokensOf('access')).toHaveLength(1);
      expect(reveal(await secret(services, session.tenantId, 'ACCESS_TOKEN'))).toBe(access?.token);
      expect(reveal(await secret(services, session.tenantId, 'REFRESH_TOKEN'))).toBe(refresh?.token);
      const config = await configRows(session.tenantId);
      // Google answers `email` as .../auth/userinfo.email: stored under the name asked.
      expect(config).toEqual({
        [`${prefix}_TOKEN_TYPE`]: 'Bearer',
        [`${prefix}_EXPIRES_AT`]: expect.any(String),
        [`${prefix}_SCOPES`]: `openid email ${productScope}`,
      });
      const life = Date.parse(config[`${prefix}_EXPIRES_AT`] ?? '') - Date.now();
      expect(life).toBeGreaterThan(3500_000);
      expect(life).toBeLessThanOrEqual(3600_000);
      expect(await installation(session.tenantId)).toMatchObject({ status: 'active', external_account_id: USER.sub, external_account_name: USER.email, health: 'healthy' });

      // Form body with the secret in it (no Authorization header), then userinfo with the bearer token.
      expect(calls()).toEqual(['GET /o/oauth2/v2/auth 200', 'POST /o/oauth2/v2/auth/decision 302', 'POST /token 200', 'GET /v1/userinfo 200']);
      const [tokenCall, userinfoCall] = sandbox.log.slice(2);
      expect(tokenCall?.contentType).toMatch(/^application\/x-www-form-urlencoded/);
      expect(tokenCall?.authorization).toBeNull();
      expect(userinfoCall?.authorization).toBe('bearer');

      expect(await procedures.status()).toMatchObject({
        connector: id,
        state: 'connected',
        sandbox: true,
        workspace: { id: USER.sub, name: USER.email },
        connectedBy: session.email,
        health: 'healthy',
        scopes: ['openid', 'email', productScope],
        missingScopes: [],
        revocable: true,
      });
    });

    it('a scope unticked on the consent screen: connected, and the status names it in plain words; a reconnect with it ticked clears it', async () => {
      const { session, procedures } = await signIn();
      expect(await connect(procedures, { untick: true })).toMatchObject({ success: true });
      const status = await procedures.status();
      expect(status).toMatchObject({ state: 'connected', health: 'healthy', scopes: ['openid', 'email'] });
      expect(status.missingScopes).toEqual([{ scope: productScope, label: definition.oauth.scopeLabels?.[productScope] }]);
      expect(status.missingScopes[0]?.label).toMatch(/^(See and download all your Google Drive files|View your email messages and settings)$/);
      expect((await configRows(session.tenantId))[`${prefix}_SCOPES`]).toBe('openid email');

      await connect(procedures);
      expect(await procedures.status()).toMatchObject({ scopes: ['openid', 'email', productScope], missingScopes: [] });
    });

    it('refresh on time (the sweep, and a due token handed out): an answer without a refresh token keeps the stored one, which keeps working', async () => {
      const { services, session } = await signIn().then(async (s) => {
        await connect(s.procedures);
        return s;
      });
      const scope = { tenantId: session.tenantId, connector: id };
      const refreshToken = reveal(await secret(services, session.tenantId, 'REFRESH_TOKEN'));
      expect(refreshToken).toBe(tokensOf('refresh')[0]?.token);

      // Round 1: the worker's sweep refreshes a token that is due; round 2: handing a due token out refreshes it first.
      for (const round of [1, 2]) {
        await expireStoredToken(db, session.tenantId, id);
        if (round === 1) expect((await sweepOnce(services, logs.logger)).refreshed).toBeGreaterThanOrEqual(1);
        const issued = await issueToken(services, scope, logs.logger);
        // A new access token each time, from the same refresh token: Google issued no other.
        expect(tokensOf('access')).toHaveLength(round + 1);
        expect(issued.accessToken.reveal()).toBe(tokensOf('access')[round]?.token);
        expect(issued.expiresAt!.getTime() - Date.now()).toBeGreaterThan(3500_000);
        expect(tokensOf('refresh')).toHaveLength(1);
        expect(reveal(await secret(services, session.tenantId, 'ACCESS_TOKEN'))).toBe(issued.accessToken.reveal());
        expect(reveal(await secret(services, session.tenantId, 'REFRESH_TOKEN'))).toBe(refreshToken);
        expect((await userinfo(issued.accessToken.reveal())).status).toBe(200);
      }
      expect(calls().filter((c) => c.startsWith('POST /token'))).toEqual(['POST /token 200', 'POST /token 200', 'POST /token 200']);
      expect((await installation(session.tenantId))?.health).toBe('healthy');
    });

    it('a refresh answered invalid_grant (access removed at Google) makes the connection need a reconnect; reconnecting works', async () => {
      const { services, session, procedures } = await signIn();
      await connect(procedures);
      // The user removes Plugboard's access in their Google Account.
      expect((await revokeAtGoogle(tokensOf('refresh')[0]?.token ?? '')).status).toBe(200);
      await expireStoredToken(db, session.tenantId, id);
      await expect(issueToken(services, { tenantId: session.tenantId, connector: id }, logs.logger)).rejects.toThrow();
      expect(sandbox.log.at(-1)).toMatchObject({ path: '/token', status: 400 });
      expect(await installation(session.tenantId)).toMatchObject({ health: 'needs_reconnect', health_reason: 'invalid_grant' });
      expect(await procedures.status()).toMatchObject({ state: 'connected', health: 'needs_reconnect', healthReason: 'invalid_grant' });

      // prompt=consent: this second consent gives a refresh token again.
      await connect(procedures);
      expect(tokensOf('refresh')).toHaveLength(2);
      expect(reveal(await secret(services, session.tenantId, 'REFRESH_TOKEN'))).toBe(tokensOf('refresh')[1]?.token);
      expect(await procedures.status()).toMatchObject({ state: 'connected', health: 'healthy' });
    });

    it('disconnect: the job revokes the refresh token at Google (form `token`, no client authentication), the grant is dead, nothing is stored', async () => {
      const { services, session, procedures } = await signIn();
      await connect(procedures);
      const access = tokensOf('access')[0]?.token ?? '';
      expect(await procedures.disconnect()).toEqual({ success: true, redirectTo: null, finishing: false });
      expect(await secret(services, session.tenantId, 'ACCESS_TOKEN')).toBeNull();

      await runDueJobs({ url: db.url, services });
      const revokes = sandbox.log.filter((r) => r.path === '/revoke');
      expect(revokes.map((r) => [r.status, r.authorization, r.contentType])).toEqual([[200, null, 'application/x-www-form-urlencoded']]);
      expect(sandbox.tokens().every((t) => t.revoked)).toBe(true);
      expect((await userinfo(access)).status).toBe(401);
      expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['revoked']);
      expect(await storedKeys(session.tenantId)).toEqual([]);
      expect(await procedures.status()).toMatchObject({ state: 'disconnected', missingScopes: [] });

      // Reconnect works at once, with a new refresh token.
      await connect(procedures);
      expect(await procedures.status()).toMatchObject({ state: 'connected', health: 'healthy' });
      expect(reveal(await secret(services, session.tenantId, 'REFRESH_TOKEN'))).toBe(tokensOf('refresh')[1]?.token);
    });

    it('disconnect after the user already removed access: Google answers 400 invalid_token, which counts as revoked (no retries)', async () => {
      const { services, session, procedures } = await signIn();
      await connect(procedures);
      expect((await revokeAtGoogle(tokensOf('access')[0]?.token ?? '')).status).toBe(200);
      await procedures.disconnect();
      await runDueJobs({ url: db.url, services });
      expect(sandbox.log.filter((r) => r.path === '/revoke').map((r) => r.status)).toEqual([200, 400]);
      expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['revoked']);
      expect(await db.sql('select id from graphile_worker.jobs')).toEqual([]);
    });

    it('a 500 from the revocation endpoint is retried later, not taken for a revocation', async () => {
      const { services, session, procedures } = await signIn();
      await connect(procedures);
      sandbox.faults.next('revoke', { status: 500 });
      await procedures.disconnect();
      await runDueJobs({ url: db.url, services });
      expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['revoking']);
      expect(sandbox.tokens().some((t) => t.revoked)).toBe(false);
    });
  });
}
