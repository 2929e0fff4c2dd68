/**
 * The token API for a provider whose tokens neither expire nor refresh (Intercom, through its
 * sandbox over real HTTP): a reported rejection is answered by checking the token with the
 * provider; a token the provider no longer accepts becomes 409 needs_reconnect.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/support/database.js';
import { makeTenant } from '../../test/support/factories.js';
import { useHttpApp } from '../../test/support/http-app.js';
import { connectOverHttp } from '../../test/support/token-api.js';
import { createServiceKey } from '../auth/service-keys.js';
import { intercomSandboxProfile } from '../connectors/intercom/sandbox-profile.js';
import { startOAuthSandbox, type OAuthSandbox } from '../sandbox/oauth-sandbox.js';

const CLIENT = { clientId: 'plugboard-token-api-intercom', clientSecret: `intercom-secret-${randomBytes(12).toString('hex')}` };
const WORKSPACE = { idCode: 'sbxtoken1', name: 'Token API Workspace', region: 'US' };
const db = useTestDatabase();
let sandbox: OAuthSandbox;
beforeAll(async () => {
  sandbox = await startOAuthSandbox(intercomSandboxProfile({ workspace: WORKSPACE }), CLIENT);
});
afterAll(async () => {
  await sandbox?.close();
});
const app = useHttpApp(db, () => ({
  INTERCOM_CLIENT_ID: CLIENT.clientId,
  INTERCOM_CLIENT_SECRET: CLIENT.clientSecret,
  INTERCOM_OAUTH_URL: sandbox.oauthUrl,
  INTERCOM_API_URL: sandbox.apiUrl,
}));
const seen: string[] = [];
afterAll(() => {
  const text = app.logs.text();
  for (const secret of [CLIENT.clientSecret, ...seen, ...sandbox.tokens().map((t) => t.token)]) {
    expect(text.includes(secret), 'a secret reached the log').toBe(false);
  }
});

const identityCalls = () => sandbox.log.filter((r) => r.path === '/me').length;

describe('Intercom through the token API', () => {
  it('answers the non-expiring token; a reported rejection checks it; a revoked one is 409 identity_rejected', async () => {
    const tenant = await makeTenant(db.orm.em.fork());
    seen.push(await connectOverHttp({ db, base: app.base, sandbox, connector: 'intercom', tenantSlug: tenant.slug }));
    const key = (await createServiceKey(db.orm.em.fork(), 'intercom-reader')).key.reveal();
    seen.push(key);
    const call = (suffix = '', method = 'GET') =>
      fetch(`${app.base}/api/v1/connections/intercom/token${suffix}?tenant=${tenant.slug}`, { method, headers: { authorization: `Bearer ${key}` } });

    const first = await call();
    expect(first.status).toBe(200);
    const token = (await first.json()) as Record<string, unknown>;
    expect(token).toEqual({
      accessToken: sandbox.tokens()[0]?.token,
      tokenType: 'Bearer',
      expiresAt: null,
      scopes: null,
      account: { id: WORKSPACE.idCode, name: WORKSPACE.name },
      settings: { region: 'us' },
    });

    // Nothing to refresh with: the token is checked with Intercom, and still works.
    const checks = identityCalls();
    const checked = await call('/refresh', 'POST');
    expect(checked.status).toBe(200);
    expect(((await checked.json()) as Record<string, unknown>).accessToken).toBe(token.accessToken);
    expect(identityCalls()).toBe(checks + 1);

    // The workspace uninstalls the app: the next reported rejection finds out.
    const uninstall = await fetch(`${sandbox.url}/auth/uninstall`, { method: 'POST', headers: { authorization: `Bearer ${String(token.accessToken)}` } });
    expect(uninstall.status).toBe(200);
    const refused = await call('/refresh', 'POST');
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({
      error: 'needs_reconnect',
      reason: 'identity_rejected',
      message: 'The connection needs to be reconnected by an admin of the tenant.',
    });
    expect((await call()).status).toBe(409);
  });
});
