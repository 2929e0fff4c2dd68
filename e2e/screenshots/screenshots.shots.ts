/**
 * The README's pictures: the catalog and Linear's page (not connected, connected, reconnect
 * needed) at 1280 and 390 px, written to docs/screenshots/. Run with `npm run screenshots`.
 * Linear is connected for real through the sandbox; "reconnect needed" is set on the row, as
 * the health check would after the provider revokes the grant.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { ConnectorInstallation, Tenant } from '../../db/entities/index.js';
import { expect, test } from '../fixtures.js';

const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshots');
const WIDTHS = { desktop: 1280, phone: 390 } as const;

async function shoot(page: Page, name: string): Promise<void> {
  for (const [label, width] of Object.entries(WIDTHS)) {
    await page.setViewportSize({ width, height: 900 });
    await page.reload();
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await page.screenshot({ path: path.join(OUT, `${name}-${label}.png`), fullPage: true, animations: 'disabled', caret: 'hide' });
  }
}

test('catalog and connector page, in each state', async ({ signedInPage: page, orm, tenant, baseURL }) => {
  test.setTimeout(120_000);
  // A readable tenant name in the header instead of the fixture's random one.
  await orm.em.fork().nativeUpdate(Tenant, { id: tenant.id }, { name: 'Acme Inc.' });

  await page.goto('/integrations');
  await shoot(page, 'catalog');

  await page.goto('/integrations/linear');
  await shoot(page, 'connector-not-connected');

  const appOrigin = new URL(baseURL ?? '').origin;
  await page.setViewportSize({ width: WIDTHS.desktop, height: 900 });
  await page.getByRole('button', { name: 'Connect Linear', exact: true }).click();
  await page.waitForURL((url) => url.origin !== appOrigin);
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.waitForURL((url) => url.origin === appOrigin);
  // A fresh visit, so a one-time notice of the connect is not in the picture.
  await page.goto('/integrations/linear');
  await shoot(page, 'connector-connected');

  await orm.em
    .fork()
    .nativeUpdate(ConnectorInstallation, { tenant: tenant.id, type: 'linear' }, { health: 'needs_reconnect', healthReason: 'invalid_grant', healthChangedAt: new Date() });
  await page.goto('/integrations/linear');
  await shoot(page, 'connector-needs-reconnect');

  await page.goto('/integrations');
  await shoot(page, 'catalog-reconnect-needed');
});
