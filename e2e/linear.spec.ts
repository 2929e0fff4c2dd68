/**
 * Linear through a real browser: the connector page, the generic sandbox's consent page (the
 * stand-in for linear.app that the e2e server starts on loopback because LINEAR_CLIENT_ID is
 * unset), the callback, and what lands in the database and the secret store.
 */
import type { Page } from '@playwright/test';
import { connectedText, disconnectedText, flowMessage } from '../app/lib/connector-messages.js';
import { ConnectorInstallation, EncryptedSecret } from '../db/entities/index.js';
import type { Orm } from '../db/orm.js';
import { LINEAR_SANDBOX_ORGANIZATION as ORG } from '../server/connectors/linear/sandbox-profile.js';
import type { LocalSecretBackend } from '../server/secrets/local-backend.js';
import { expect, test } from './fixtures.js';
import { expectFlash } from './flash-notice.js';

const PAGE = '/integrations/linear';
const CALLBACK = `${PAGE}/callback`;
/** Sandbox access tokens: the profile's prefix, `at_`, 24 random bytes in base64url. */
const SANDBOX_TOKEN = /lin_sbx_at_[A-Za-z0-9_-]{32}/;

const connection = (page: Page) => page.getByRole('region', { name: 'Connection' });
const head = (page: Page) => page.locator('.connector-head');

function originOf(baseURL: string | undefined): string {
  if (!baseURL) throw new Error('these tests need use.baseURL in playwright.config.ts');
  return new URL(baseURL).origin;
}

async function stored(orm: Orm, secrets: LocalSecretBackend, tenantId: string) {
  const em = orm.em.fork();
  const installations = await em.find(ConnectorInstallation, { tenant: tenantId });
  const keys = (await em.find(EncryptedSecret, { tenant: tenantId }, { orderBy: { key: 'asc' } })).map((s) => s.key);
  return {
    installations: installations.map((i) => ({ type: i.type, status: i.status, id: i.externalAccountId ?? null, name: i.externalAccountName ?? null })),
    keys: keys.filter((key) => !/^LINEAR_GRANT_/.test(key)),
    token: (await secrets.get(tenantId, 'LINEAR_ACCESS_TOKEN'))?.reveal() ?? null,
  };
}

/** Connect Linear → the sandbox's consent page, checked → `decision`. Returns the callback URL. */
async function throughConsent(page: Page, appOrigin: string, decision: 'Approve' | 'Deny'): Promise<string> {
  await page.getByRole('button', { name: 'Connect Linear', exact: true }).click();
  await page.waitForURL((url) => url.origin !== appOrigin);
  const consent = new URL(page.url());
  expect(consent.pathname).toBe('/oauth/authorize');
  expect(consent.searchParams.get('client_id')).toBe('sandbox-linear');
  expect(consent.searchParams.get('redirect_uri')).toBe(`${appOrigin}${CALLBACK}`);
  expect(consent.searchParams.get('scope')).toBe('read');
  expect(consent.searchParams.get('code_challenge_method')).toBe('S256');
  await expect(page.getByText('Linear sandbox', { exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: `Plugboard wants to access your Linear workspace ${ORG.name}` })).toBeVisible();
  const callback = page.waitForRequest((request) => request.url().startsWith(`${appOrigin}${CALLBACK}?`));
  await page.getByRole('button', { name: decision, exact: true }).click();
  return (await callback).url();
}

test('Linear: connect through the sandbox consent page, see the organization, disconnect', async ({
  signedInPage: page,
  tenant,
  orm,
  secretBackend,
  baseURL,
}) => {
  const appOrigin = originOf(baseURL);
  await page.goto(PAGE);
  await expect(page.getByRole('heading', { level: 1, name: 'Linear' })).toBeVisible();
  await expect(head(page).getByText('Not connected', { exact: true })).toBeVisible();
  await expect(head(page).getByText('Sandbox', { exact: true })).toBeVisible();

  const callbackUrl = await throughConsent(page, appOrigin, 'Approve');
  expect(new URL(callbackUrl).searchParams.get('code')).toBeTruthy();
  await expect(page).toHaveURL(PAGE);
  await expectFlash(page, connectedText('Linear'), 'success');
  await expect(connection(page).getByText(`Connected to ${ORG.name}`, { exact: true })).toBeVisible();
  await expect(head(page).getByText('Connected', { exact: true })).toBeVisible();

  const connected = await stored(orm, secretBackend, tenant.id);
  expect(connected.installations).toEqual([{ type: 'linear', status: 'active', id: ORG.id, name: ORG.name }]);
  // The refresh token is kept too (Linear rotates it), never shown.
  expect(connected.keys).toEqual(['LINEAR_ACCESS_TOKEN', 'LINEAR_REFRESH_TOKEN']);
  expect(connected.token).toMatch(SANDBOX_TOKEN);
  expect(await page.content()).not.toMatch(SANDBOX_TOKEN);

  await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Disconnect Linear?' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Yes, disconnect', exact: true }).click();
  await expect(page).toHaveURL(PAGE);
  await expectFlash(page, disconnectedText('Linear'), 'success');
  await expect(head(page).getByText('Disconnected', { exact: true })).toBeVisible();
  await expect(connection(page).getByText(`Connected to ${ORG.name}`)).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Reconnect Linear', exact: true })).toBeVisible();

  const disconnected = await stored(orm, secretBackend, tenant.id);
  expect(disconnected.installations).toEqual([{ type: 'linear', status: 'disconnected', id: ORG.id, name: ORG.name }]);
  expect(disconnected.keys).toEqual([]);
  expect(disconnected.token).toBeNull();
});

test('Linear: Deny at the sandbox stores nothing and says so', async ({ signedInPage: page, tenant, orm, secretBackend, baseURL }) => {
  await page.goto(PAGE);
  await throughConsent(page, originOf(baseURL), 'Deny');
  await expect(page).toHaveURL(PAGE);
  // Declining is the admin's choice, not an error: an info notice.
  await expectFlash(page, flowMessage('access_denied', 'Linear')?.text ?? '', 'info');
  await expect(head(page).getByText('Not connected', { exact: true })).toBeVisible();
  expect(await stored(orm, secretBackend, tenant.id)).toEqual({ installations: [], keys: [], token: null });
});
