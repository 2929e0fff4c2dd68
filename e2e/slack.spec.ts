/**
 * Slack through a real browser: the connector page, the generic sandbox's consent page (the
 * stand-in for slack.com that the e2e server starts on loopback because SLACK_CLIENT_ID is
 * unset; it plays an app with token rotation), the callback, and what lands in the database
 * and the secret store; then Disconnect through the dialog.
 */
import type { Page } from '@playwright/test';
import { connectedText, disconnectedText } from '../app/lib/connector-messages.js';
import { ConnectorInstallation, EncryptedSecret } from '../db/entities/index.js';
import type { Orm } from '../db/orm.js';
import { SLACK_SANDBOX_TEAM as TEAM, SLACK_SANDBOX_USER_TOKEN } from '../server/connectors/slack/sandbox-profile.js';
import type { LocalSecretBackend } from '../server/secrets/local-backend.js';
import { expect, test } from './fixtures.js';
import { expectFlash } from './flash-notice.js';

const PAGE = '/integrations/slack';
const CALLBACK = `${PAGE}/callback`;
/** Sandbox bot tokens with rotation: Slack's `xoxe.xoxb-` prefix, then the sandbox's marks. */
const SANDBOX_TOKEN = /xoxe\.xoxb-sbx-at_[A-Za-z0-9_-]{32}/;

const connection = (page: Page) => page.getByRole('region', { name: 'Connection' });
const head = (page: Page) => page.locator('.connector-head');

function originOf(baseURL: string | undefined): string {
  if (!baseURL) throw new Error('these tests need use.baseURL in playwright.config.ts');
  return new URL(baseURL).origin;
}

async function stored(orm: Orm, secrets: LocalSecretBackend, tenantId: string) {
  const em = orm.em.fork();
  const installations = await em.find(ConnectorInstallation, { tenant: tenantId });
  const keys = (await em.find(EncryptedSecret, { tenant: tenantId }, { orderBy: { key: 'asc' } })).map((s) => s.key);
  return {
    installations: installations.map((i) => ({ type: i.type, status: i.status, id: i.externalAccountId ?? null, name: i.externalAccountName ?? null })),
    keys: keys.filter((key) => !/^SLACK_GRANT_/.test(key)),
    token: (await secrets.get(tenantId, 'SLACK_ACCESS_TOKEN'))?.reveal() ?? null,
    refreshToken: (await secrets.get(tenantId, 'SLACK_REFRESH_TOKEN'))?.reveal() ?? null,
  };
}

test('Slack: connect through the sandbox consent page, see the workspace, disconnect', async ({
  signedInPage: page,
  tenant,
  orm,
  secretBackend,
  baseURL,
}) => {
  const appOrigin = originOf(baseURL);
  await page.goto(PAGE);
  await expect(page.getByRole('heading', { level: 1, name: 'Slack' })).toBeVisible();
  await expect(head(page).getByText('Not connected', { exact: true })).toBeVisible();
  await expect(head(page).getByText('Sandbox', { exact: true })).toBeVisible();

  // Connect → Slack's v2 consent page: bot scopes, comma separated, and no PKCE.
  await page.getByRole('button', { name: 'Connect Slack', exact: true }).click();
  await page.waitForURL((url) => url.origin !== appOrigin);
  const consent = new URL(page.url());
  expect(consent.pathname).toBe('/oauth/v2/authorize');
  expect(consent.searchParams.get('client_id')).toBe('sandbox-slack');
  expect(consent.searchParams.get('redirect_uri')).toBe(`${appOrigin}${CALLBACK}`);
  expect(consent.searchParams.get('scope')).toBe('channels:read,channels:history,users:read,team:read');
  expect(consent.searchParams.has('user_scope')).toBe(false);
  expect(consent.searchParams.has('code_challenge')).toBe(false);
  await expect(page.getByText('Slack sandbox', { exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: `Plugboard wants to access your Slack workspace ${TEAM.name}` })).toBeVisible();
  const callback = page.waitForRequest((request) => request.url().startsWith(`${appOrigin}${CALLBACK}?`));
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  expect(new URL((await callback).url()).searchParams.get('code')).toBeTruthy();

  await expect(page).toHaveURL(PAGE);
  await expectFlash(page, connectedText('Slack'), 'success');
  await expect(connection(page).getByText(`Connected to ${TEAM.name}`, { exact: true })).toBeVisible();
  await expect(head(page).getByText('Connected', { exact: true })).toBeVisible();

  const connected = await stored(orm, secretBackend, tenant.id);
  expect(connected.installations).toEqual([{ type: 'slack', status: 'active', id: TEAM.id, name: TEAM.name }]);
  // The bot token and, with token rotation, its single-use refresh token; never the user token.
  expect(connected.keys).toEqual(['SLACK_ACCESS_TOKEN', 'SLACK_REFRESH_TOKEN']);
  expect(connected.token).toMatch(SANDBOX_TOKEN);
  expect(connected.refreshToken).toMatch(/^xoxe-/);
  expect([connected.token, connected.refreshToken]).not.toContain(SLACK_SANDBOX_USER_TOKEN);
  const html = await page.content();
  expect(html).not.toMatch(SANDBOX_TOKEN);
  expect(html).not.toContain('xoxe-');

  await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Disconnect Slack?' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Yes, disconnect', exact: true }).click();
  await expect(page).toHaveURL(PAGE);
  await expectFlash(page, disconnectedText('Slack'), 'success');
  await expect(head(page).getByText('Disconnected', { exact: true })).toBeVisible();
  await expect(connection(page).getByText(`Connected to ${TEAM.name}`)).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Reconnect Slack', exact: true })).toBeVisible();

  const disconnected = await stored(orm, secretBackend, tenant.id);
  expect(disconnected.installations).toEqual([{ type: 'slack', status: 'disconnected', id: TEAM.id, name: TEAM.name }]);
  expect(disconnected.keys).toEqual([]);
  expect(disconnected.token).toBeNull();
  expect(disconnected.refreshToken).toBeNull();
});
