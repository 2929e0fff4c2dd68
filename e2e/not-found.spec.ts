import { type Page } from '@playwright/test';
import { expect, test } from './fixtures.js';

/** The one not-found page: status 404, its title, the app shell, a way back. */
async function expectNotFound(page: Page, url: string): Promise<void> {
  const response = await page.goto(url);
  expect(response?.status(), url).toBe(404);
  await expect(page).toHaveTitle('Page not found · Plugboard');
  await expect(page.getByRole('banner').getByRole('link', { name: 'Plugboard' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
  await expect(page.getByRole('main').getByRole('link', { name: 'Back to integrations' })).toBeVisible();
  await expect(page.locator('body')).not.toContainText('No route matches');
}

test.describe('not found', () => {
  test.beforeEach(({ browserErrors }) => {
    // Chromium logs every 404 document as a failed resource load.
    browserErrors.allow(/Failed to load resource: the server responded with a status of 404/);
  });

  test('an unknown URL shows the not-found page in the app shell, and leads back', async ({ signedInPage: page, admin }) => {
    await expectNotFound(page, '/this-does-not-exist');
    await expect(page.getByRole('banner')).toContainText(admin.email);
    await page.getByRole('main').getByRole('link', { name: 'Back to integrations' }).click();
    await expect(page).toHaveURL('/integrations');
    await expect(page).toHaveTitle('Integrations · Plugboard');
  });

  test('an unknown connector and its callback show the same page', async ({ signedInPage: page, admin }) => {
    await expectNotFound(page, '/integrations/nope');
    await expect(page.getByRole('banner')).toContainText(admin.email);
    await expectNotFound(page, '/integrations/nope/callback?code=abc&state=def');
    await expect(page.getByRole('banner')).toContainText(admin.email);
  });

  test('a visitor who is not signed in gets the page with a sign-in link', async ({ page }) => {
    await expectNotFound(page, '/this-does-not-exist');
    await expect(page.getByRole('banner').getByRole('link', { name: 'Sign in' })).toBeVisible();
  });
});
