/**
 * The page always shows the true state: tab A shows Linear connected; tab B disconnects it;
 * tab A goes to the catalog and back (client-side navigation) and shows Disconnected, with
 * Reconnect and no Disconnect button — the loader's fresh data wins over the cached query.
 */
import { expect, test } from './fixtures.js';

const PAGE = '/integrations/linear';

test('a change made in another tab shows after navigating away and back', async ({ signedInPage: a, baseURL }) => {
  const origin = new URL(baseURL!).origin;
  await a.goto(PAGE);
  await a.getByRole('button', { name: 'Connect Linear', exact: true }).click();
  await a.waitForURL((url) => url.origin !== origin);
  await a.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(a).toHaveURL(PAGE);
  await expect(a.getByRole('button', { name: 'Disconnect', exact: true })).toBeVisible();

  // Tab B: the same admin, same session, disconnects.
  const b = await a.context().newPage();
  await b.goto(PAGE);
  await b.getByRole('button', { name: 'Disconnect', exact: true }).click();
  await b.getByRole('button', { name: 'Yes, disconnect', exact: true }).click();
  await expect(b.getByRole('button', { name: 'Reconnect Linear', exact: true })).toBeVisible();

  // Tab A, without reloading: to the catalog and back by links.
  await a.bringToFront();
  await a.getByRole('link', { name: /All integrations/ }).click();
  await expect(a).toHaveURL('/integrations');
  await a.getByRole('link', { name: /Linear/ }).first().click();
  await expect(a).toHaveURL(PAGE);
  await expect(a.locator('.connector-head').getByText('Disconnected', { exact: true })).toBeVisible();
  await expect(a.getByRole('button', { name: 'Reconnect Linear', exact: true })).toBeVisible();
  await expect(a.getByRole('button', { name: 'Disconnect', exact: true })).toHaveCount(0);
});

test('focus on a tab refetches the status', async ({ signedInPage: a }) => {
  await a.goto(PAGE);
  await expect(a.locator('.connector-head').getByText('Not connected', { exact: true })).toBeVisible();
  const b = await a.context().newPage();
  await b.goto(PAGE);
  const origin = new URL(b.url()).origin;
  await b.getByRole('button', { name: 'Connect Linear', exact: true }).click();
  await b.waitForURL((url) => url.origin !== origin);
  await b.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(b.locator('.connector-head').getByText('Connected', { exact: true })).toBeVisible();
  await a.bringToFront();
  // React Query's focus manager listens for visibilitychange on window.
  await a.evaluate(() => window.dispatchEvent(new Event('visibilitychange')));
  await expect(a.locator('.connector-head').getByText('Connected', { exact: true })).toBeVisible();
});
