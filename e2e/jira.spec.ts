/**
 * Jira through a real browser, with and without JavaScript: the sandbox (standing in for
 * Atlassian because JIRA_CLIENT_ID is unset) answers two sites, so the callback leads to the
 * choice page; only the pick makes the connection, and the page then names the site.
 */
import type { Page } from '@playwright/test';
import { connectedText, flowMessage } from '../app/lib/connector-messages.js';
import { ConnectorGrant, ConnectorInstallation } from '../db/entities/index.js';
import type { Orm } from '../db/orm.js';
import { JIRA_SANDBOX_SITES as SITES } from '../server/connectors/jira/sandbox-profile.js';
import { expect, test } from './fixtures.js';
import { expectFlash } from './flash-notice.js';

const PAGE = '/integrations/jira';
const head = (page: Page) => page.locator('.connector-head');
const connection = (page: Page) => page.getByRole('region', { name: 'Connection' });

async function rows(orm: Orm, tenantId: string) {
  const em = orm.em.fork();
  return {
    installations: (await em.find(ConnectorInstallation, { tenant: tenantId, type: 'jira' })).map((i) => [i.status, i.externalAccountName]),
    grants: (await em.find(ConnectorGrant, { tenant: tenantId, connector: 'jira' })).map((g) => g.status),
  };
}

/** Connect Jira and approve at the sandbox: lands on the choice page. */
async function toChoice(page: Page) {
  await page.goto(PAGE);
  await expect(head(page).getByText('Not connected', { exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Connect Jira', exact: true }).click();
  await expect(page.getByText('Atlassian sandbox', { exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.waitForURL(/\/integrations\/jira\/choose\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Choose the Jira account to connect' })).toBeVisible();
  return page.url();
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(`Jira ${javaScriptEnabled ? 'with' : 'without'} JavaScript`, () => {
    test.use({ javaScriptEnabled });

    test('two sites: pick one, connected to it, the site shown', async ({ signedInPage: page, tenant, orm }) => {
      const choiceUrl = await toChoice(page);
      for (const site of SITES) await expect(page.getByRole('radio', { name: new RegExp(site.name) })).toBeVisible();
      // Nothing is connected while the choice is open.
      expect(await rows(orm, tenant.id)).toEqual({ installations: [], grants: ['pending'] });

      await page.getByRole('radio', { name: new RegExp(SITES[1].name) }).check();
      await page.getByRole('button', { name: 'Connect this account', exact: true }).click();
      await expect(page).toHaveURL(PAGE);
      await expectFlash(page, connectedText('Jira'), 'success');
      await expect(connection(page).getByText(`Connected to ${SITES[1].name}`, { exact: true })).toBeVisible();
      await expect(connection(page).locator('[data-learned="siteUrl"]')).toHaveText(SITES[1].url);
      await expect(connection(page).locator('[data-learned="cloudId"]')).toHaveText(SITES[1].id);
      expect(await rows(orm, tenant.id)).toEqual({ installations: [['active', SITES[1].name]], grants: ['active'] });

      // Back to the used choice: it is gone, and the page says so.
      await page.goto(choiceUrl);
      await expect(page).toHaveURL(PAGE);
      await expectFlash(page, flowMessage('choice_unknown', 'Jira')?.text ?? '', 'error');
    });

    test('cancel: nothing connected, the grant given up, and the page says so', async ({ signedInPage: page, tenant, orm }) => {
      await toChoice(page);
      await page.getByRole('button', { name: 'Cancel', exact: true }).click();
      await expect(page).toHaveURL(PAGE);
      await expectFlash(page, flowMessage('choice_cancelled', 'Jira')?.text ?? '', 'info');
      await expect(head(page).getByText('Not connected', { exact: true })).toBeVisible();
      const after = await rows(orm, tenant.id);
      expect(after.installations).toEqual([]);
      expect(after.grants).toHaveLength(1);
      expect(['revoking', 'discarded']).toContain(after.grants[0]);
    });
  });
}
