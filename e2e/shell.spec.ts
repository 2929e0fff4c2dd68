import AxeBuilder from '@axe-core/playwright';
import { type Page } from '@playwright/test';
import { expect, test } from './fixtures.js';

const WIDTHS = [320, 390, 768, 1280] as const;
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** No sideways scrolling: the page fits the viewport (WCAG 1.4.10 Reflow at 320 px). */
async function expectNoHorizontalScroll(page: Page, label: string): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  expect(scrollWidth, `${label}: scrollWidth ${scrollWidth} > innerWidth ${innerWidth}`).toBeLessThanOrEqual(innerWidth);
}

async function expectNoAxeViolations(page: Page, label: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  const summary = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(summary, label).toEqual([]);
}

test.describe('app shell', () => {
  test.beforeEach(({ browserErrors }) => {
    // Chromium logs every 404 document as a failed resource load.
    browserErrors.allow(/Failed to load resource: the server responded with a status of 404/);
  });

  test('the sign-in page fits every width and passes axe', async ({ page }) => {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 800 });
      await page.goto('/login');
      await expect(page.getByRole('heading', { level: 1, name: 'Sign in to Plugboard' })).toBeVisible();
      await expectNoHorizontalScroll(page, `/login at ${width}px`);
    }
    await expectNoAxeViolations(page, '/login');
  });

  test('the catalog and a 404 fit every width and pass axe', async ({ signedInPage: page }) => {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 800 });
      await page.goto('/integrations');
      await expect(page.getByRole('heading', { level: 1, name: 'Integrations' })).toBeVisible();
      // The longest text in the header is the tenant and email: it must wrap, not push.
      await expect(page.getByRole('banner').getByRole('button', { name: 'Sign out' })).toBeVisible();
      await expectNoHorizontalScroll(page, `/integrations at ${width}px`);

      const response = await page.goto('/this-does-not-exist');
      expect(response?.status()).toBe(404);
      await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
      await expectNoHorizontalScroll(page, `404 at ${width}px`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto('/integrations');
    await expectNoAxeViolations(page, '/integrations');
    await page.goto('/this-does-not-exist');
    await expectNoAxeViolations(page, '404');
  });

  test('the skip link is the first stop and moves focus to the main content', async ({ page }) => {
    await page.goto('/login');
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    await expect(skip).toBeFocused();
    await expect(skip).toBeInViewport();
    await page.keyboard.press('Enter');
    await expect(page.locator('main#main')).toBeFocused();
    // The next Tab continues inside the page, not back in the header.
    await page.keyboard.press('Tab');
    await expect(page.getByLabel('Email')).toBeFocused();
  });

  test('after a client-side navigation focus is on the new page heading and its title is announced', async ({
    signedInPage: page,
  }) => {
    await page.goto('/this-does-not-exist');
    await page.getByRole('main').getByRole('link', { name: 'Back to integrations' }).click();
    await expect(page).toHaveURL('/integrations');
    await expect(page.getByRole('heading', { level: 1, name: 'Integrations' })).toBeFocused();
    await expect(page.getByTestId('route-announcer')).toHaveText('Integrations · Plugboard');
  });

  test('signing out shows the notice once, as a toast', async ({ signedInPage: page }) => {
    await page.goto('/integrations');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL('/login');
    await expect(page.getByRole('region', { name: /Notification/ })).toContainText('You have signed out.');
    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: 'Sign in to Plugboard' })).toBeVisible();
    await expect(page.getByText('You have signed out.')).toHaveCount(0);
  });
});

test.describe('app shell without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the sign-out notice is part of the page, once', async ({ signedInPage: page }) => {
    await page.goto('/integrations');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL('/login');
    await expect(page.getByRole('main').getByRole('status')).toHaveText('You have signed out.');
    await page.reload();
    await expect(page.getByText('You have signed out.')).toHaveCount(0);
  });
});
