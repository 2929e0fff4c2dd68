/**
 * The token API across two server processes on one database and one SSM endpoint, right after
 * the stored token expired: a hundred concurrent requests split across both instances make exactly one
 * refresh at the provider, and every answer carries the same new token.
 */
import { expect, it } from 'vitest';
import { db, endpoint, startApp } from '../../test/support/app-world.js';
import { connectLinear, expireStoredToken, LINEAR_CLIENT, servicesWithLinear, startLinearSandbox } from '../../test/support/linear-connection.js';
import { ssmBackend } from '../../test/support/secret-backends.js';
import { createServiceKey } from '../auth/service-keys.js';

it('100 concurrent token requests across two instances after expiry: one refresh, one new token for all', async () => {
  // Linear's own lifetime (a day): the test makes the stored token expire, so the refreshed one
  // is not due again however long a loaded machine takes to answer all hundred.
  const sandbox = await startLinearSandbox();
  try {
    const env = {
      LINEAR_CLIENT_ID: LINEAR_CLIENT.clientId,
      LINEAR_CLIENT_SECRET: LINEAR_CLIENT.clientSecret,
      PROVIDER_ORIGIN_OVERRIDES: `https://linear.app=${sandbox.url},https://api.linear.app=${sandbox.url}`,
      TOKEN_REFRESH_MARGIN_SECONDS: '2',
      // Only the requests refresh here: the sweepers wait an hour.
      TOKEN_REFRESH_SWEEP_SECONDS: '3600',
    };
    const [a, b] = await Promise.all([startApp({ env }), startApp({ env })]);
    const services = servicesWithLinear(db, db.logs.logger, sandbox, {}, ssmBackend(endpoint));
    const { scope } = await connectLinear(services);
    const slug = (await db.sql<{ slug: string }>('select slug from tenants where id = $1', [scope.tenantId]))[0]!.slug;
    const { key } = await createServiceKey(db.orm.em.fork(), `processes-${Date.now()}`);
    const first = sandbox.tokens().filter((t) => t.kind === 'access');
    expect(first).toHaveLength(1);
    await expireStoredToken(db, scope.tenantId);

    const answers = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const response = await fetch(`${i % 2 ? b.url : a.url}/api/v1/connections/linear/token?tenant=${slug}`, {
          headers: { authorization: `Bearer ${key.reveal()}` },
        });
        return { status: response.status, body: (await response.json()) as { accessToken?: string } };
      }),
    );
    expect(answers.map((x) => x.status)).toEqual(Array.from({ length: 100 }, () => 200));
    const access = sandbox.tokens().filter((t) => t.kind === 'access');
    expect(access, 'the provider saw exactly one refresh').toHaveLength(2);
    expect(new Set(answers.map((x) => x.body.accessToken))).toEqual(new Set([access[1]!.token]));
    const logs = [...a.logs, ...b.logs].join('\n');
    for (const { token } of sandbox.tokens()) expect(logs.includes(token), 'a token reached a server log').toBe(false);
    expect(logs.includes(key.reveal())).toBe(false);
  } finally {
    await sandbox.close();
  }
}, 120_000);
