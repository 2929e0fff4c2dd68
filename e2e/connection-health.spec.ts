/**
 * Connection health through a real browser, with and without JavaScript: connect Linear through
 * the sandbox, revoke the grant at the sandbox behind Plugboard's back, press "Check connection",
 * see the "Reconnect needed" banner (and the catalog's badge), reconnect, and see it healthy again.
 */
import type { Page } from '@playwright/test';
import { healthReasonText } from '../app/lib/connector-messages.js';
import { LINEAR_SANDBOX_ORGANIZATION as ORG } from '../server/connectors/linear/sandbox-profile.js';
import { expect, test } from './fixtures.js';

const PAGE = '/integrations/linear';

const connection = (page: Page) => page.getByRole('region', { name: 'Connection' });
const head = (page: Page) => page.locator('.connector-head');
const banner = (page: Page) => connection(page).getByRole('alert', { name: 'Reconnect needed' });
const fact = (page: Page, term: string) => connection(page).locator('dt', { hasText: term }).locator('xpath=following-sibling::dd[1]');

/** Presses `button`, approves at the sandbox's consent page; returns the sandbox's origin. */
async function approveAtSandbox(page: Page, button: string, appOrigin: string): Promise<string> {
  await page.getByRole('button', { name: button, exact: true }).click();
  await page.waitForURL((url) => url.origin !== appOrigin);
  const sandboxOrigin = new URL(page.url()).origin;
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page).toHaveURL(PAGE);
  return sandboxOrigin;
}

/**
 * With JavaScript on, waits until React has hydrated the page and run its effects (the page's
 * `hydrated` flag decides whether "Check connection" goes through tRPC or posts the form);
 * the same wait as e2e/intercom.spec.ts.
 */
async function waitForHydration(page: Page, javaScriptEnabled: boolean): Promise<void> {
  if (!javaScriptEnabled) return;
  await page.waitForFunction(() => window.history.scrollRestoration === 'manual');
  await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(javaScriptEnabled ? 'with JavaScript' : 'without JavaScript', () => {
    test.use({ javaScriptEnabled });

    test('Linear: a grant revoked at the provider shows "Reconnect needed" after a check; reconnecting makes it healthy', async ({
      signedInPage: page,
      tenant,
      secretBackend,
      baseURL,
    }) => {
      const appOrigin = new URL(baseURL ?? '').origin;
      await page.goto(PAGE);
      const sandboxOrigin = await approveAtSandbox(page, 'Connect Linear', appOrigin);

      // Healthy, with the expiry and the scopes the sandbox granted.
      await expect(fact(page, 'Health')).toHaveText('Healthy');
      await expect(fact(page, 'Token expires')).toHaveText(/UTC$/);
      await expect(connection(page).getByRole('list', { name: 'Granted scopes' })).toHaveText('read');
      await expect(banner(page)).toHaveCount(0);

      // Linear's bearer-style revoke ends the whole grant, refresh token included.
      const token = (await secretBackend.get(tenant.id, 'LINEAR_ACCESS_TOKEN'))?.reveal() ?? '';
      expect(token).not.toBe('');
      const revoked = await fetch(`${sandboxOrigin}/oauth/revoke`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect(revoked.status).toBe(200);

      // With JavaScript the check is the tRPC mutation; without, the form posts to the page's action.
      await waitForHydration(page, javaScriptEnabled);
      const checked = page.waitForResponse((response) =>
        javaScriptEnabled
          ? response.url().includes('/api/trpc/linear.check')
          : response.request().method() === 'POST' && new URL(response.url()).pathname === PAGE,
      );
      await page.getByRole('button', { name: 'Check connection', exact: true }).click();
      expect((await checked).status()).toBe(200);
      await expect(banner(page)).toBeVisible();
      await expect(banner(page)).toContainText(healthReasonText('invalid_grant', 'Linear'));
      await expect(connection(page).locator('[data-check-result]')).toHaveText('Checked just now: Linear no longer accepts the connection.');
      await expect(head(page).getByText('Reconnect needed', { exact: true })).toBeVisible();
      await expect(fact(page, 'Health')).toHaveText('Reconnect needed');
      // One way forward: a single Reconnect button, the page's primary action in its header.
      await expect(page.getByRole('button', { name: 'Reconnect Linear', exact: true })).toHaveCount(1);
      await expect(head(page).getByRole('button', { name: 'Reconnect Linear', exact: true })).toBeVisible();
      await expect(banner(page)).toContainText('Reconnect Linear');
      const needed = page.locator('table.events td[data-action="needs_reconnect"]');
      await expect(needed).toHaveText(`Reconnect needed: ${healthReasonText('invalid_grant', 'Linear')}`);
      await expect(needed.locator('xpath=following-sibling::td[1]')).toHaveText('Plugboard');

      await page.goto('/integrations');
      const card = page.locator('li[data-connector="linear"]');
      await expect(card.getByText('Reconnect needed', { exact: true })).toBeVisible();

      await page.goto(PAGE);
      await approveAtSandbox(page, 'Reconnect Linear', appOrigin);
      await expect(connection(page).getByText(`Connected to ${ORG.name}`, { exact: true })).toBeVisible();
      await expect(banner(page)).toHaveCount(0);
      await expect(fact(page, 'Health')).toHaveText('Healthy');
      await expect(head(page).getByText('Connected', { exact: true })).toBeVisible();
      // Newest first: reconnected after the reconnect was needed, after the first connect.
      const actions = await page.locator('table.events td[data-action]').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-action')));
      expect(actions.filter((a) => a === 'connected' || a === 'needs_reconnect' || a === 'reconnected')).toEqual([
        'reconnected',
        'needs_reconnect',
        'connected',
      ]);
      expect(await page.content()).not.toContain(token);

      await page.goto('/integrations');
      await expect(page.locator('li[data-connector="linear"]').getByText('Connected', { exact: true })).toBeVisible();
    });
  });
}
