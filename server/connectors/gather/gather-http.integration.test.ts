/**
 * Gather over real HTTP: the app as it is served (tRPC, the connector page, the token API),
 * Gather's stand-in reached through PROVIDER_ORIGIN_OVERRIDES as the app would reach
 * api.gather.town. The key goes in once, comes out only from the token API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppClient } from '../../../test/support/app-client.js';
import { useTestDatabase } from '../../../test/support/database.js';
import { makeTenant, makeUser, TEST_PASSWORD } from '../../../test/support/factories.js';
import { useHttpApp } from '../../../test/support/http-app.js';
import { createServiceKey } from '../../auth/service-keys.js';
import { GATHER_SANDBOX_SPACE as SPACE, startGatherSandbox, type GatherSandbox } from './sandbox.js';

const db = useTestDatabase();
let sandbox: GatherSandbox | undefined;
beforeAll(async () => {
  sandbox = await startGatherSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});
// Registered after the sandbox's hook, so the env function sees its address.
const app = useHttpApp(db, () => ({ PROVIDER_ORIGIN_OVERRIDES: `https://api.gather.town=${sandbox!.url}`, OAUTH_HTTP_TIMEOUT_MS: '3000' }));

describe('Gather over HTTP', () => {
  it('connects with a key; the page and the status never show it; the token API returns it', async () => {
    const tenant = await makeTenant(db.orm.em.fork());
    const user = await makeUser(db.orm.em.fork(), tenant.slug, 'admin');
    const admin = await AppClient.signIn(app.base, user.email, TEST_PASSWORD);
    const key = sandbox!.issueKey();

    const wrong = await admin.call('gather.connectWithKey', { apiKey: `${key}x`, settings: { spaceId: SPACE } });
    expect(wrong).toMatchObject({ ok: false, status: 400 });
    // Field errors by field name, as tRPC's batch link receives them; never the key.
    const bad = await fetch(`${app.base}/api/trpc/gather.connectWithKey?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: admin.origin, cookie: admin.cookie },
      body: JSON.stringify({ 0: { apiKey: key, settings: { spaceId: 'not a space' } } }),
    });
    expect(bad.status).toBe(400);
    const badText = await bad.text();
    expect(JSON.parse(badText)).toMatchObject([{ error: { data: { fieldErrors: { spaceId: [expect.stringMatching(/space id/)] } } } }]);
    expect(badText).not.toContain(key);

    const connected = await admin.call('gather.connectWithKey', { apiKey: key, settings: { spaceId: SPACE } });
    expect(connected).toMatchObject({ ok: true, status: 200 });
    const status = await admin.query<{ connected: boolean; workspace: { name: string } }>('gather.status');
    expect(status).toMatchObject({ ok: true, data: { connected: true, workspace: { name: 'Plugboard Office' } } });
    expect(JSON.stringify(status)).not.toContain(key);
    const page = await fetch(`${app.base}/integrations/gather`, { headers: { cookie: admin.cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('type="password"');
    expect(html).not.toContain(key);

    const service = await createServiceKey(db.orm.em.fork(), 'gather-reader');
    const answer = await fetch(`${app.base}/api/v1/connections/gather/token?tenant=${tenant.slug}`, {
      headers: { authorization: `Bearer ${service.key.reveal()}` },
    });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ accessToken: key, tokenType: 'apiKey', expiresAt: null, settings: { spaceId: SPACE } });
    expect(app.logs.text()).not.toContain(key);
  });

  it('a member cannot connect over HTTP', async () => {
    const tenant = await makeTenant(db.orm.em.fork());
    const user = await makeUser(db.orm.em.fork(), tenant.slug, 'member');
    const member = await AppClient.signIn(app.base, user.email, TEST_PASSWORD);
    const answer = await member.call('gather.connectWithKey', { apiKey: sandbox!.issueKey(), settings: { spaceId: SPACE } });
    expect(answer).toMatchObject({ ok: false, status: 403 });
  });
});
