/**
 * Every available connector, the way `npm start` runs it with nothing configured: the real
 * server process in development mode starts each connector's sandbox, and an admin connects
 * over HTTP (connect, Approve on the sandbox's page, the callback's exchange, a site picked where
 * the grant reaches several), a backend reads the token through the token API and forces a
 * refresh where the provider issues refresh tokens, then the admin disconnects and reconnects.
 * A connector made available without a working sandbox fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceKey } from '../auth/service-keys.js';
import { approveOnConsentPage, AppClient } from '../../test/support/app-client.js';
import { useTestDatabase } from '../../test/support/database.js';
import { makeTenant, makeUser, TEST_PASSWORD } from '../../test/support/factories.js';
import { startServerProcess, type ServerProcess } from '../../test/support/server-process.js';
import { connectors } from './registry.js';
import { defaultConnectionSettings } from './settings.js';
import type { ConnectorDefinition } from './types.js';

const db = useTestDatabase();
let server: ServerProcess;
let serviceKey: string;

const available = (connectors as readonly ConnectorDefinition[]).filter((c) => c.availability === 'available' && c.oauth);

beforeAll(async () => {
  // What `npm start` does: development mode, no client ids, so every connector gets its sandbox.
  server = await startServerProcess(db.url, { NODE_ENV: 'development', OAUTH_SANDBOX: 'auto' });
  serviceKey = (await createServiceKey(db.orm.em.fork(), 'catalog-sandboxes')).key.reveal();
}, 90_000);
afterAll(() => server?.stop());

type Status = { connected: boolean; sandbox: boolean; workspace: { name: string } | null; expiresAt: string | null };

async function unwrap<T>(promise: Promise<{ ok: true; data: T } | { ok: false; status: number; message: string }>): Promise<T> {
  const result = await promise;
  if (!result.ok) throw new Error(`HTTP ${result.status}: ${result.message}`);
  return result.data;
}

/** Connect as an admin does; where the grant reaches several accounts, the first one offered is picked. */
async function connect(admin: AppClient, definition: ConnectorDefinition): Promise<void> {
  const { id } = definition;
  // A required setting (Zendesk's subdomain) gets a plain sample value; the sandbox serves any.
  const settings = defaultConnectionSettings(definition) === null ? Object.fromEntries(Object.keys(definition.settings?.fields ?? {}).map((name) => [name, 'sandbox'])) : null;
  const { authorizeUrl } = await unwrap(admin.call<{ authorizeUrl: string }>(`${id}.connect`, settings ? { settings } : undefined));
  const callback = await approveOnConsentPage(authorizeUrl);
  const exchanged = await unwrap(admin.call<{ redirectTo: string | null; finishing: boolean }>(`${id}.exchange`, callback));
  const choice = /\/choose\/([0-9a-f-]{36})$/.exec(exchanged.redirectTo ?? '')?.[1];
  if (choice) {
    const offered = await unwrap(admin.query<{ accounts: { id: string }[] }>(`${id}.choice`, { id: choice }));
    await unwrap(admin.call(`${id}.choose`, { id: choice, account: offered.accounts[0]?.id }));
  }
}

function tokenApi(id: string, tenant: string, refresh = false): Promise<Response> {
  return fetch(`${server.base}/api/v1/connections/${id}/token${refresh ? '/refresh' : ''}?tenant=${tenant}`, {
    method: refresh ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${serviceKey}` },
  });
}

describe('every available connector works through its sandbox, as in npm start', () => {
  it('has connectors to check', () => {
    expect(available.length).toBeGreaterThanOrEqual(3);
  });

  for (const definition of available) {
    const { id } = definition;
    it(`${definition.name}: connect, token API, refresh, disconnect, reconnect`, async () => {
      const tenant = await makeTenant(db.orm.em.fork());
      const user = await makeUser(db.orm.em.fork(), tenant.slug, 'admin');
      const admin = await AppClient.signIn(server.base, user.email, TEST_PASSWORD);

      await connect(admin, definition);
      const status = await unwrap(admin.query<Status>(`${id}.status`));
      expect(status).toMatchObject({ connected: true, sandbox: true });
      expect(status.workspace?.name).toBeTruthy();

      const first = await tokenApi(id, tenant.slug);
      expect(first.status).toBe(200);
      const token = ((await first.json()) as { accessToken: string }).accessToken;
      expect(token).toBeTruthy();

      // A provider that issues refresh tokens (or renews another way) gives a new token on demand.
      // OAuth 1.0a (Trello) keeps its token secret in that slot and never refreshes: the token is checked.
      if (definition.oauth1) {
        const checked = await tokenApi(id, tenant.slug, true);
        expect(checked.status).toBe(200);
        expect(((await checked.json()) as { accessToken: string; tokenSecret?: string }).tokenSecret).toBeTruthy();
      } else if (definition.oauth?.storage.refreshToken || status.expiresAt) {
        const refreshed = await tokenApi(id, tenant.slug, true);
        expect(refreshed.status).toBe(200);
        expect(((await refreshed.json()) as { accessToken: string }).accessToken).not.toBe(token);
      }

      await unwrap(admin.call(`${id}.disconnect`));
      expect(await unwrap(admin.query<Status>(`${id}.status`))).toMatchObject({ connected: false });
      expect((await tokenApi(id, tenant.slug)).status).toBe(404);

      await connect(admin, definition);
      expect(await unwrap(admin.query<Status>(`${id}.status`))).toMatchObject({ connected: true });
      expect(server.output()).not.toContain(token);
    }, 60_000);
  }
});
