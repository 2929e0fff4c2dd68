/**
 * Intercom through a real browser, end to end: the connector page, the sandbox's consent page
 * (the stand-in for app.intercom.com that the e2e server starts on loopback), the callback, and
 * what lands in the database and the secret store. No mocks: every click goes through the
 * server, the OAuth flow and the sandbox's HTTP endpoints.
 */
import { type Browser, type Page } from '@playwright/test';
import { connectedText, flowMessage } from '../app/lib/connector-messages.js';
import { ConfigValue, ConnectorEvent, ConnectorInstallation, EncryptedSecret } from '../db/entities/index.js';
import type { Orm } from '../db/orm.js';
import type { LocalSecretBackend } from '../server/secrets/local-backend.js';
import { expect, test, type TestUser } from './fixtures.js';
import { expectFlash, flashNotice } from './flash-notice.js';

const PAGE = '/integrations/intercom';
const CALLBACK = `${PAGE}/callback`;
/** What the server's sandbox answers on /me (server/connectors/intercom/definition.ts). */
const WORKSPACE = { id: 'sbx4plug', name: 'Sandbox Workspace' };
const ACCESS_ITEMS = [
  'Read the workspace name and your admin identity',
  'Read conversations and contacts',
  'Read help-center articles',
];
const DISCONNECTED_NOTICE = 'Intercom was disconnected and its token removed.';
/** Sandbox tokens are `dG9rat_` + 32 random bytes in base64url (the Intercom sandbox profile's prefix, server/sandbox/grants.ts). */
const SANDBOX_TOKEN = /dG9r[A-Za-z0-9_-]{43}/;

// ---------------------------------------------------------------------------------------------
// What the database and the secret store hold for a tenant
// ---------------------------------------------------------------------------------------------

interface Stored {
  installations: {
    id: string;
    type: string;
    status: string;
    workspaceId: string | null;
    workspaceName: string | null;
    installedBy: string | null;
    disconnectedAt: Date | null;
    disconnectedBy: string | null;
    updatedAt: Date;
  }[];
  /** config_values, key → value. */
  config: Record<string, string>;
  /** Keys of the tenant's secret_values rows. */
  secretKeys: string[];
  /** INTERCOM_ACCESS_TOKEN, decrypted with the server's master key. */
  token: string | null;
  events: { action: string; actorEmail: string; workspaceName: string | null }[];
}

const GRANT_KEY = /^INTERCOM_GRANT_[0-9A-F]{32}$/;

/** Grant keys still held: the active grant's, and any queued for revocation. */
async function grantKeys(orm: Orm, tenantId: string): Promise<string[]> {
  const rows = await orm.em.fork().find(EncryptedSecret, { tenant: tenantId }, { orderBy: { key: 'asc' } });
  return rows.map((r) => r.key).filter((key) => GRANT_KEY.test(key));
}

async function stored(orm: Orm, secrets: LocalSecretBackend, tenantId: string): Promise<Stored> {
  const em = orm.em.fork();
  const installations = await em.find(ConnectorInstallation, { tenant: tenantId }, { orderBy: { type: 'asc' } });
  const config = await em.find(ConfigValue, { tenant: tenantId }, { orderBy: { key: 'asc' } });
  const secretRows = await em.find(EncryptedSecret, { tenant: tenantId }, { orderBy: { key: 'asc' } });
  const events = await em.find(ConnectorEvent, { tenant: tenantId }, { orderBy: { createdAt: 'asc' } });
  const token = (await secrets.get(tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal() ?? null;
  if (token) {
    // Encrypted at rest: the plaintext appears in no stored column.
    for (const row of secretRows) expect(row.ciphertext.toString('latin1')).not.toContain(token);
  }
  return {
    installations: installations.map((i) => ({
      id: i.id,
      type: i.type,
      status: i.status,
      workspaceId: i.externalAccountId ?? null,
      workspaceName: i.externalAccountName ?? null,
      installedBy: i.installedBy?.id ?? null,
      disconnectedAt: i.disconnectedAt ?? null,
      disconnectedBy: i.disconnectedBy?.id ?? null,
      updatedAt: i.updatedAt,
    })),
    config: Object.fromEntries(config.map((c) => [c.key, c.value])),
    // Each grant also keeps its token under its own key until it is revoked (grantKeys).
    secretKeys: secretRows.map((s) => s.key).filter((key) => !GRANT_KEY.test(key)),
    token,
    events: events.map((e) => ({ action: e.action, actorEmail: e.actorEmail, workspaceName: e.externalAccountName ?? null })),
  };
}

/** The state right after `admin` connected (or reconnected) the sandbox workspace. */
async function expectStoredConnected(orm: Orm, secrets: LocalSecretBackend, tenantId: string, admin: TestUser) {
  const now = await stored(orm, secrets, tenantId);
  expect(now.installations).toEqual([
    expect.objectContaining({
      type: 'intercom',
      status: 'active',
      workspaceId: WORKSPACE.id,
      workspaceName: WORKSPACE.name,
      installedBy: admin.id,
      disconnectedAt: null,
      disconnectedBy: null,
    }),
  ]);
  expect(now.config).toEqual({ INTERCOM_REGION: 'us', INTERCOM_TOKEN_TYPE: 'Bearer' });
  expect(now.secretKeys).toEqual(['INTERCOM_ACCESS_TOKEN']);
  expect(now.token).toMatch(SANDBOX_TOKEN);
  return now;
}

const nothingStored = { installations: [], config: {}, secretKeys: [], token: null, events: [] };

// ---------------------------------------------------------------------------------------------
// The pages
// ---------------------------------------------------------------------------------------------

const connection = (page: Page) => page.getByRole('region', { name: 'Connection' });
/** The connector's heading row, with its status badge (the badge has no role of its own). */
const head = (page: Page) => page.locator('.connector-head');

/**
 * With JavaScript on, waits until React has hydrated the page and run its effects (the page's
 * `hydrated` flag decides whether "Yes, disconnect" goes through tRPC or posts the form).
 * React Router's ScrollRestoration turns `history.scrollRestoration` to manual in an effect of
 * that same first commit; two frames later the re-render that flag caused has committed too.
 */
async function waitForHydration(page: Page, javaScriptEnabled: boolean): Promise<void> {
  if (!javaScriptEnabled) return;
  await page.waitForFunction(() => window.history.scrollRestoration === 'manual');
  await page.evaluate(
    () => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))),
  );
}

async function expectNotConnectedPage(page: Page): Promise<void> {
  await expect(page.getByRole('heading', { level: 1, name: 'Intercom' })).toBeVisible();
  await expect(head(page).getByText('Not connected', { exact: true })).toBeVisible();
  await expect(head(page).getByText('Sandbox', { exact: true })).toBeVisible();
  await expect(
    page.getByRole('region', { name: 'What Intercom shares with Plugboard' }).getByRole('listitem'),
  ).toHaveText(ACCESS_ITEMS);
  await expect(connection(page).getByText('Not connected yet.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Connect Intercom', exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Disconnect', exact: true })).toHaveCount(0);
}

/** The connected state as anyone sees it; `admin` is who connected. */
async function expectConnectedState(page: Page, admin: TestUser): Promise<void> {
  await expect(head(page).getByText('Connected', { exact: true })).toBeVisible();
  await expect(head(page).getByText('Sandbox', { exact: true })).toBeVisible();
  await expect(connection(page).getByText(`Connected to ${WORKSPACE.name}`, { exact: true })).toBeVisible();
  await expect(connection(page).getByRole('term')).toHaveText([
    'Workspace id',
    'Workspace region',
    'Connected by',
    'Connected at',
    'Health',
    'Token expires',
    'Scopes',
  ]);
  // Intercom tokens never expire and Intercom reports no scopes (permissions live on the app).
  await expect(connection(page).getByRole('definition')).toHaveText([
    WORKSPACE.id,
    'United States (app.intercom.com)',
    admin.email,
    / UTC$/,
    'Healthy',
    'Does not expire',
    'Not reported by Intercom',
  ]);
}

/** The connected state with an admin's controls. */
async function expectConnectedPage(page: Page, admin: TestUser): Promise<void> {
  await expectConnectedState(page, admin);
  await expect(page.getByRole('button', { name: 'Reconnect Intercom', exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Disconnect', exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Connect Intercom', exact: true })).toHaveCount(0);
}

async function expectDisconnectedPage(page: Page, admin: TestUser): Promise<void> {
  await expect(head(page).getByText('Disconnected', { exact: true })).toBeVisible();
  await expect(connection(page).getByText(new RegExp(`^Disconnected by ${escapeRegExp(admin.email)} on .+ UTC\\.$`))).toBeVisible();
  await expect(connection(page).getByText(`Connected to ${WORKSPACE.name}`)).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Reconnect Intercom', exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Disconnect', exact: true })).toHaveCount(0);
}

/** Recent activity, newest first: [what, who] per row. */
async function expectActivity(page: Page, expected: [string, string][]): Promise<void> {
  const activity = page.getByRole('region', { name: 'Recent activity' });
  const rows = activity.getByRole('row').filter({ has: page.getByRole('cell') });
  await expect(rows).toHaveCount(expected.length);
  for (const [i, [what, who]] of expected.entries()) {
    await expect(rows.nth(i).getByRole('cell')).toHaveText([/ UTC$/, what, who, WORKSPACE.name]);
  }
}

/**
 * Clicks Connect (or Reconnect), checks the sandbox's consent page, and clicks `decision` there.
 * Returns the callback URL the sandbox sent the browser to (it carries the code and state).
 */
async function goThroughConsent(
  page: Page,
  appOrigin: string,
  button: 'Connect Intercom' | 'Reconnect Intercom',
  decision: 'Approve' | 'Deny',
): Promise<string> {
  await page.getByRole('button', { name: button, exact: true }).click();
  // The provider's page, on another origin: the app handed the browser over with a plain redirect.
  await page.waitForURL((url) => url.origin !== appOrigin);
  const consentUrl = new URL(page.url());
  expect(consentUrl.pathname).toBe('/oauth');
  expect(consentUrl.searchParams.get('client_id')).toBe('sandbox-intercom');
  expect(consentUrl.searchParams.get('redirect_uri')).toBe(`${appOrigin}${CALLBACK}`);
  await expect(page.getByText('Intercom sandbox', { exact: true })).toBeVisible();
  await expect(
    page.getByRole('heading', { name: `Plugboard wants to access your Intercom workspace ${WORKSPACE.name}` }),
  ).toBeVisible();
  await expect(page.getByText(appOrigin, { exact: true })).toBeVisible(); // "Returns to"

  const callback = page.waitForRequest((request) => request.url().startsWith(`${appOrigin}${CALLBACK}?`));
  await page.getByRole('button', { name: decision, exact: true }).click();
  return (await callback).url();
}

/** Connect (or Reconnect) → Approve → back on the page, connected. */
async function connect(
  page: Page,
  appOrigin: string,
  admin: TestUser,
  button: 'Connect Intercom' | 'Reconnect Intercom' = 'Connect Intercom',
): Promise<string> {
  const callbackUrl = await goThroughConsent(page, appOrigin, button, 'Approve');
  // A one-time flash notice, not a URL parameter.
  await expect(page).toHaveURL(PAGE);
  await expectFlash(page, connectedText('Intercom'), 'success');
  await expectConnectedPage(page, admin);
  return callbackUrl;
}

/** Disconnect → Yes, disconnect → back on the page, disconnected. */
async function disconnect(page: Page, admin: TestUser, javaScriptEnabled: boolean): Promise<void> {
  await waitForHydration(page, javaScriptEnabled);
  await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Disconnect Intercom?' });
  await expect(dialog).toBeVisible();
  await waitForHydration(page, javaScriptEnabled);
  // Either way the confirmation posts to the page's action (with JavaScript through Remix's
  // fetch), which answers with a flash notice.
  const posted = page.waitForResponse(
    (response) => response.request().method() === 'POST' && new URL(response.url()).pathname === PAGE,
  );
  await dialog.getByRole('button', { name: 'Yes, disconnect', exact: true }).click();
  expect((await posted).status()).toBeLessThan(400);
  await expect(page).toHaveURL(PAGE);
  await expect(dialog).toHaveCount(0);
  await expectDisconnectedPage(page, admin);
}

/** The catalog's Intercom card. */
function catalogCard(page: Page) {
  return page
    .getByRole('region', { name: 'Available now' })
    .getByRole('listitem')
    .filter({ has: page.getByRole('heading', { name: 'Intercom', exact: true }) });
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function originOf(baseURL: string | undefined): string {
  if (!baseURL) throw new Error('these tests need use.baseURL in playwright.config.ts');
  return new URL(baseURL).origin;
}

async function contextFor(browser: Browser, baseURL: string | undefined, javaScriptEnabled: boolean) {
  return browser.newContext({ baseURL, javaScriptEnabled });
}

// ---------------------------------------------------------------------------------------------
// Connect, disconnect, reconnect: with JavaScript and with plain forms and redirects
// ---------------------------------------------------------------------------------------------

for (const mode of [
  { title: 'with JavaScript', javaScriptEnabled: true },
  { title: 'without JavaScript', javaScriptEnabled: false },
]) {
  test.describe(`Intercom ${mode.title}`, () => {
    test.use({ javaScriptEnabled: mode.javaScriptEnabled });

    test('connect: the consent page, Approve, and the workspace is connected', async ({
      signedInPage: page,
      admin,
      tenant,
      orm,
      secretBackend,
      baseURL,
    }) => {
      const appOrigin = originOf(baseURL);
      await page.goto(PAGE);
      await expectNotConnectedPage(page);
      await expectActivity(page, []);
      await expect(page.getByText('No connection activity yet.')).toBeVisible();
      expect(await stored(orm, secretBackend, tenant.id)).toEqual(nothingStored);

      await connect(page, appOrigin, admin);
      // The code and state stayed on the callback, which only redirected.
      expect(page.url()).not.toMatch(/[?&](code|state)=/);
      await expectActivity(page, [['Connected', admin.email]]);

      const now = await expectStoredConnected(orm, secretBackend, tenant.id, admin);
      expect(now.events).toEqual([{ action: 'connected', actorEmail: admin.email, workspaceName: WORKSPACE.name }]);

      // The token is stored, and never reaches a page (loader data included: it is in the HTML).
      const token = now.token ?? '';
      const html = await page.content();
      expect(html).not.toContain(token);
      expect(html).not.toMatch(SANDBOX_TOKEN);
      await page.goto('/integrations');
      await expect(catalogCard(page).getByText('Connected', { exact: true })).toBeVisible();
      const catalogHtml = await page.content();
      expect(catalogHtml).not.toContain(token);
      expect(catalogHtml).not.toMatch(SANDBOX_TOKEN);
    });

    test('disconnect asks first; Cancel changes nothing; Yes, disconnect removes the token', async ({
      signedInPage: page,
      admin,
      tenant,
      orm,
      secretBackend,
      baseURL,
    }) => {
      await page.goto(PAGE);
      await connect(page, originOf(baseURL), admin);
      const connected = await expectStoredConnected(orm, secretBackend, tenant.id, admin);

      await waitForHydration(page, mode.javaScriptEnabled);
      await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
      const dialog = page.getByRole('alertdialog', { name: 'Disconnect Intercom?' });
      await expect(dialog).toBeVisible();
      await expect(dialog).toContainText(`Plugboard will revoke its access to ${WORKSPACE.name}`);
      // With JavaScript a modal dialog (the rest of the page is hidden from assistive technology);
      // without, the confirmation's own state of the page.
      await expect(page).toHaveURL(mode.javaScriptEnabled ? PAGE : `${PAGE}?confirm=disconnect`);
      // While it asks, the other controls are gone and nothing has happened yet.
      await expect(page.getByRole('button', { name: 'Reconnect Intercom', exact: true })).toHaveCount(0);
      await expect(page.getByRole('button', { name: 'Disconnect', exact: true })).toHaveCount(0);
      if (!mode.javaScriptEnabled) await expectConnectedState(page, admin);
      expect(await stored(orm, secretBackend, tenant.id)).toEqual(connected);

      await dialog.getByRole(mode.javaScriptEnabled ? 'button' : 'link', { name: 'Cancel', exact: true }).click();
      await expect(page).toHaveURL(PAGE);
      await expect(dialog).toHaveCount(0);
      await expectConnectedPage(page, admin);
      expect(await stored(orm, secretBackend, tenant.id)).toEqual(connected);

      await disconnect(page, admin, mode.javaScriptEnabled);
      await expectFlash(page, DISCONNECTED_NOTICE, 'success');
      await expectActivity(page, [
        ['Disconnected', admin.email],
        ['Connected', admin.email],
      ]);

      const after = await stored(orm, secretBackend, tenant.id);
      expect(after.installations).toEqual([
        expect.objectContaining({
          id: connected.installations[0]?.id,
          type: 'intercom',
          status: 'disconnected',
          disconnectedAt: expect.any(Date),
          disconnectedBy: admin.id,
        }),
      ]);
      expect(after.config).toEqual({});
      expect(after.secretKeys).toEqual([]);
      expect(after.token).toBeNull();
      // The server's job worker revokes the grant at the provider, then drops its key.
      await expect.poll(() => grantKeys(orm, tenant.id), { timeout: 15_000 }).toEqual([]);
      expect(after.events.map((e) => [e.action, e.actorEmail])).toEqual([
        ['connected', admin.email],
        ['disconnected', admin.email],
      ]);
    });

    test('reconnect after a disconnect makes the same installation active again', async ({
      signedInPage: page,
      admin,
      tenant,
      orm,
      secretBackend,
      baseURL,
    }) => {
      const appOrigin = originOf(baseURL);
      await page.goto(PAGE);
      await connect(page, appOrigin, admin);
      const first = await expectStoredConnected(orm, secretBackend, tenant.id, admin);
      await disconnect(page, admin, mode.javaScriptEnabled);

      await connect(page, appOrigin, admin, 'Reconnect Intercom');
      await expectActivity(page, [
        ['Reconnected', admin.email],
        ['Disconnected', admin.email],
        ['Connected', admin.email],
      ]);

      const again = await expectStoredConnected(orm, secretBackend, tenant.id, admin);
      expect(again.installations[0]?.id).toBe(first.installations[0]?.id);
      // A new grant, not the revoked one.
      expect(again.token).not.toBe(first.token);
      expect(again.events.map((e) => e.action)).toEqual(['connected', 'disconnected', 'reconnected']);
      expect(await page.content()).not.toContain(again.token ?? '');
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The rest, with JavaScript
// ---------------------------------------------------------------------------------------------

test.describe('Intercom', () => {
  test('the catalog shows the Intercom card connected, with its workspace', async ({
    signedInPage: page,
    admin,
    baseURL,
  }) => {
    await page.goto('/integrations');
    const card = catalogCard(page);
    await expect(card.getByText('Not connected', { exact: true })).toBeVisible();
    await expect(card.getByText(/^Workspace:/)).toHaveCount(0);

    await card.getByRole('link').click();
    await expect(page).toHaveURL(PAGE);
    await connect(page, originOf(baseURL), admin);

    await page.getByRole('link', { name: 'All integrations' }).click();
    await expect(page).toHaveURL('/integrations');
    await expect(card.getByText('Connected', { exact: true })).toBeVisible();
    await expect(card.getByText(`Workspace: ${WORKSPACE.name}`, { exact: true })).toBeVisible();
    // A fresh server render says the same.
    await page.reload();
    await expect(card.getByText('Connected', { exact: true })).toBeVisible();
    await expect(card.getByText(`Workspace: ${WORKSPACE.name}`, { exact: true })).toBeVisible();
  });

  test('Deny on the consent page comes back with a friendly notice and stores nothing', async ({
    signedInPage: page,
    admin,
    tenant,
    orm,
    secretBackend,
    baseURL,
  }) => {
    const appOrigin = originOf(baseURL);
    const declined = flowMessage('access_denied', 'Intercom');
    expect(declined?.tone).toBe('info');
    await page.goto(PAGE);
    await goThroughConsent(page, appOrigin, 'Connect Intercom', 'Deny');

    await expect(page).toHaveURL(PAGE);
    // A notice, not an error: declining is a choice, not a failure.
    await expectFlash(page, declined?.text ?? '', 'info');
    await expect(page.getByRole('alert')).toHaveCount(0);
    await expectNotConnectedPage(page);
    await expectActivity(page, []);
    expect(await stored(orm, secretBackend, tenant.id)).toEqual(nothingStored);

    // "You can connect whenever you are ready": the next attempt goes through.
    await connect(page, appOrigin, admin);
    await expectStoredConnected(orm, secretBackend, tenant.id, admin);
  });

  test('a member sees the state but cannot connect or disconnect', async ({
    browser,
    page,
    admin,
    member,
    signInAs,
    tenant,
    orm,
    secretBackend,
    baseURL,
  }) => {
    await signInAs(page, member);
    await page.goto(PAGE);
    await expect(head(page).getByText('Not connected', { exact: true })).toBeVisible();
    await expect(connection(page).getByText('Not connected yet.')).toBeVisible();
    await expect(page.getByText(`Only an admin of ${tenant.name} can connect or disconnect integrations.`)).toBeVisible();
    await expect(page.getByRole('button', { name: /^((Re)?connect Intercom|Disconnect|Yes, disconnect)$/i })).toHaveCount(0);

    // The admin connects in their own browser.
    const adminContext = await contextFor(browser, baseURL, true);
    try {
      const adminPage = await adminContext.newPage();
      await signInAs(adminPage, admin);
      await adminPage.goto(PAGE);
      await connect(adminPage, originOf(baseURL), admin);
    } finally {
      await adminContext.close();
    }
    const connected = await expectStoredConnected(orm, secretBackend, tenant.id, admin);

    await page.reload();
    await expectConnectedState(page, admin);
    await expectActivity(page, [['Connected', admin.email]]);
    await expect(page.getByText(`Only an admin of ${tenant.name} can connect or disconnect integrations.`)).toBeVisible();
    await expect(page.getByRole('button', { name: /^((Re)?connect Intercom|Disconnect|Yes, disconnect)$/i })).toHaveCount(0);
    // Nor the confirmation, even when asked for by URL.
    await page.goto(`${PAGE}?confirm=disconnect`);
    await expectConnectedState(page, admin);
    await expect(page.getByRole('alertdialog')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Yes, disconnect', exact: true })).toHaveCount(0);

    // Posting the forms by hand is refused on the server, and changes nothing.
    for (const intent of ['disconnect', 'connect']) {
      const response = await page.request.post(PAGE, { form: { intent }, maxRedirects: 0 });
      expect(response.status(), `intent=${intent}`).toBe(403);
    }
    expect(await stored(orm, secretBackend, tenant.id)).toEqual(connected);
  });

  test('after disconnecting with JavaScript, the success notice is announced', async ({
    signedInPage: page,
    admin,
    baseURL,
  }) => {
    // The JavaScript path posts through Remix's fetch; the action's flash notice shows as a toast.
    await page.goto(PAGE);
    await connect(page, originOf(baseURL), admin);
    await disconnect(page, admin, true);
    await expect(page.getByRole('region', { name: /Notification/ })).toContainText(DISCONNECTED_NOTICE);
  });

  test('replaying the callback URL is refused and changes nothing', async ({
    signedInPage: page,
    admin,
    tenant,
    orm,
    secretBackend,
    baseURL,
  }) => {
    await page.goto(PAGE);
    const callbackUrl = await connect(page, originOf(baseURL), admin);
    expect(new URL(callbackUrl).searchParams.get('code')).toBeTruthy();
    const connected = await expectStoredConnected(orm, secretBackend, tenant.id, admin);

    await page.goto(callbackUrl);
    await expect(page).toHaveURL(PAGE);
    await expectFlash(page, flowMessage('state_unknown', 'Intercom')?.text ?? '', 'error');
    await expect(flashNotice(page, 'not valid')).toBeVisible();
    await expectConnectedPage(page, admin);
    await expectActivity(page, [['Connected', admin.email]]);
    expect(await stored(orm, secretBackend, tenant.id)).toEqual(connected);
  });
});
