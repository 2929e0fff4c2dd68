/**
 * Salesforce in a real browser, with and without JavaScript: the Connect form asks where the
 * admin logs in (production, sandbox or a My Domain name), the consent page (Salesforce's
 * sandbox, which the e2e server starts on loopback for every login host because
 * SALESFORCE_CLIENT_ID is unset) approves, and the page shows the org, the login choice and the
 * instance URL learned from the token answer. A malformed My Domain name comes back as a field
 * error and starts nothing; Disconnect forgets the tokens.
 */
import type { Page } from '@playwright/test';
import { connectedText, disconnectedText } from '../app/lib/connector-messages.js';
import { ConfigValue, EncryptedSecret } from '../db/entities/index.js';
import type { Orm } from '../db/orm.js';
import { SALESFORCE_SANDBOX_ORG as ORG, SALESFORCE_SANDBOX_USER as USER } from '../server/connectors/salesforce/sandbox-profile.js';
import { expect, test } from './fixtures.js';
import { expectFlash } from './flash-notice.js';

const PAGE = '/integrations/salesforce';
const INSTANCE = 'https://sandbox-org.my.salesforce.com';
const ACCOUNT = `${ORG.id} — ${USER.username}`;

const connection = (page: Page) => page.getByRole('region', { name: 'Connection' });
const head = (page: Page) => page.locator('.connector-head');

async function stored(orm: Orm, tenantId: string) {
  const em = orm.em.fork();
  const values = await em.find(ConfigValue, { tenant: tenantId }, { orderBy: { key: 'asc' } });
  const secrets = await em.find(EncryptedSecret, { tenant: tenantId }, { orderBy: { key: 'asc' } });
  return {
    values: Object.fromEntries(values.filter((v) => v.key.startsWith('SALESFORCE_')).map((v) => [v.key, v.value])),
    secrets: secrets.map((s) => s.key).filter((key) => /^SALESFORCE_(ACCESS|REFRESH)_TOKEN$/.test(key)),
  };
}

/** Connect → the sandbox's consent page → Approve → back on the page, connected. */
async function approveAndReturn(page: Page) {
  await page.getByRole('button', { name: 'Connect Salesforce', exact: true }).click();
  await expect(page).toHaveURL(/\/services\/oauth2\/authorize\?/);
  const consent = new URL(page.url());
  expect(consent.searchParams.get('scope')).toBe('api refresh_token id');
  expect(consent.searchParams.get('code_challenge_method')).toBe('S256');
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page).toHaveURL(PAGE);
  await expectFlash(page, connectedText('Salesforce'), 'success');
  await expect(connection(page).getByText(`Connected to ${ACCOUNT}`, { exact: true })).toBeVisible();
}

async function disconnect(page: Page) {
  await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Disconnect Salesforce?' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Yes, disconnect', exact: true }).click();
  await expect(page).toHaveURL(PAGE);
  await expectFlash(page, disconnectedText('Salesforce'), 'success');
  await expect(head(page).getByText('Disconnected', { exact: true })).toBeVisible();
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(javaScriptEnabled ? 'with JavaScript' : 'without JavaScript', () => {
    test.use({ javaScriptEnabled });

    test('Salesforce: pick Sandbox, connect, see the org and its instance, disconnect', async ({ signedInPage: page, tenant, orm }) => {
      await page.goto(PAGE);
      await expect(page.getByRole('heading', { level: 1, name: 'Salesforce' })).toBeVisible();
      const login = page.getByLabel('Where you log in to Salesforce');
      await expect(login).toHaveValue('production');
      await expect(login.locator('option')).toHaveText([
        'Production (login.salesforce.com)',
        'Sandbox (test.salesforce.com)',
        'My Domain (<name>.my.salesforce.com)',
      ]);
      await login.selectOption('sandbox');
      await approveAndReturn(page);

      await expect(connection(page).locator('dd[data-setting="login"]')).toHaveText('Sandbox (test.salesforce.com)');
      await expect(connection(page).locator('dd[data-learned="instanceUrl"]')).toHaveText(INSTANCE);
      await expect(connection(page).locator('dd[data-setting="myDomain"]')).toHaveCount(0);
      expect(await stored(orm, tenant.id)).toEqual({
        values: {
          SALESFORCE_INSTANCE_URL: INSTANCE,
          SALESFORCE_LOGIN: 'sandbox',
          SALESFORCE_SCOPES: 'api refresh_token id',
          SALESFORCE_TOKEN_TYPE: 'Bearer',
        },
        secrets: ['SALESFORCE_ACCESS_TOKEN', 'SALESFORCE_REFRESH_TOKEN'],
      });
      // Reconnect offers the stored choice.
      await expect(page.getByLabel('Where you log in to Salesforce')).toHaveValue('sandbox');

      await disconnect(page);
      expect(await stored(orm, tenant.id)).toEqual({ values: {}, secrets: [] });
    });

    test('Salesforce: a My Domain name is typed; a malformed one is refused next to the field', async ({ signedInPage: page, tenant, orm, browserErrors }) => {
      // The refused form answers HTTP 400, which the browser logs.
      browserErrors.allow(/Failed to load resource: the server responded with a status of 400/);
      await page.goto(PAGE);
      await page.getByLabel('Where you log in to Salesforce').selectOption('my_domain');
      const name = page.getByLabel('My Domain name');
      await name.fill('globex.my.salesforce.com/evil');
      await page.getByRole('button', { name: 'Connect Salesforce', exact: true }).click();
      await expect(page).toHaveURL(PAGE);
      await expect(page.getByLabel('My Domain name')).toHaveAttribute('aria-invalid', 'true');
      await expect(page.locator('#setting-myDomain-error')).toHaveText(/letters, digits and single hyphens/);
      await expect(page.getByRole('alert')).toHaveText('Please correct the highlighted fields.');
      expect(await stored(orm, tenant.id)).toEqual({ values: {}, secrets: [] });

      await page.getByLabel('Where you log in to Salesforce').selectOption('my_domain');
      await page.getByLabel('My Domain name').fill('Globex');
      await approveAndReturn(page);
      await expect(connection(page).locator('dd[data-setting="login"]')).toHaveText('My Domain (<name>.my.salesforce.com)');
      await expect(connection(page).locator('dd[data-setting="myDomain"]')).toHaveText('globex');
      await expect(connection(page).locator('dd[data-learned="instanceUrl"]')).toHaveText(INSTANCE);
      expect((await stored(orm, tenant.id)).values).toMatchObject({ SALESFORCE_LOGIN: 'my_domain', SALESFORCE_MY_DOMAIN: 'globex' });
      await disconnect(page);
    });
  });
}
