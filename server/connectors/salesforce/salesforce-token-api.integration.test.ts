/**
 * Salesforce through the token API, over real HTTP: the app reaches its sandbox through
 * PROVIDER_ORIGIN_OVERRIDES (login.salesforce.com and the org's instance), the sandbox ends
 * sessions on a clock of its own without ever announcing an expiry, and a backend that is
 * rejected by Salesforce (401) reports it with POST .../token/refresh, as the token API
 * documents for tokens without a known lifetime.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/support/database.js';
import { makeTenant } from '../../../test/support/factories.js';
import { useHttpApp } from '../../../test/support/http-app.js';
import { connectOverHttp } from '../../../test/support/token-api.js';
import { createServiceKey } from '../../auth/service-keys.js';
import { startOAuthSandbox, type OAuthSandbox } from '../../sandbox/oauth-sandbox.js';
import { salesforceSandboxProfile, SALESFORCE_SANDBOX_ORG as ORG, SALESFORCE_SANDBOX_USER as USER } from './sandbox-profile.js';

const CLIENT = { clientId: 'plugboard-token-api-salesforce', clientSecret: `salesforce-secret-${randomBytes(12).toString('hex')}` };
const INSTANCE = 'https://sbx-org.my.salesforce.com';
/** The org's session timeout in the sandbox: two hours, on the sandbox's own clock. */
const SESSION_SECONDS = 7200;

const db = useTestDatabase();
let sandbox: OAuthSandbox;
let clock = Date.now();
beforeAll(async () => {
  sandbox = await startOAuthSandbox(salesforceSandboxProfile({ instanceUrl: INSTANCE, sessionSeconds: SESSION_SECONDS }), CLIENT, { now: () => clock });
});
afterAll(async () => {
  await sandbox?.close();
});
const app = useHttpApp(db, () => ({
  SALESFORCE_CLIENT_ID: CLIENT.clientId,
  SALESFORCE_CLIENT_SECRET: CLIENT.clientSecret,
  PROVIDER_ORIGIN_OVERRIDES: `https://login.salesforce.com=${sandbox.url},${INSTANCE}=${sandbox.url}`,
  OAUTH_HTTP_TIMEOUT_MS: '5000',
}));
const seen: string[] = [];
afterAll(() => {
  const text = app.logs.text();
  for (const secret of [CLIENT.clientSecret, ...seen, ...sandbox.tokens().map((t) => t.token)]) {
    expect(text.includes(secret), 'a secret reached the log').toBe(false);
  }
});

/** A backend's API call at the instance (userinfo stands in for any REST call). */
async function apiCall(token: unknown): Promise<number> {
  const answer = await fetch(`${sandbox.url}/services/oauth2/userinfo`, { headers: { authorization: `Bearer ${String(token)}` } });
  await answer.body?.cancel();
  return answer.status;
}

describe('Salesforce through the token API', () => {
  it('answers the token with instance_url and no expiry; a reported 401 refreshes it; a revoked grant is 409 needs_reconnect', async () => {
    const tenant = await makeTenant(db.orm.em.fork());
    seen.push(await connectOverHttp({ db, base: app.base, sandbox, connector: 'salesforce', tenantSlug: tenant.slug }));
    const key = (await createServiceKey(db.orm.em.fork(), 'salesforce-reader')).key.reveal();
    seen.push(key);
    const call = (suffix = '', method = 'GET') =>
      fetch(`${app.base}/api/v1/connections/salesforce/token${suffix}?tenant=${tenant.slug}`, { method, headers: { authorization: `Bearer ${key}` } });

    const first = await call();
    expect(first.status).toBe(200);
    const token = (await first.json()) as Record<string, unknown>;
    expect(token).toEqual({
      accessToken: sandbox.tokens().find((t) => t.kind === 'access')?.token,
      tokenType: 'Bearer',
      expiresAt: null,
      scopes: ['api', 'refresh_token', 'id'],
      account: { id: ORG.id, name: `${ORG.id} — ${USER.username}` },
      settings: { login: 'production', instanceUrl: INSTANCE },
    });
    expect(await apiCall(token.accessToken)).toBe(200);

    // The session times out; nothing told the app when. The token API still answers the same
    // token (it cannot know), the backend's call is rejected, and it reports that.
    clock += (SESSION_SECONDS + 1) * 1000;
    expect(((await (await call()).json()) as Record<string, unknown>).accessToken).toBe(token.accessToken);
    expect(await apiCall(token.accessToken)).toBe(401);
    const refreshesBefore = sandbox.log.filter((r) => r.path === '/services/oauth2/token').length;
    const refreshed = await call('/refresh', 'POST');
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as Record<string, unknown>;
    expect(next.accessToken).not.toBe(token.accessToken);
    expect(next).toMatchObject({ expiresAt: null, settings: { login: 'production', instanceUrl: INSTANCE } });
    expect(await apiCall(next.accessToken)).toBe(200);
    expect(sandbox.log.filter((r) => r.path === '/services/oauth2/token').length).toBe(refreshesBefore + 1);
    // No rotation: one refresh token for the grant, still valid.
    expect(sandbox.tokens().filter((t) => t.kind === 'refresh').map((t) => t.revoked)).toEqual([false]);
    // Later reads answer the refreshed token without calling Salesforce.
    expect(((await (await call()).json()) as Record<string, unknown>).accessToken).toBe(next.accessToken);

    // The admin revokes the app in Salesforce: the next reported rejection finds the refresh
    // token refused (invalid_grant), and the connection needs a reconnect.
    const refreshToken = sandbox.tokens().find((t) => t.kind === 'refresh')!.token;
    const revoked = await fetch(`${sandbox.url}/services/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken }),
    });
    expect(revoked.status).toBe(200);
    expect(await apiCall(next.accessToken)).toBe(401);
    const refused = await call('/refresh', 'POST');
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ error: 'needs_reconnect' });
    expect((await call()).status).toBe(409);
  });
});
