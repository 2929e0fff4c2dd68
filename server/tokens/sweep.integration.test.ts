/**
 * The sweep: due connections are refreshed before anyone asks, each by exactly one sweeper
 * when several run at once; a sweeper that died lets its connections go when its lease ends;
 * tokens without expiry are checked by an identity call.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/support/database.js';
import { connectLinear, expireStoredToken, servicesWithLinear, startLinearSandbox } from '../../test/support/linear-connection.js';
import { captureLogs } from '../../test/support/logs.js';
import type { OAuthSandbox } from '../sandbox/oauth-sandbox.js';
import type { SecretBackend } from '../secrets/backend.js';
import { claimDue, sweepOnce } from './sweep.js';

const db = useTestDatabase();
const logs = captureLogs();
const LIFE = { TOKEN_REFRESH_MARGIN_SECONDS: '1', TOKEN_REFRESH_LEASE_SECONDS: '2', TOKEN_VERIFY_INTERVAL_HOURS: '24' };
let sandbox: OAuthSandbox;

beforeEach(async () => {
  sandbox = await startLinearSandbox({ accessTokenTtlSeconds: 3 });
  // Each test sees only its own connections as due.
  await db.sql("update connector_installations set status = 'disconnected'");
});
afterEach(async () => {
  await sandbox.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const accessPerGrant = () => {
  const counts = new Map<number, number>();
  for (const t of sandbox.tokens()) if (t.kind === 'access') counts.set(t.grant, (counts.get(t.grant) ?? 0) + 1);
  return [...counts.values()];
};

describe('sweep', () => {
  it('refreshes every due connection once, with two sweepers running at the same time', async () => {
    // Linear's own lifetime, so a refreshed token is never due again within the pass however slow
    // the machine; the stored expiries are brought to the past instead of waiting. A lease longer
    // than the pass, so none runs out mid-pass.
    await sandbox.close();
    sandbox = await startLinearSandbox();
    const services = servicesWithLinear(db, logs.logger, sandbox, { ...LIFE, TOKEN_REFRESH_LEASE_SECONDS: '30' });
    // Another instance: its own services, the same secret backend (one master key, as in production).
    const other = servicesWithLinear(db, logs.logger, sandbox, { ...LIFE, TOKEN_REFRESH_LEASE_SECONDS: '30' }, services.secrets.backend as SecretBackend);
    for (let i = 0; i < 6; i += 1) await expireStoredToken(db, (await connectLinear(services)).scope.tenantId);

    const [a, b] = await Promise.all([sweepOnce(services, logs.logger), sweepOnce(other, logs.logger)]);
    const why = logs.text().split('\n').filter((line) => /refresh/.test(line)).slice(0, 5).join('\n');
    expect(a.refreshed + b.refreshed, `sweeps: ${JSON.stringify({ a, b })}\n${why}`).toBe(6);
    expect(a.claimed + b.claimed).toBe(6);
    // Each grant: its first access token and exactly one refreshed one.
    expect(accessPerGrant()).toEqual([2, 2, 2, 2, 2, 2]);
    const rows = await db.sql<{ expires_at: Date; lease_until: Date | null }>(
      "select expires_at, lease_until from connector_installations where status = 'active' and type = 'linear'",
    );
    expect(rows).toHaveLength(6);
    for (const row of rows) {
      expect(row.lease_until).toBeNull();
      expect(row.expires_at.getTime()).toBeGreaterThan(Date.now() + 3_600_000);
    }
  });

  it('a connection leased by a sweeper that died is taken by another once the lease ends', async () => {
    const services = servicesWithLinear(db, logs.logger, sandbox, LIFE);
    const { scope } = await connectLinear(services);
    await sleep(2_150);
    // A sweeper claims it and dies before refreshing.
    expect((await claimDue(services)).map((r) => r.tenant_id)).toEqual([scope.tenantId]);
    expect((await sweepOnce(services, logs.logger)).claimed).toBe(0);
    await sleep(2_100);
    const report = await sweepOnce(services, logs.logger);
    expect(report).toMatchObject({ claimed: 1, refreshed: 1 });
    expect(accessPerGrant()).toEqual([2]);
  });

  it('a connection in back-off is left alone until its next attempt; one that needs a reconnect is never taken', async () => {
    const services = servicesWithLinear(db, logs.logger, sandbox, { ...LIFE, TOKEN_REFRESH_RETRY_BASE_SECONDS: '60' });
    const failing = await connectLinear(services);
    const dead = await connectLinear(services);
    await sleep(2_150);
    sandbox.faults.next('token', { status: 503 });
    await db.sql("update connector_installations set health = 'needs_reconnect' where tenant_id = $1", [dead.scope.tenantId]);
    const first = await sweepOnce(services, logs.logger);
    expect(first).toMatchObject({ claimed: 1, failed: 1 });
    expect(await sweepOnce(services, logs.logger)).toMatchObject({ claimed: 0 });
    const [row] = await db.sql<{ health: string; next_attempt_at: Date }>('select health, next_attempt_at from connector_installations where tenant_id = $1', [failing.scope.tenantId]);
    expect(row?.health).toBe('refresh_failing');
    expect(row!.next_attempt_at.getTime()).toBeGreaterThan(Date.now() + 50_000);
  });

  it('a token without expiry is checked by an identity call; one the provider rejects needs a reconnect', async () => {
    await sandbox.close();
    // Long-lived tokens and no refresh tokens: Intercom's kind.
    sandbox = await startLinearSandbox({ accessTokenTtlSeconds: undefined, refreshTokens: undefined });
    const services = servicesWithLinear(db, logs.logger, sandbox, { ...LIFE, TOKEN_VERIFY_INTERVAL_HOURS: '0.0002' });
    const good = await connectLinear(services);
    const revoked = await connectLinear(services);
    const revokedToken = (await services.secrets.get(revoked.scope.tenantId, 'LINEAR_ACCESS_TOKEN'))!.reveal();
    await fetch(`${sandbox.url}/oauth/revoke`, { method: 'POST', headers: { authorization: `Bearer ${revokedToken}` } });
    await sleep(1_200);

    const report = await sweepOnce(services, logs.logger);
    expect(report).toMatchObject({ claimed: 2, verified: 1, failed: 1 });
    const health = async (tenantId: string) =>
      (await db.sql<{ health: string; health_reason: string | null }>('select health, health_reason from connector_installations where tenant_id = $1', [tenantId]))[0];
    expect(await health(good.scope.tenantId)).toEqual({ health: 'healthy', health_reason: null });
    expect(await health(revoked.scope.tenantId)).toEqual({ health: 'needs_reconnect', health_reason: 'identity_rejected' });
    // Checked: not taken again until the interval passes.
    expect(await sweepOnce(services, logs.logger)).toMatchObject({ claimed: 0 });
  });
});
