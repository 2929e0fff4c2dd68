/**
 * Google Drive through a real browser: the connector page, the generic sandbox's consent page
 * playing Google (the e2e server starts it because GOOGLE_DRIVE_CLIENT_ID is unset), with the
 * Drive permission that a user can untick there, the callback, and what lands in the database
 * and the secret store.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { connectedText, disconnectedText } from '../app/lib/connector-messages.js';
import { ConnectorInstallation, EncryptedSecret } from '../db/entities/index.js';
import type { Orm } from '../db/orm.js';
import { GOOGLE_SANDBOX_USER as USER } from '../server/connectors/google/sandbox-profile.js';
import type { LocalSecretBackend } from '../server/secrets/local-backend.js';
import { expect, test } from './fixtures.js';
import { expectFlash } from './flash-notice.js';

const PAGE = '/integrations/google_drive';
const DRIVE = 'https://www.googleapis.com/auth/drive.readonly';
/** Sandbox access tokens: the profile's prefix, `at_`, 32 random bytes in base64url. */
const SANDBOX_TOKEN = /goog_sbx_at_[A-Za-z0-9_-]{43}/;

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
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
    keys: keys.filter((key) => !/^GOOGLE_DRIVE_GRANT_/.test(key)),
    token: (await secrets.get(tenantId, 'GOOGLE_DRIVE_ACCESS_TOKEN'))?.reveal() ?? null,
  };
}

/** The page fits from 320 to 1280 px without sideways scrolling, and axe finds nothing at either end (as e2e/connector-page.spec.ts checks). */
async function expectFitsAndAccessible(page: Page, state: string): Promise<void> {
  for (const width of [320, 390, 768, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    await expect
      .poll(() => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), { message: `${state} at ${width}px` })
      .toBe(true);
    if (width === 320 || width === 1280) {
      const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
      expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), `${state} at ${width}px`).toEqual([]);
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** Connect (or Reconnect) → the sandbox's consent page, checked, the Drive box ticked or not → Approve. */
async function throughConsent(page: Page, appOrigin: string, button: string, drive: 'tick' | 'untick'): Promise<void> {
  await page.getByRole('button', { name: button, exact: true }).click();
  await page.waitForURL((url) => url.origin !== appOrigin);
  const consent = new URL(page.url());
  expect(consent.pathname).toBe('/o/oauth2/v2/auth');
  expect(consent.searchParams.get('client_id')).toBe('sandbox-google_drive');
  expect(consent.searchParams.get('redirect_uri')).toBe(`${appOrigin}${PAGE}/callback`);
  expect(consent.searchParams.get('scope')).toBe(`openid email ${DRIVE}`);
  expect(consent.searchParams.get('access_type')).toBe('offline');
  expect(consent.searchParams.get('prompt')).toBe('consent');
  expect(consent.searchParams.get('code_challenge_method')).toBe('S256');
  await expect(page.getByText('Google Drive sandbox', { exact: true })).toBeVisible();
  const box = page.getByRole('checkbox', { name: DRIVE });
  await expect(box).toBeChecked();
  if (drive === 'untick') await box.uncheck();
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.waitForURL((url) => url.origin === appOrigin && url.pathname === PAGE);
}

test('Google Drive: connect through the sandbox consent page, see the account, disconnect', async ({
  signedInPage: page,
  tenant,
  orm,
  secretBackend,
  baseURL,
}) => {
  const appOrigin = originOf(baseURL);
  await page.goto(PAGE);
  await expect(page.getByRole('heading', { level: 1, name: 'Google Drive' })).toBeVisible();
  await expect(head(page).getByText('Not connected', { exact: true })).toBeVisible();

  await throughConsent(page, appOrigin, 'Connect Google Drive', 'tick');
  await expectFlash(page, connectedText('Google Drive'), 'success');
  await expect(connection(page).getByText(`Connected to ${USER.email}`, { exact: true })).toBeVisible();
  await expect(head(page).getByText('Connected', { exact: true })).toBeVisible();
  await expect(connection(page).getByText('Healthy', { exact: true })).toBeVisible();
  await expect(page.locator('[data-missing-scopes]')).toHaveCount(0);

  const connected = await stored(orm, secretBackend, tenant.id);
  expect(connected.installations).toEqual([{ type: 'google_drive', status: 'active', id: USER.sub, name: USER.email }]);
  expect(connected.keys).toEqual(['GOOGLE_DRIVE_ACCESS_TOKEN', 'GOOGLE_DRIVE_REFRESH_TOKEN']);
  expect(connected.token).toMatch(SANDBOX_TOKEN);
  expect(await page.content()).not.toMatch(SANDBOX_TOKEN);

  await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Disconnect Google Drive?' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Yes, disconnect', exact: true }).click();
  await expect(page).toHaveURL(PAGE);
  await expectFlash(page, disconnectedText('Google Drive'), 'success');
  await expect(head(page).getByText('Disconnected', { exact: true })).toBeVisible();
  expect(await stored(orm, secretBackend, tenant.id)).toEqual({
    installations: [{ type: 'google_drive', status: 'disconnected', id: USER.sub, name: USER.email }],
    keys: [],
    token: null,
  });
});

test('Google Drive: the Drive permission unticked at consent is named on the page; Reconnect with it ticked clears the warning', async ({
  signedInPage: page,
  baseURL,
}) => {
  const appOrigin = originOf(baseURL);
  await page.goto(PAGE);
  await throughConsent(page, appOrigin, 'Connect Google Drive', 'untick');
  await expectFlash(page, connectedText('Google Drive'), 'success');

  const warning = page.locator('[data-missing-scopes]');
  await expect(warning.getByRole('heading', { name: 'A permission was not granted' })).toBeVisible();
  await expect(warning.getByText('See and download all your Google Drive files', { exact: false })).toBeVisible();
  await expect(warning.getByText('use “Reconnect Google Drive” below and leave this permission ticked', { exact: false })).toBeVisible();
  await expect(connection(page).getByText('Working, with permissions missing', { exact: true })).toBeVisible();
  await expectFitsAndAccessible(page, 'missing a scope');

  await throughConsent(page, appOrigin, 'Reconnect Google Drive', 'tick');
  await expect(connection(page).getByText(`Connected to ${USER.email}`, { exact: true })).toBeVisible();
  await expect(page.locator('[data-missing-scopes]')).toHaveCount(0);
  await expect(connection(page).getByText('Healthy', { exact: true })).toBeVisible();
});
