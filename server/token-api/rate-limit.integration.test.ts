/**
 * The per-key limit over real HTTP, with two app instances on one database: the budget is the
 * key's, whichever instance answers.
 */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/support/database.js';
import { makeTenant } from '../../test/support/factories.js';
import { useHttpApp, type TestHttpApp } from '../../test/support/http-app.js';
import { createServiceKey } from '../auth/service-keys.js';

const LIMIT = 3;
const db = useTestDatabase();
const env = () => ({ TOKEN_API_RATE_LIMIT_PER_MINUTE: String(LIMIT) });
const one = useHttpApp(db, env);
const two = useHttpApp(db, env);

async function key() {
  return (await createServiceKey(db.orm.em.fork(), `rl-${Math.random().toString(36).slice(2, 10)}`)).key.reveal();
}
const get = (app: TestHttpApp, apiKey: string, tenant: string) =>
  fetch(`${app.base}/api/v1/connections/linear/token?tenant=${tenant}`, { headers: { authorization: `Bearer ${apiKey}` } });

describe('rate limit per service key', () => {
  it(`answers 429 rate_limited with Retry-After past ${LIMIT} requests a minute, across instances`, async () => {
    const tenant = await makeTenant(db.orm.em.fork());
    const apiKey = await key();
    const statuses = [];
    for (const app of [one, two, one]) statuses.push((await get(app, apiKey, tenant.slug)).status);
    // Counted whatever the answer: here the tenant has nothing connected.
    expect(statuses).toEqual([404, 404, 404]);

    for (const app of [two, one]) {
      const refused = await get(app, apiKey, tenant.slug);
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.headers.get('cache-control')).toBe('no-store');
      expect(await refused.json()).toEqual({ error: 'rate_limited', message: `Too many requests for this service key. Try again in ${retryAfter} s.` });
    }

    // Another key has its own budget.
    expect((await get(one, await key(), tenant.slug)).status).toBe(404);
  });

  it('refused keys are not counted: a bad key is a 401, not a 429', async () => {
    const bad = `pbk_${'B'.repeat(43)}`;
    for (let i = 0; i < LIMIT + 2; i++) expect((await get(one, bad, 'acme')).status).toBe(401);
  });
});
