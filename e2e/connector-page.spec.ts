/**
 * The connector page on the design system, through a real browser against the Linear and Jira
 * sandboxes: the disconnect dialog by keyboard, the no-JavaScript confirmation, one-time flash
 * notices, the messages for a Deny while connected and for an invalid callback, and in every
 * state the page renders: no sideways scrolling from 320 to 1280 px and no WCAG 2.2 AA
 * violations that axe can find.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from '@playwright/test';
import { connectedText, disconnectedText, flowMessage } from '../app/lib/connector-messages.js';
import { ConnectorEvent } from '../db/entities/index.js';
import { expect, test } from './fixtures.js';
import { expectFlash, flashNotice } from './flash-notice.js';

const PAGE = '/integrations/linear';
const WIDTHS = [320, 390, 768, 1280];
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

const head = (page: Page) => page.locator('.connector-head');
const dialog = (page: Page) => page.getByRole('alertdialog', { name: 'Disconnect Linear?' });

/** Waits until React has hydrated the page and run its effects (as e2e/intercom.spec.ts does). */
async function waitForHydration(page: Page): Promise<void> {
  await page.waitForFunction(() => window.history.scrollRestoration === 'manual');
  await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
}

/** Presses `button`, approves (or denies) at the sandbox; returns the sandbox's origin. */
async function throughConsent(page: Page, appOrigin: string, button: string, decision: 'Approve' | 'Deny' = 'Approve') {
  await page.getByRole('button', { name: button, exact: true }).click();
  await page.waitForURL((url) => url.origin !== appOrigin);
  const sandboxOrigin = new URL(page.url()).origin;
  await page.getByRole('button', { name: decision, exact: true }).click();
  await page.waitForURL((url) => url.origin === appOrigin && url.pathname === PAGE);
  return sandboxOrigin;
}

async function connectLinear(page: Page, baseURL: string | undefined): Promise<string> {
  const appOrigin = new URL(baseURL ?? '').origin;
  await page.goto(PAGE);
  const sandboxOrigin = await throughConsent(page, appOrigin, 'Connect Linear');
  await expect(head(page).getByText('Connected', { exact: true })).toBeVisible();
  return sandboxOrigin;
}

/** Every width without sideways scrolling, and axe finds nothing at the narrowest and widest. */
async function expectFitsAndAccessible(page: Page, state: string): Promise<void> {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    await expect
      .poll(() => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), { message: `${state} at ${width}px` })
      .toBe(true);
    if (width === 320 || width === 1280) {
      const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
      const found = results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      expect(found, `${state} at ${width}px`).toEqual([]);
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

/**
 * The same checks for the page as served without JavaScript. axe runs inside the page, so this
 * opens the URL in a context of the same session whose documents arrive with their scripts
 * removed: the markup a browser without JavaScript renders, with axe still able to run.
 */
async function expectFitsAndAccessibleWithoutScripts(browser: Browser, from: Page, url: string, state: string): Promise<void> {
  const context = await browser.newContext({
    baseURL: new URL(from.url()).origin,
    storageState: await from.context().storageState(),
    javaScriptEnabled: true,
  });
  try {
    const page = await context.newPage();
    await page.route('**/*', async (route) => {
      if (route.request().resourceType() !== 'document') return route.continue();
      const response = await route.fetch();
      const body = (await response.text()).replace(/<script\b[\s\S]*?<\/script>/gi, '');
      await route.fulfill({ response, body });
    });
    await page.goto(url);
    await expect(page.locator('script')).toHaveCount(0);
    await expectFitsAndAccessible(page, state);
  } finally {
    await context.close();
  }
}

/** Presses Tab until `name`'s button has focus. */
async function tabTo(page: Page, name: string): Promise<void> {
  const button = page.getByRole('button', { name, exact: true });
  for (let i = 0; i < 40; i++) {
    if (await button.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${name}`);
}

const focusInside = (page: Page) => dialog(page).evaluate((el) => el.contains(document.activeElement));

test.describe('connector page with JavaScript', () => {
  test('the disconnect dialog by keyboard: Enter opens, Escape and Cancel return focus, confirming keeps it', async ({
    signedInPage: page,
    baseURL,
  }) => {
    await connectLinear(page, baseURL);
    await page.reload();
    await waitForHydration(page);
    const trigger = head(page).getByRole('button', { name: 'Disconnect', exact: true });

    await tabTo(page, 'Disconnect');
    await page.keyboard.press('Enter');
    await expect(dialog(page)).toBeVisible();
    expect(await focusInside(page)).toBe(true);
    // Focus is trapped: Tab keeps cycling inside the dialog.
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab');
      expect(await focusInside(page)).toBe(true);
    }
    await page.keyboard.press('Escape');
    await expect(dialog(page)).toHaveCount(0);
    await expect(trigger).toBeFocused();
    expect(page.url()).toMatch(new RegExp(`${PAGE}$`));

    await page.keyboard.press('Enter');
    await expect(dialog(page)).toBeVisible();
    const cancel = dialog(page).getByRole('button', { name: 'Cancel', exact: true });
    await cancel.focus();
    await page.keyboard.press('Enter');
    await expect(dialog(page)).toHaveCount(0);
    await expect(trigger).toBeFocused();
    await expect(head(page).getByText('Connected', { exact: true })).toBeVisible();

    await page.keyboard.press('Enter');
    await expect(dialog(page)).toBeVisible();
    await dialog(page).getByRole('button', { name: 'Yes, disconnect', exact: true }).focus();
    await page.keyboard.press('Enter');
    await expect(head(page).getByText('Disconnected', { exact: true })).toBeVisible();
    await expect(dialog(page)).toHaveCount(0);
    // Focus is not lost to the body: it is on the new primary action (or the heading).
    await expect
      .poll(() =>
        page.evaluate(() => {
          const el = document.activeElement;
          return el?.tagName === 'H1' ? 'heading' : (el?.textContent ?? '').trim();
        }),
      )
      .toMatch(/^(heading|Reconnect Linear)$/);
    await expectFlash(page, disconnectedText('Linear'), 'success');
  });

  test('a flash notice shows once; a reload does not bring it back', async ({ signedInPage: page, baseURL }) => {
    await connectLinear(page, baseURL);
    await expectFlash(page, connectedText('Linear'), 'success');
    // "Connected to <organization>" is said once, in the connection's details.
    await expect(page.getByText(/Connected to /)).toHaveCount(1);
    // Reconnect is offered, but not as the filled primary button while connected.
    const reconnect = page.getByRole('button', { name: 'Reconnect Linear', exact: true });
    await expect(reconnect).toHaveCount(1);
    await expect(reconnect).not.toHaveClass(/\bbg-primary\b/);
    await page.reload();
    await expect(head(page).getByText('Connected', { exact: true })).toBeVisible();
    await expect(page.getByText(connectedText('Linear'))).toHaveCount(0);
    expect(page.url()).not.toContain('?');
  });

  test('Deny while connected says nothing changed and the connection is still active', async ({ signedInPage: page, baseURL }) => {
    await connectLinear(page, baseURL);
    await throughConsent(page, new URL(baseURL ?? '').origin, 'Reconnect Linear', 'Deny');
    await expectFlash(page, flowMessage('access_denied_connected', 'Linear')?.text ?? '', 'info');
    await expect(flashNotice(page, 'still active')).toBeVisible();
    await expect(head(page).getByText('Connected', { exact: true })).toBeVisible();
  });

  test('a callback with an unknown state says the attempt is not valid', async ({ signedInPage: page }) => {
    await page.goto(`${PAGE}/callback?code=abc&state=not-a-real-state`);
    await expect(page).toHaveURL(new RegExp(`${PAGE}$`));
    const notice = flashNotice(page, 'not valid');
    await expect(notice).toBeVisible();
    await expect(notice).not.toContainText('missing its code or state');
    await page.goto(`${PAGE}/callback?code=abc`);
    await expectFlash(page, flowMessage('invalid_request', 'Linear')?.text ?? '', 'error');
  });

  test('Show more loads more activity, also as a plain link', async ({ signedInPage: page, tenant, orm }) => {
    // 25 recorded events (the page shows 10 first, "Show more" asks for 20 more, up to 50).
    const em = orm.em.fork();
    for (let i = 0; i < 25; i++) {
      em.create(ConnectorEvent, {
        tenant: tenant.id,
        connector: 'linear',
        action: i % 2 ? 'connected' : 'disconnected',
        actorEmail: `admin${i}@e2e.plugboard.test`,
        externalAccountName: 'Acme',
        detail: null,
        createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)),
      });
    }
    await em.flush();
    await page.goto(PAGE);
    const activity = page.getByRole('region', { name: 'Recent activity' });
    const rows = activity.getByRole('row').filter({ has: page.getByRole('cell') });
    await expect(rows).toHaveCount(10);
    await expect(rows.first().getByRole('cell').nth(2)).toHaveText('admin24@e2e.plugboard.test');
    await activity.getByRole('link', { name: 'Show more' }).click();
    await expect(page).toHaveURL(`${PAGE}?events=30`);
    await expect(rows).toHaveCount(25);
    // All shown: nothing more to ask for.
    await expect(activity.getByRole('link', { name: 'Show more' })).toHaveCount(0);
  });

  test('every state fits from 320 to 1280 px and passes axe (WCAG 2.2 AA)', async ({ signedInPage: page, baseURL, tenant, secretBackend }) => {
    await page.goto(PAGE);
    await expect(head(page).getByText('Not connected', { exact: true })).toBeVisible();
    await expectFitsAndAccessible(page, 'not connected');

    const sandboxOrigin = await connectLinear(page, baseURL);
    await expectFitsAndAccessible(page, 'connected');

    // Needs reconnect: revoke the grant at the sandbox behind Plugboard's back, then check.
    const token = (await secretBackend.get(tenant.id, 'LINEAR_ACCESS_TOKEN'))?.reveal() ?? '';
    const revoked = await fetch(`${sandboxOrigin}/oauth/revoke`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(revoked.status).toBe(200);
    await waitForHydration(page);
    await page.getByRole('button', { name: 'Check connection', exact: true }).click();
    await expect(head(page).getByText('Reconnect needed', { exact: true })).toBeVisible();
    await expectFitsAndAccessible(page, 'needs reconnect');

    // A fresh render: Reconnect is the one primary action, in the header.
    await page.goto(PAGE);
    await expect(head(page).getByRole('button', { name: 'Reconnect Linear', exact: true })).toBeVisible();
  });

  test('disconnected and the dialog open fit and pass axe', async ({ signedInPage: page, baseURL }) => {
    await connectLinear(page, baseURL);
    await waitForHydration(page);
    await head(page).getByRole('button', { name: 'Disconnect', exact: true }).click();
    await expect(dialog(page)).toBeVisible();
    await expectFitsAndAccessible(page, 'disconnect dialog');
    await dialog(page).getByRole('button', { name: 'Yes, disconnect', exact: true }).click();
    await expect(head(page).getByText('Disconnected', { exact: true })).toBeVisible();
    await expectFitsAndAccessible(page, 'disconnected');
  });

  test('the choice page (two Jira sites) fits and passes axe', async ({ signedInPage: page }) => {
    await page.goto('/integrations/jira');
    await page.getByRole('button', { name: 'Connect Jira', exact: true }).click();
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await page.waitForURL(/\/integrations\/jira\/choose\/[0-9a-f-]{36}$/);
    await expect(page.getByRole('radio')).toHaveCount(2);
    await expectFitsAndAccessible(page, 'choice page');
  });
});

test.describe('connector page without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('Disconnect falls back to a confirmation state of the page; the notice shows once', async ({
    signedInPage: page,
    browser,
    baseURL,
  }) => {
    await connectLinear(page, baseURL);
    await head(page).getByRole('button', { name: 'Disconnect', exact: true }).click();
    await expect(page).toHaveURL(`${PAGE}?confirm=disconnect`);
    await expect(dialog(page)).toBeVisible();
    await expectFitsAndAccessibleWithoutScripts(browser, page, `${PAGE}?confirm=disconnect`, 'no-JavaScript confirmation');
    await dialog(page).getByRole('button', { name: 'Yes, disconnect', exact: true }).click();
    await expect(page).toHaveURL(PAGE);
    await expect(head(page).getByText('Disconnected', { exact: true })).toBeVisible();
    await expectFlash(page, disconnectedText('Linear'), 'success');
    await page.reload();
    await expect(page.getByText(disconnectedText('Linear'))).toHaveCount(0);
  });

  test('every state fits and passes axe without JavaScript', async ({ signedInPage: page, browser, baseURL }) => {
    await page.goto(PAGE);
    await expectFitsAndAccessibleWithoutScripts(browser, page, PAGE, 'not connected, no JavaScript');
    await connectLinear(page, baseURL);
    await expectFitsAndAccessibleWithoutScripts(browser, page, PAGE, 'connected, no JavaScript');
    await head(page).getByRole('button', { name: 'Disconnect', exact: true }).click();
    await dialog(page).getByRole('button', { name: 'Yes, disconnect', exact: true }).click();
    await expect(head(page).getByText('Disconnected', { exact: true })).toBeVisible();
    await expectFitsAndAccessibleWithoutScripts(browser, page, PAGE, 'disconnected, no JavaScript');
  });
});

