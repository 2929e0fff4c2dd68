/**
 * HubSpot through a real browser: the Connect form with the revoke-on-disconnect setting, the
 * generic sandbox's consent page (the stand-in for app.hubspot.com and api.hubapi.com that the e2e
 * server starts because HUBSPOT_CLIENT_ID is unset), the portal named on the page, and what
 * Disconnect says and does with the setting at Yes and at No.
 */
import type { Page } from '@playwright/test';
import { connectedText, disconnectedText } from '../app/lib/connector-messages.js';
import { ConnectorGrant, ConnectorInstallation } from '../db/entities/index.js';
import type { Orm } from '../db/orm.js';
import { HUBSPOT_REVOKE_OPTIONS } from '../server/connectors/hubspot/definition.js';
import { HUBSPOT_SANDBOX_ACCOUNT as ACCOUNT } from '../server/connectors/hubspot/sandbox-profile.js';
import { expect, test } from './fixtures.js';
import { expectFlash } from './flash-notice.js';

const PAGE = '/integrations/hubspot';
const ACCOUNT_NAME = `HubSpot portal ${ACCOUNT.portalId} (${ACCOUNT.uiDomain})`;

const connection = (page: Page) => page.getByRole('region', { name: 'Connection' });
const head = (page: Page) => page.locator('.connector-head');
const setting = (page: Page) => page.getByLabel('Revoke at HubSpot on Disconnect');

async function grantStatuses(orm: Orm, tenantId: string): Promise<string[]> {
  const grants = await orm.em.fork().find(ConnectorGrant, { tenant: tenantId, connector: 'hubspot' }, { orderBy: { createdAt: 'asc' } });
  return grants.map((g) => g.status);
}

/** Connect HubSpot with the setting at `value`, approve at the sandbox, and come back connected. */
async function connectWith(page: Page, value: 'yes' | 'no'): Promise<void> {
  await page.goto(PAGE);
  await expect(head(page).getByText('Not connected', { exact: true })).toBeVisible();
  await expect(setting(page)).toHaveValue('yes');
  await expect(setting(page).locator('option')).toHaveText([HUBSPOT_REVOKE_OPTIONS.yes, HUBSPOT_REVOKE_OPTIONS.no]);
  await setting(page).selectOption(value);
  await page.getByRole('button', { name: 'Connect HubSpot', exact: true }).click();
  await expect(page).toHaveURL(/\/oauth\/authorize\?/);
  const consent = new URL(page.url());
  expect(consent.searchParams.get('client_id')).toBe('sandbox-hubspot');
  expect(consent.searchParams.get('scope')).toBe('oauth crm.objects.contacts.read');
  await expect(page.getByText('HubSpot sandbox', { exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page).toHaveURL(PAGE);
  await expectFlash(page, connectedText('HubSpot'), 'success');
  await expect(connection(page).getByText(`Connected to ${ACCOUNT_NAME}`, { exact: true })).toBeVisible();
  await expect(connection(page).locator('dd[data-setting="revokeOnDisconnect"]')).toHaveText(HUBSPOT_REVOKE_OPTIONS[value]);
}

async function disconnect(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Disconnect HubSpot?' });
  await expect(dialog).toBeVisible();
  const text = (await dialog.textContent()) ?? '';
  await dialog.getByRole('button', { name: 'Yes, disconnect', exact: true }).click();
  await expect(page).toHaveURL(PAGE);
  await expectFlash(page, disconnectedText('HubSpot'), 'success');
  await expect(head(page).getByText('Disconnected', { exact: true })).toBeVisible();
  return text;
}

test('HubSpot: connected with the default setting, Disconnect revokes at HubSpot', async ({ signedInPage: page, tenant, orm }) => {
  await connectWith(page, 'yes');
  const installations = await orm.em.fork().find(ConnectorInstallation, { tenant: tenant.id, type: 'hubspot' });
  expect(installations.map((i) => [i.status, i.externalAccountId])).toEqual([['active', String(ACCOUNT.portalId)]]);

  expect(await disconnect(page)).toContain(`Plugboard will revoke its access to ${ACCOUNT_NAME}`);
  // The job revokes the refresh token at the sandbox.
  await expect.poll(() => grantStatuses(orm, tenant.id)).toEqual(['revoked']);
});

test('HubSpot: with the setting at No, Disconnect only forgets the tokens', async ({ signedInPage: page, tenant, orm }) => {
  await connectWith(page, 'no');
  const text = await disconnect(page);
  expect(text).not.toContain('will revoke its access');
  expect(text).toContain('delete its stored tokens');
  expect(text).toContain('set not to revoke its access at HubSpot');
  expect(text).not.toContain('offers apps no way');
  await expect.poll(() => grantStatuses(orm, tenant.id)).toEqual(['discarded']);
});
