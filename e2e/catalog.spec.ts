/**
 * The catalog page in a real browser: available connectors first, grouped by category; the ?q=
 * search with and without JavaScript; the "Reconnect needed" badge after a real connection through
 * the sandbox; a distinct mark per connector; reflow at four widths and axe in each state.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { ConnectorInstallation } from '../db/entities/index.js';
import { connectors } from '../server/connectors/registry.js';
import { CONNECTOR_CATEGORIES } from '../server/connectors/types.js';
import { expect, test } from './fixtures.js';

const WIDTHS = [320, 390, 768, 1280] as const;
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

const available = (page: Page) => page.getByRole('region', { name: 'Available now' });
const comingSoon = (page: Page) => page.getByRole('region', { name: 'Coming soon' });
const card = (page: Page, id: string) => page.locator(`li[data-connector="${id}"]`);
const search = (page: Page) => page.getByRole('searchbox', { name: 'Search integrations' });

/** The category labels, in catalog order, that have at least one connector of this availability. */
function expectedCategories(availability: 'available' | 'coming_soon'): string[] {
  return (Object.keys(CONNECTOR_CATEGORIES) as (keyof typeof CONNECTOR_CATEGORIES)[])
    .filter((id) => connectors.some((c) => c.availability === availability && c.category === id))
    .map((id) => CONNECTOR_CATEGORIES[id]);
}

async function expectFitsEveryWidth(page: Page, url: string, label: string): Promise<void> {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    await page.goto(url);
    await expect(page.getByRole('heading', { level: 1, name: 'Integrations' })).toBeVisible();
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    }));
    expect(scrollWidth, `${label} at ${width}px: scrollWidth ${scrollWidth} > innerWidth ${innerWidth}`).toBeLessThanOrEqual(innerWidth);
  }
}

async function expectNoAxeViolations(page: Page, label: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  const summary = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(summary, label).toEqual([]);
}

/** With JavaScript, waits until React has hydrated (the same wait as e2e/intercom.spec.ts). */
async function waitForHydration(page: Page): Promise<void> {
  await page.waitForFunction(() => window.history.scrollRestoration === 'manual');
  await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
}

test('available connectors come first, grouped by category in catalog order, each with one link to its page', async ({
  signedInPage: page,
}) => {
  await page.goto('/integrations');
  // The coming-soon section shows only while some connector is not available yet.
  const anyComingSoon = connectors.some((c) => c.availability === 'coming_soon');
  expect(await page.getByRole('heading', { level: 2 }).allTextContents()).toEqual(
    anyComingSoon ? ['Available now', 'Coming soon'] : ['Available now'],
  );
  expect(await available(page).getByRole('heading', { level: 3 }).allTextContents()).toEqual(expectedCategories('available'));
  if (anyComingSoon) {
    expect(await comingSoon(page).getByRole('heading', { level: 3 }).allTextContents()).toEqual(expectedCategories('coming_soon'));
  } else {
    await expect(comingSoon(page)).toHaveCount(0);
  }

  await expect(page.locator('li[data-connector]')).toHaveCount(connectors.length);
  for (const c of connectors) {
    const section = c.availability === 'available' ? available(page) : comingSoon(page);
    // Each card sits in its own category's list.
    const list = section.getByRole('list', { name: CONNECTOR_CATEGORIES[c.category], exact: true });
    await expect(list.locator(`li[data-connector="${c.id}"]`)).toHaveCount(1);
    const links = card(page, c.id).getByRole('link');
    if (c.availability === 'available') {
      await expect(links).toHaveCount(1);
      await expect(links).toHaveAccessibleName(`Connect ${c.name}`);
      await expect(links).toHaveAttribute('href', `/integrations/${c.id}`);
      await expect(card(page, c.id).getByText('Not connected', { exact: true })).toBeVisible();
    } else {
      // Coming soon: says so, and offers no link to a page that does not exist.
      await expect(links).toHaveCount(0);
      await expect(card(page, c.id).getByText('Coming soon', { exact: true })).toBeVisible();
    }
  }
  // The action works: it opens the connector's page.
  await card(page, 'linear').getByRole('link', { name: 'Connect Linear' }).click();
  await expect(page).toHaveURL('/integrations/linear');
});

test('every connector has its own mark: a logo, or a monogram no other tile shares', async ({ signedInPage: page }) => {
  await page.goto('/integrations');
  const marks = await page.locator('li[data-connector] [data-mark]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-mark')));
  expect(marks).toHaveLength(connectors.length);
  expect(new Set(marks).size, `marks: ${marks.join(', ')}`).toBe(marks.length);
  // Connectors without a logo show their monogram's letters, not just a first letter.
  for (const c of connectors.filter((x) => !x.icon)) {
    await expect(card(page, c.id).locator('.monogram')).toHaveText(c.monogram ?? c.name.charAt(0));
  }
  const monograms = await page.locator('li[data-connector] .monogram').allTextContents();
  expect(new Set(monograms).size).toBe(monograms.length);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('?q= filters on the server; the form submits it; no match says so with a way back', async ({ signedInPage: page }) => {
    await page.goto('/integrations?q=lin');
    await expect(search(page)).toHaveValue('lin');
    await expect(card(page, 'linear')).toBeVisible();
    await expect(card(page, 'slack')).toHaveCount(0);
    await expect(card(page, 'intercom')).toHaveCount(0);

    // The category matches too: "support" finds Intercom (and Zendesk), not Linear.
    await page.goto('/integrations');
    await search(page).fill('support');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect(page).toHaveURL('/integrations?q=support');
    await expect(card(page, 'intercom')).toBeVisible();
    await expect(card(page, 'linear')).toHaveCount(0);

    await page.goto('/integrations?q=nothing-like-this');
    await expect(page.getByRole('heading', { name: 'No integrations match “nothing-like-this”' })).toBeVisible();
    await expect(page.locator('li[data-connector]')).toHaveCount(0);
    await page.getByRole('link', { name: 'Show all integrations' }).click();
    await expect(page).toHaveURL('/integrations');
    await expect(page.locator('li[data-connector]')).toHaveCount(connectors.length);
  });
});

test.describe('with JavaScript', () => {
  test('typing filters at once and keeps ?q= in the address; reload renders the same; no match says so', async ({
    signedInPage: page,
  }) => {
    await page.goto('/integrations');
    await waitForHydration(page);
    // No request per key: the whole catalog is already on the page.
    let loaderCalls = 0;
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/integrations' || r.url().includes('_data=')) loaderCalls += 1;
    });
    await search(page).pressSequentially('lin');
    await expect(card(page, 'linear')).toBeVisible();
    await expect(card(page, 'slack')).toHaveCount(0);
    await expect(page).toHaveURL('/integrations?q=lin');
    await expect(page.getByRole('status')).toHaveText('1 integration matches “lin”.');
    expect(loaderCalls).toBe(0);
    await expect(search(page)).toBeFocused();

    await page.reload();
    await expect(search(page)).toHaveValue('lin');
    await expect(card(page, 'slack')).toHaveCount(0);
    await waitForHydration(page);

    await search(page).fill('');
    await expect(page).toHaveURL('/integrations');
    await expect(page.locator('li[data-connector]')).toHaveCount(connectors.length);

    await search(page).fill('qqqq');
    await expect(page.getByRole('heading', { name: 'No integrations match “qqqq”' })).toBeVisible();
    await page.getByRole('link', { name: 'Show all integrations' }).click();
    await expect(page).toHaveURL('/integrations');
    await expect(search(page)).toHaveValue('');
    await expect(page.locator('li[data-connector]')).toHaveCount(connectors.length);
  });
});

test('a connection the provider no longer accepts shows "Reconnect needed" and a Reconnect action', async ({
  signedInPage: page,
  orm,
  tenant,
  baseURL,
}) => {
  const appOrigin = new URL(baseURL ?? '').origin;
  await page.goto('/integrations/linear');
  await page.getByRole('button', { name: 'Connect Linear', exact: true }).click();
  await page.waitForURL((url) => url.origin !== appOrigin);
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page).toHaveURL(/\/integrations\/linear/);

  await page.goto('/integrations');
  await expect(card(page, 'linear').getByText('Connected', { exact: true })).toBeVisible();
  await expect(card(page, 'linear').getByRole('link')).toHaveAccessibleName('Manage Linear');

  const updated = await orm.em
    .fork()
    .nativeUpdate(ConnectorInstallation, { tenant: tenant.id, type: 'linear' }, { health: 'needs_reconnect', healthReason: 'invalid_grant' });
  expect(updated).toBe(1);

  await page.goto('/integrations');
  await expect(card(page, 'linear').getByText('Reconnect needed', { exact: true })).toBeVisible();
  const action = card(page, 'linear').getByRole('link');
  await expect(action).toHaveAccessibleName('Reconnect Linear');
  await expect(action).toHaveAttribute('href', '/integrations/linear');
  // The others are unchanged.
  await expect(card(page, 'intercom').getByRole('link')).toHaveAccessibleName('Connect Intercom');

  await expectFitsEveryWidth(page, '/integrations', 'catalog with a reconnect needed');
  await expectNoAxeViolations(page, 'catalog with a reconnect needed');
});

test('the full catalog, a search and an empty search fit every width and pass axe', async ({ signedInPage: page }) => {
  for (const [url, label] of [
    ['/integrations', 'full catalog'],
    ['/integrations?q=lin', 'search'],
    ['/integrations?q=nothing-like-this', 'empty search'],
  ] as const) {
    await expectFitsEveryWidth(page, url, label);
    await expectNoAxeViolations(page, `${label} at 1280px`);
    await page.setViewportSize({ width: 320, height: 800 });
    await page.reload();
    await expectNoAxeViolations(page, `${label} at 320px`);
  }
});
