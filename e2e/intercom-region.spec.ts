/**
 * Intercom's region setting in a real browser without JavaScript: the Connect form asks for the
 * region, posts it to the action, the consent page (the sandbox, which serves every region)
 * approves, and the page shows the region the connection was made in. A value no option offers,
 * posted by hand, comes back as a field error next to the field, and nothing starts.
 */
import { ConfigValue } from '../db/entities/index.js';
import { expect, test } from './fixtures.js';

const PAGE = '/integrations/intercom';

test.use({ javaScriptEnabled: false });

test('the region form works without JavaScript and the connection shows its region', async ({ signedInPage: page, tenant, orm }) => {
  await page.goto(PAGE);
  const region = page.getByLabel('Workspace region');
  await expect(region).toHaveValue('us');
  await expect(region.locator('option')).toHaveText([
    'United States (app.intercom.com)',
    'Europe (app.eu.intercom.com)',
    'Australia (app.au.intercom.com)',
  ]);
  await region.selectOption('eu');
  await page.getByRole('button', { name: 'Connect Intercom', exact: true }).click();

  await expect(page).toHaveURL(/\/oauth\?/);
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page).toHaveURL(PAGE);

  const connection = page.getByRole('region', { name: 'Connection' });
  await expect(connection.getByRole('term')).toContainText(['Workspace region']);
  await expect(connection.locator('dd[data-setting="region"]')).toHaveText('Europe (app.eu.intercom.com)');
  // Reconnect offers the stored region.
  await expect(page.getByLabel('Workspace region')).toHaveValue('eu');
  const stored = await orm.em.fork().find(ConfigValue, { tenant: tenant.id, key: 'INTERCOM_REGION' });
  expect(stored.map((r) => r.value)).toEqual(['eu']);
});

test('a region no option offers is refused next to the field', async ({ signedInPage: page, tenant, orm }) => {
  await page.goto(PAGE);
  // What a hand-made post would send: the form's own fields with another value.
  const response = await page.request.post(PAGE, {
    form: { intent: 'connect', region: 'evil.example/' },
    headers: { origin: new URL(page.url()).origin },
    maxRedirects: 0,
  });
  expect(response.status()).toBe(400);
  await page.setContent(await response.text());
  const field = page.getByLabel('Workspace region');
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#setting-region-error')).toHaveText(/Invalid option/);
  await expect(page.getByRole('alert')).toHaveText('Please correct the highlighted fields.');
  expect(await orm.em.fork().count(ConfigValue, { tenant: tenant.id })).toBe(0);
});
