/**
 * Notion through a real browser: the connector page, the generic sandbox's consent page (the
 * stand-in for api.notion.com that the e2e server starts on loopback because NOTION_CLIENT_ID
 * is unset), the callback, the workspace the token answer named, and disconnect.
 */
import type { Page } from '@playwright/test';
import { connectedText, disconnectedText } from '../app/lib/connector-messages.js';
import { ConnectorInstallation, EncryptedSecret } from '../db/entities/index.js';
import type { Orm } from '../db/orm.js';
import { NOTION_SANDBOX_WORKSPACE as WORKSPACE } from '../server/connectors/notion/sandbox-profile.js';
import type { LocalSecretBackend } from '../server/secrets/local-backend.js';
import { expect, test } from './fixtures.js';
import { expectFlash } from './flash-notice.js';

const PAGE = '/integrations/notion';
const CALLBACK = `${PAGE}/callback`;
/** Sandbox access tokens: the profile's prefix, `at_`, 32 random bytes in base64url. */
const SANDBOX_TOKEN = /ntn_sbx_at_[A-Za-z0-9_-]{43}/;

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
    keys: keys.filter((key) => !/^NOTION_GRANT_/.test(key)),
    token: (await secrets.get(tenantId, 'NOTION_ACCESS_TOKEN'))?.reveal() ?? null,
  };
}

test('Notion: connect through the sandbox consent page, see the workspace, disconnect', async ({ signedInPage: page, tenant, orm, secretBackend, baseURL }) => {
  const appOrigin = originOf(baseURL);
  await page.goto(PAGE);
  await expect(page.getByRole('heading', { level: 1, name: 'Notion' })).toBeVisible();
  await expect(head(page).getByText('Not connected', { exact: true })).toBeVisible();
  await expect(head(page).getByText('Sandbox', { exact: true })).toBeVisible();

  await page.getByRole('button', { name: 'Connect Notion', exact: true }).click();
  await page.waitForURL((url) => url.origin !== appOrigin);
  const consent = new URL(page.url());
  expect(consent.pathname).toBe('/v1/oauth/authorize');
  expect(Object.fromEntries(consent.searchParams)).toEqual({
    client_id: 'sandbox-notion',
    redirect_uri: `${appOrigin}${CALLBACK}`,
    response_type: 'code',
    state: expect.any(String),
    owner: 'user',
  });
  await expect(page.getByText('Notion sandbox', { exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: `Plugboard wants to access your Notion workspace ${WORKSPACE.name}` })).toBeVisible();
  const callback = page.waitForRequest((request) => request.url().startsWith(`${appOrigin}${CALLBACK}?`));
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  expect(new URL((await callback).url()).searchParams.get('code')).toBeTruthy();

  await expect(page).toHaveURL(PAGE);
  await expectFlash(page, connectedText('Notion'), 'success');
  await expect(connection(page).getByText(`Connected to ${WORKSPACE.name}`, { exact: true })).toBeVisible();
  // What the token answer told, shown as learned values.
  await expect(connection(page).locator('[data-learned="botId"]')).toHaveText(WORKSPACE.botId);
  await expect(connection(page).locator('[data-learned="workspaceIcon"]')).toHaveText(WORKSPACE.icon);
  await expect(connection(page).locator('[data-learned="ownerType"]')).toHaveText('user');

  const connected = await stored(orm, secretBackend, tenant.id);
  expect(connected.installations).toEqual([{ type: 'notion', status: 'active', id: WORKSPACE.id, name: WORKSPACE.name }]);
  expect(connected.keys).toEqual(['NOTION_ACCESS_TOKEN', 'NOTION_REFRESH_TOKEN']);
  expect(connected.token).toMatch(SANDBOX_TOKEN);
  expect(await page.content()).not.toMatch(SANDBOX_TOKEN);

  await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Disconnect Notion?' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Yes, disconnect', exact: true }).click();
  await expect(page).toHaveURL(PAGE);
  await expectFlash(page, disconnectedText('Notion'), 'success');
  await expect(head(page).getByText('Disconnected', { exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Reconnect Notion', exact: true })).toBeVisible();

  const disconnected = await stored(orm, secretBackend, tenant.id);
  expect(disconnected.installations).toEqual([{ type: 'notion', status: 'disconnected', id: WORKSPACE.id, name: WORKSPACE.name }]);
  expect(disconnected.keys).toEqual([]);
  expect(disconnected.token).toBeNull();
});
