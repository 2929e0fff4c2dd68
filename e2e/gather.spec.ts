/**
 * Gather through a real browser: no OAuth, a key form. The e2e server starts Gather's stand-in
 * on loopback (no provider override set), which accepts its one development key for its one
 * space. A wrong key is refused with nothing stored and the key field empty again; the right key
 * connects and names the space; Disconnect forgets the key. With and without JavaScript.
 */
import type { Page } from '@playwright/test';
import { connectedText, disconnectedText } from '../app/lib/connector-messages.js';
import { ConnectorInstallation, EncryptedSecret } from '../db/entities/index.js';
import type { Orm } from '../db/orm.js';
import { GATHER_SANDBOX_KEY, GATHER_SANDBOX_SPACE } from '../server/connectors/gather/sandbox.js';
import type { LocalSecretBackend } from '../server/secrets/local-backend.js';
import { expect, test } from './fixtures.js';
import { expectFlash } from './flash-notice.js';

const PAGE = '/integrations/gather';
const WRONG_KEY = 'gk_wrong-key-that-gather-refuses-0123456789';
/** As an admin copies it from the space's address. */
const SPACE_AS_TYPED = GATHER_SANDBOX_SPACE.replace('\\', '/');
const SPACE_NAME = 'Plugboard Office';

const connection = (page: Page) => page.getByRole('region', { name: 'Connection' });
const head = (page: Page) => page.locator('.connector-head');

async function stored(orm: Orm, secrets: LocalSecretBackend, tenantId: string) {
  const em = orm.em.fork();
  const installations = await em.find(ConnectorInstallation, { tenant: tenantId });
  const keys = (await em.find(EncryptedSecret, { tenant: tenantId }, { orderBy: { key: 'asc' } })).map((s) => s.key);
  return {
    installations: installations.map((i) => ({ status: i.status, name: i.externalAccountName ?? null })),
    keys: keys.filter((key) => !/^GATHER_GRANT_/.test(key)),
    key: (await secrets.get(tenantId, 'GATHER_API_KEY'))?.reveal() ?? null,
  };
}

async function submitKey(page: Page, key: string) {
  await page.getByLabel('Space id').fill(SPACE_AS_TYPED);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Connect Gather', exact: true }).click();
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(`Gather ${javaScriptEnabled ? 'with' : 'without'} JavaScript`, () => {
    test.use({ javaScriptEnabled });

    test('a wrong key is refused, the right key connects and names the space, disconnect forgets it', async ({
      signedInPage: page,
      tenant,
      orm,
      secretBackend,
      browserErrors,
    }) => {
      // The refused key answers the form with 400, which the browser reports.
      browserErrors.allow(/Failed to load resource: the server responded with a status of 400/);
      await page.goto(PAGE);
      await expect(page.getByRole('heading', { level: 1, name: 'Gather' })).toBeVisible();
      await expect(head(page).getByText('Not connected', { exact: true })).toBeVisible();
      await expect(page.getByLabel('API key')).toHaveAttribute('type', 'password');

      await submitKey(page, WRONG_KEY);
      await expect(page).toHaveURL(PAGE);
      await expect(page.getByText(/Gather did not accept this API key/)).toBeVisible();
      await expect(head(page).getByText('Not connected', { exact: true })).toBeVisible();
      await expect(page.getByLabel('API key')).toHaveValue('');
      await expect(page.getByLabel('Space id')).toHaveValue(SPACE_AS_TYPED);
      expect(await page.content()).not.toContain(WRONG_KEY);
      expect(await stored(orm, secretBackend, tenant.id)).toEqual({ installations: [], keys: [], key: null });

      await submitKey(page, GATHER_SANDBOX_KEY);
      await expect(page).toHaveURL(PAGE);
      await expectFlash(page, connectedText('Gather'), 'success');
      await expect(connection(page).getByText(`Connected to ${SPACE_NAME}`, { exact: true })).toBeVisible();
      await expect(head(page).getByText('Connected', { exact: true })).toBeVisible();
      await expect(page.getByLabel('API key')).toHaveValue('');
      expect(await page.content()).not.toContain(GATHER_SANDBOX_KEY);
      expect(new URL(page.url()).search).toBe('');
      const connected = await stored(orm, secretBackend, tenant.id);
      expect(connected.installations).toEqual([{ status: 'active', name: SPACE_NAME }]);
      expect(connected.keys).toEqual(['GATHER_API_KEY']);
      expect(connected.key).toBe(GATHER_SANDBOX_KEY);

      await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
      if (javaScriptEnabled) {
        const dialog = page.getByRole('alertdialog', { name: 'Disconnect Gather?' });
        await expect(dialog).toBeVisible();
        await expect(dialog.getByText(/delete it at gather\.town\/apiKeys/)).toBeVisible();
        await dialog.getByRole('button', { name: 'Yes, disconnect', exact: true }).click();
      } else {
        await expect(page.getByText(/delete it at gather\.town\/apiKeys/)).toBeVisible();
        await page.getByRole('button', { name: 'Yes, disconnect', exact: true }).click();
      }
      await expect(page).toHaveURL(PAGE);
      await expectFlash(page, disconnectedText('Gather'), 'success');
      await expect(head(page).getByText('Disconnected', { exact: true })).toBeVisible();
      const disconnected = await stored(orm, secretBackend, tenant.id);
      expect(disconnected.installations).toEqual([{ status: 'disconnected', name: SPACE_NAME }]);
      expect(disconnected.keys).toEqual([]);
      expect(disconnected.key).toBeNull();
    });
  });
}
