/**
 * The whole flow with the production wiring: the app started with SECRETS_BACKEND=ssm and an
 * SSM-protocol endpoint (AWS_ENDPOINT_URL_SSM), and Intercom reached through INTERCOM_OAUTH_URL
 * and INTERCOM_API_URL at a separately running Intercom-protocol server. The stored token is
 * read back with the real AWS SDK.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { test as base, expect } from '@playwright/test';
import { openOrm, type Orm } from '../../db/orm.js';
import { Tenant } from '../../db/entities/index.js';
import { createTenant, createUser } from '../../server/auth/accounts.js';
import { E2E_SSM } from '../../playwright.config.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const test = base.extend<{ admin: { email: string; password: string; tenantId: string } }, { orm: Orm; ssm: SSMClient }>({
  orm: [
    // Playwright requires an object pattern for the (unused) fixtures argument.
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const password = readFileSync(path.join(root, E2E_SSM.dataDir, 'pg-password'), 'utf8').trim();
      const orm = await openOrm(
        `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${E2E_SSM.embeddedPgPort}/plugboard`,
        { poolMax: 2 },
      );
      await use(orm);
      await orm.close(true);
    },
    { scope: 'worker' },
  ],
  ssm: [
    // Playwright requires an object pattern for the (unused) fixtures argument.
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const client = new SSMClient({
        endpoint: `http://127.0.0.1:${E2E_SSM.ssmPort}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      await use(client);
      client.destroy();
    },
    { scope: 'worker' },
  ],
  admin: async ({ orm }, use) => {
    const slug = `e2e-ssm-${randomBytes(4).toString('hex')}`;
    const tenant = await createTenant(orm.em.fork(), { slug, name: `SSM ${slug}` });
    const email = `${slug}@example.test`;
    const password = 'an e2e password for ssm';
    await createUser(orm.em.fork(), { tenant: slug, email, password, role: 'admin' });
    await use({ email, password, tenantId: tenant.id });
    await orm.em.fork().nativeDelete(Tenant, { id: tenant.id });
  },
});

async function storedToken(ssm: SSMClient, tenantId: string): Promise<string | null> {
  try {
    const { Parameter } = await ssm.send(
      new GetParameterCommand({ Name: `/${tenantId}/api-key/INTERCOM_ACCESS_TOKEN`, WithDecryption: true }),
    );
    expect(Parameter?.Type).toBe('SecureString');
    return Parameter?.Value ?? null;
  } catch (error) {
    if (error instanceof ParameterNotFound) return null;
    throw error;
  }
}

test('connect, disconnect and reconnect with SSM and an external Intercom-protocol server', async ({ page, admin, orm, ssm }) => {
  await page.goto('/login');
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Integrations' })).toBeVisible();

  await page.goto('/integrations/intercom');
  // A configured client id: the real connector configuration, no sandbox badge.
  await expect(page.getByText('Sandbox', { exact: true })).toHaveCount(0);
  await page.getByRole('button', { name: 'Connect Intercom' }).click();
  await expect(page).toHaveURL(new RegExp(`^http://127\\.0\\.0\\.1:${E2E_SSM.intercomPort}/oauth`));
  await page.getByRole('button', { name: 'Approve' }).click();
  await expect(page).toHaveURL(/\/integrations\/intercom$/);
  await expect(page.getByText('Connected to E2E Workspace').first()).toBeVisible();

  const token = await storedToken(ssm, admin.tenantId);
  expect(token).toBeTruthy();
  expect(await page.content()).not.toContain(token!);
  const [row] = await orm.em
    .fork()
    .getConnection()
    .execute<{ status: string }[]>(`select status from connector_installations where tenant_id = ? and type = 'intercom'`, [admin.tenantId]);
  expect(row?.status).toBe('active');

  await page.getByRole('button', { name: 'Disconnect' }).click();
  await page.getByRole('button', { name: 'Yes, disconnect' }).click();
  // The action's one-time flash notice, a toast with JavaScript.
  await expect(page.getByRole('region', { name: /Notification/ })).toContainText('Intercom was disconnected and its token removed.');
  expect(await storedToken(ssm, admin.tenantId)).toBeNull();

  // Reconnect at once: SSM is written with Overwrite, never delete-then-create.
  await page.getByRole('button', { name: 'Reconnect Intercom' }).click();
  await page.getByRole('button', { name: 'Approve' }).click();
  await expect(page).toHaveURL(/\/integrations\/intercom$/);
  const again = await storedToken(ssm, admin.tenantId);
  expect(again).toBeTruthy();
  expect(again).not.toBe(token);
});
