/**
 * GitHub (a GitHub App) through a real browser: the connector page, the GitHub stand-in's
 * installation page (started by the e2e server on loopback because GITHUB_CLIENT_ID is unset),
 * the callback with its installation, and what lands in the database and the secret store;
 * then Disconnect, whose confirmation says that uninstalling the app happens on GitHub.
 */
import type { Page } from '@playwright/test';
import { connectedText, disconnectedText, flowMessage } from '../app/lib/connector-messages.js';
import { ConnectorInstallation, EncryptedSecret } from '../db/entities/index.js';
import type { Orm } from '../db/orm.js';
import { GITHUB_SANDBOX_ACCOUNTS, GITHUB_SANDBOX_SLUG } from '../server/connectors/github/sandbox.js';
import type { LocalSecretBackend } from '../server/secrets/local-backend.js';
import { expect, test } from './fixtures.js';
import { expectFlash } from './flash-notice.js';

const PAGE = '/integrations/github';
const CALLBACK = `${PAGE}/callback`;
const [ORG, , MEMBER_ORG] = GITHUB_SANDBOX_ACCOUNTS;
/** Stand-in installation tokens: `ghs_sbx_` and 27 random bytes in base64url. */
const SANDBOX_TOKEN = /ghs_sbx_[A-Za-z0-9_-]{36}/;

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
    keys: keys.filter((key) => !/^GITHUB_GRANT_/.test(key)),
    token: (await secrets.get(tenantId, 'GITHUB_ACCESS_TOKEN'))?.reveal() ?? null,
  };
}

/** Connect GitHub → the stand-in's installation page, checked → install on `account` (or cancel). Returns the callback URL. */
async function throughInstallation(page: Page, appOrigin: string, account: string, button: 'Install & Authorize' | 'Cancel'): Promise<string> {
  await page.getByRole('button', { name: 'Connect GitHub', exact: true }).click();
  await page.waitForURL((url) => url.origin !== appOrigin);
  const installation = new URL(page.url());
  expect(installation.pathname).toBe(`/apps/${GITHUB_SANDBOX_SLUG}/installations/new`);
  expect([...installation.searchParams.keys()]).toEqual(['state']);
  await expect(page.getByText('GitHub sandbox', { exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Install Plugboard on your GitHub account' })).toBeVisible();
  await page.getByRole('radio', { name: account }).check();
  const callback = page.waitForRequest((request) => request.url().startsWith(`${appOrigin}${CALLBACK}?`));
  await page.getByRole('button', { name: button, exact: true }).click();
  return (await callback).url();
}

test('GitHub: install the app through the stand-in, see the account, disconnect with the note about uninstalling on GitHub', async ({
  signedInPage: page,
  tenant,
  orm,
  secretBackend,
  baseURL,
}) => {
  const appOrigin = originOf(baseURL);
  await page.goto(PAGE);
  await expect(page.getByRole('heading', { level: 1, name: 'GitHub' })).toBeVisible();
  await expect(head(page).getByText('Not connected', { exact: true })).toBeVisible();
  await expect(head(page).getByText('Sandbox', { exact: true })).toBeVisible();

  const callbackUrl = new URL(await throughInstallation(page, appOrigin, ORG.login, 'Install & Authorize'));
  expect(callbackUrl.searchParams.get('code')).toBeTruthy();
  expect(callbackUrl.searchParams.get('installation_id')).toMatch(/^\d+$/);
  expect(callbackUrl.searchParams.get('setup_action')).toBe('install');
  const installationId = callbackUrl.searchParams.get('installation_id') ?? '';
  await expect(page).toHaveURL(PAGE);
  await expectFlash(page, connectedText('GitHub'), 'success');
  await expect(connection(page).getByText(`Connected to ${ORG.login}`, { exact: true })).toBeVisible();
  await expect(head(page).getByText('Connected', { exact: true })).toBeVisible();
  // The installation id is shown with the connection (a learned value).
  await expect(connection(page).getByText(installationId, { exact: true })).toBeVisible();

  const connected = await stored(orm, secretBackend, tenant.id);
  expect(connected.installations).toEqual([{ type: 'github', status: 'active', id: String(ORG.id), name: ORG.login }]);
  // The installation token only: no refresh token exists, and the user's token was dropped.
  expect(connected.keys).toEqual(['GITHUB_ACCESS_TOKEN']);
  expect(connected.token).toMatch(SANDBOX_TOKEN);
  expect(await page.content()).not.toMatch(SANDBOX_TOKEN);

  await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Disconnect GitHub?' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByText(/the app stays installed on your GitHub account until you uninstall it there/)).toBeVisible();
  await expect(dialog.getByRole('link', { name: 'Open the settings on GitHub' })).toHaveAttribute(
    'href',
    `https://github.com/organizations/${ORG.login}/settings/installations/${installationId}`,
  );
  await dialog.getByRole('button', { name: 'Yes, disconnect', exact: true }).click();
  await expect(page).toHaveURL(PAGE);
  await expectFlash(page, disconnectedText('GitHub'), 'success');
  await expect(head(page).getByText('Disconnected', { exact: true })).toBeVisible();
  await expect(connection(page).getByText(`Connected to ${ORG.login}`)).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Reconnect GitHub', exact: true })).toBeVisible();

  const disconnected = await stored(orm, secretBackend, tenant.id);
  expect(disconnected.installations).toEqual([{ type: 'github', status: 'disconnected', id: String(ORG.id), name: ORG.login }]);
  expect(disconnected.keys).toEqual([]);
  expect(disconnected.token).toBeNull();
});

test('GitHub: an installation an owner must approve connects nothing and says so', async ({ signedInPage: page, tenant, orm, secretBackend, baseURL }) => {
  await page.goto(PAGE);
  const callbackUrl = new URL(await throughInstallation(page, originOf(baseURL), MEMBER_ORG.login, 'Install & Authorize'));
  expect(callbackUrl.searchParams.get('setup_action')).toBe('request');
  await expect(page).toHaveURL(PAGE);
  await expectFlash(page, flowMessage('approval_pending', 'GitHub')?.text ?? '', 'info');
  await expect(head(page).getByText('Not connected', { exact: true })).toBeVisible();
  expect(await stored(orm, secretBackend, tenant.id)).toEqual({ installations: [], keys: [], token: null });
});
