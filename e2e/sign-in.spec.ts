import { type Page } from '@playwright/test';
import { Session } from '../db/entities/index.js';
import { expect, test, type TestUser } from './fixtures.js';

async function submitLoginForm(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** What every signed-in visit to the catalog must show. */
async function expectCatalog(page: Page, tenantName: string, user: TestUser): Promise<void> {
  await expect(page).toHaveURL('/integrations');
  await expect(page.getByRole('heading', { level: 1, name: 'Integrations' })).toBeVisible();
  await expect(page.locator('li[data-connector]')).toHaveCount(16);
  await expect(page.locator('li[data-connector="intercom"]')).toContainText('Not connected');
  await expect(page.locator('li[data-connector="slack"]')).toContainText('Not connected');
  await expect(page.getByRole('banner')).toContainText(`${tenantName} · ${user.email} (${user.role})`);
}

test.describe('sign-in', () => {
  test('an admin signs in through the form and lands on the catalog', async ({ page, tenant, admin }) => {
    await page.goto('/login');
    await submitLoginForm(page, admin.email, admin.password);
    await expectCatalog(page, tenant.name, admin);
  });

  test('a wrong password gets the generic message and stays on /login', async ({ page, admin, browserErrors }) => {
    // Chromium logs the 401 answer of the action as a failed resource load.
    browserErrors.allow(/Failed to load resource: the server responded with a status of 401/);
    await page.goto('/login');
    await submitLoginForm(page, admin.email, `${admin.password}!`);
    await expect(page.getByRole('alert')).toHaveText('Incorrect email or password.');
    await expect(page).toHaveURL('/login');
    // The typed email is kept so the user only retypes the password.
    await expect(page.getByLabel('Email')).toHaveValue(admin.email);
  });

  test('an unknown email gets the same message as a wrong password', async ({ page, browserErrors }) => {
    browserErrors.allow(/Failed to load resource: the server responded with a status of 401/);
    await page.goto('/login');
    await submitLoginForm(page, 'nobody@e2e.plugboard.test', 'e2e correct horse battery staple');
    await expect(page.getByRole('alert')).toHaveText('Incorrect email or password.');
  });

  test('signing out ends the session, and the catalog asks to sign in again', async ({ signedInPage: page, admin, orm }) => {
    await page.goto('/integrations');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL('/login');
    // Revoked on the server, not just forgotten by the browser: a copied cookie is useless.
    expect(await orm.em.fork().count(Session, { user: admin.id })).toBe(0);

    await page.goto('/integrations');
    await expect(page).toHaveURL('/login?redirectTo=%2Fintegrations');
    await expect(page.getByRole('heading', { name: 'Sign in to Plugboard' })).toBeVisible();
  });

  test('signing in after the redirect returns to the page that asked', async ({ page, tenant, admin }) => {
    await page.goto('/integrations');
    await expect(page).toHaveURL('/login?redirectTo=%2Fintegrations');
    await submitLoginForm(page, admin.email, admin.password);
    await expectCatalog(page, tenant.name, admin);
  });

  test('a session made by the fixture opens the catalog directly', async ({ signedInPage: page, tenant, admin }) => {
    await page.goto('/integrations');
    await expectCatalog(page, tenant.name, admin);
  });

  test('signInAs works for a member too', async ({ page, tenant, member, signInAs }) => {
    await signInAs(page, member);
    await page.goto('/integrations');
    await expectCatalog(page, tenant.name, member);
  });
});

test.describe('sign-in without JavaScript', () => {
  // The form is a plain POST that Remix enhances: it must work before (or without) hydration.
  test.use({ javaScriptEnabled: false });

  test('the form signs in and the catalog renders on the server', async ({ page, tenant, admin }) => {
    await page.goto('/login');
    await submitLoginForm(page, admin.email, admin.password);
    await expectCatalog(page, tenant.name, admin);
  });

  test('a wrong password shows the message from a server render', async ({ page, admin, browserErrors }) => {
    browserErrors.allow(/Failed to load resource: the server responded with a status of 401/);
    await page.goto('/login');
    await submitLoginForm(page, admin.email, 'not the password at all');
    await expect(page.getByRole('alert')).toHaveText('Incorrect email or password.');
    await expect(page).toHaveURL('/login');
  });
});
