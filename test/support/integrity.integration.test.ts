/**
 * The integrity check itself, against real rows in Postgres and real parameters in the loopback
 * SSM endpoint: it must see each way a connection can be half there, and each grant nothing
 * holds, or the race suites would pass for the wrong reason.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorGrant, ConnectorInstallation } from '../../db/entities/index.js';
import { grantSecretKey } from '../../server/secrets/secret-store.js';
import { SecretValue } from '../../server/secrets/secret-value.js';
import type { AppServices } from '../../server/services.js';
import { testServices, useTestDatabase } from './database.js';
import { makeTenant } from './factories.js';
import {
  activeGrantInSsm,
  checkIntegrity,
  describeReport,
  heldInSecretStore,
  heldInSsm,
  revokingInSsm,
  settleJobs,
  shortHash,
  type IssuedGrant,
} from './integrity.js';
import { ssmBackend } from './secret-backends.js';
import { startSsmEndpoint, type SsmEndpoint } from './ssm-endpoint.js';

const db = useTestDatabase();
let endpoint: SsmEndpoint;
let services: AppServices;

beforeAll(async () => {
  endpoint = await startSsmEndpoint();
  services = testServices(db.orm, db.logs.logger, {}, ssmBackend(endpoint));
});
afterAll(async () => {
  await endpoint?.close();
});
beforeEach(() => {
  endpoint.reset();
});

const token = () => `dG9r${randomBytes(24).toString('base64url')}`;

async function tenant(): Promise<string> {
  return (await makeTenant(services.orm.em.fork())).id;
}

async function install(tenantId: string, status: 'active' | 'disconnected'): Promise<void> {
  const em = services.orm.em.fork();
  em.create(ConnectorInstallation, { tenant: tenantId, type: 'intercom', status });
  await em.flush();
}

const holdToken = (tenantId: string, value: string) => services.secrets.save(tenantId, 'INTERCOM_ACCESS_TOKEN', new SecretValue(value));
const holdTokenType = (tenantId: string) => services.secrets.save(tenantId, 'INTERCOM_TOKEN_TYPE', 'Bearer');

function check(tenantIds: string[], issued: IssuedGrant[], queued: string[] = []) {
  return checkIntegrity({
    sql: db.sql,
    tenantIds,
    heldToken: heldInSsm(endpoint),
    issued,
    queuedForRevocation: () => Promise.resolve(queued),
  });
}

describe('checkIntegrity', () => {
  it('passes a tenant with nothing, and a whole connection whose other grants are revoked', async () => {
    const empty = await tenant();
    const connected = await tenant();
    const live = token();
    await install(connected, 'active');
    await holdToken(connected, live);
    await holdTokenType(connected);
    const report = await check([empty, connected], [
      { token: token(), revoked: true },
      { token: live, revoked: false },
    ]);
    expect(report).toMatchObject({ orphans: [], halfStates: [], live: 1, revoked: 1 });
    expect(report.held).toEqual({ [empty]: null, [connected]: shortHash(live) });
  });

  it('counts each live grant nothing holds as an orphan, unless it is queued for revocation', async () => {
    const id = await tenant();
    const [a, b, c] = [token(), token(), token()];
    await install(id, 'active');
    await holdToken(id, a);
    await holdTokenType(id);
    const grants = [a, b, c].map((t) => ({ token: t, revoked: false }));
    expect((await check([id], grants)).orphans).toEqual([shortHash(b), shortHash(c)]);
    expect((await check([id], grants, [c])).orphans).toEqual([shortHash(b)]);
  });

  it('names every half-state: active without token or type, token or type without an active row, a dead held token', async () => {
    const activeBare = await tenant();
    await install(activeBare, 'active');
    const tokenNoRow = await tenant();
    const t1 = token();
    await holdToken(tokenNoRow, t1);
    const disconnectedWithType = await tenant();
    await install(disconnectedWithType, 'disconnected');
    await holdTokenType(disconnectedWithType);
    const revokedHeld = await tenant();
    const t2 = token();
    await install(revokedHeld, 'active');
    await holdToken(revokedHeld, t2);
    await holdTokenType(revokedHeld);
    const unknownHeld = await tenant();
    await install(unknownHeld, 'active');
    await holdToken(unknownHeld, token());
    await holdTokenType(unknownHeld);

    const report = await check([activeBare, tokenNoRow, disconnectedWithType, revokedHeld, unknownHeld], [
      { token: t1, revoked: false },
      { token: t2, revoked: true },
    ]);
    expect(report.orphans).toEqual([]);
    const text = report.halfStates.join('\n');
    expect(report.halfStates).toHaveLength(6);
    expect(text).toContain('installation active but no access token in the secret backend');
    expect(text).toContain('installation active but INTERCOM_TOKEN_TYPE missing');
    expect(text).toContain(`access token ${shortHash(t1)} in the secret backend but the installation is absent`);
    expect(text).toContain('INTERCOM_TOKEN_TYPE present but the installation is disconnected');
    expect(text).toContain(`held token ${shortHash(t2)} is revoked at the provider`);
    expect(text).toContain('was never issued by the provider');
  });

  it('never puts a token in its report or its description', async () => {
    const id = await tenant();
    const [held, orphan] = [token(), token()];
    await holdToken(id, held);
    const report = await check([id], [
      { token: held, revoked: true },
      { token: orphan, revoked: false },
    ]);
    const text = `${JSON.stringify(report)}\n${describeReport(report)}`;
    expect(report.orphans).toHaveLength(1);
    expect(report.halfStates.length).toBeGreaterThan(0);
    expect(text.includes(held) || text.includes(orphan)).toBe(false);
  });

  it('reads the held token through the SecretStore as well as from the endpoint', async () => {
    const id = await tenant();
    const value = token();
    await holdToken(id, value);
    expect(await heldInSecretStore(services.secrets)(id)).toBe(value);
    expect(await heldInSsm(endpoint)(id)).toBe(value);
  });

  it("counts a revoking grant as queued only through its own key's token", async () => {
    const id = await tenant();
    const [revoking, keyless, pending] = [token(), token(), token()];
    const em = services.orm.em.fork();
    for (const [value, status, stored] of [
      [revoking, 'revoking', true],
      [keyless, 'revoking', false],
      [pending, 'pending', true],
    ] as const) {
      const grantId = randomUUID();
      const secretKey = grantSecretKey('intercom', grantId);
      em.create(ConnectorGrant, { id: grantId, tenant: id, connector: 'intercom', status, secretKey });
      if (stored) await services.secrets.saveGrantToken(id, secretKey, new SecretValue(value));
    }
    await em.flush();
    const report = await checkIntegrity({
      sql: db.sql,
      tenantIds: [id],
      heldToken: heldInSsm(endpoint),
      issued: [revoking, keyless, pending].map((t) => ({ token: t, revoked: false })),
      queuedForRevocation: revokingInSsm(db.sql, endpoint, [id]),
    });
    expect(report.orphans).toEqual([shortHash(keyless), shortHash(pending)]);
    expect(report.queued).toBe(1);
  });
  it("with the grant ledger, I1 also needs the access token to be the active grant's own token", async () => {
    const id = await tenant();
    const [granted, other] = [token(), token()];
    const grantId = randomUUID();
    const secretKey = grantSecretKey('intercom', grantId);
    const em = services.orm.em.fork();
    const grant = em.create(ConnectorGrant, { id: grantId, tenant: id, connector: 'intercom', status: 'active', secretKey });
    em.create(ConnectorInstallation, { tenant: id, type: 'intercom', status: 'active', grant });
    await em.flush();
    await holdTokenType(id);
    const issued = [granted, other].map((t) => ({ token: t, revoked: false }));
    const ledgerCheck = () =>
      checkIntegrity({ sql: db.sql, tenantIds: [id], heldToken: heldInSsm(endpoint), issued, activeGrantToken: activeGrantInSsm(db.sql, endpoint) });

    await holdToken(id, other);
    expect((await ledgerCheck()).halfStates.join('\n')).toContain("installation active but its grant's own key holds no token");
    await services.secrets.saveGrantToken(id, secretKey, new SecretValue(granted));
    expect((await ledgerCheck()).halfStates).toEqual([
      `tenant ${id.slice(0, 8)}: access token ${shortHash(other)} is not the active grant's token ${shortHash(granted)}`,
    ]);
    await holdToken(id, granted);
    expect(await ledgerCheck()).toMatchObject({ halfStates: [], orphans: [shortHash(other)] });
  });
});

describe('settleJobs', () => {
  it('waits for revocation and repair jobs, scheduled ones too, and reports those left at its deadline', async () => {
    await db.sql(`select graphile_worker.add_job('revoke_grant', '{}'::json, run_at => now() + interval '1 hour')`);
    await db.sql(`select graphile_worker.add_job('reconcile', '{}'::json)`);
    const waited = await settleJobs(db.sql, { timeoutMs: 300, pollMs: 50 });
    expect(waited.left).toMatchObject([{ task: 'revoke_grant' }]);
    expect(waited.ms).toBeGreaterThanOrEqual(300);
    let runs = 0;
    const settled = await settleJobs(db.sql, {
      timeoutMs: 5_000,
      runDue: async () => {
        runs += 1;
        if (runs === 3) {
          await db.sql(`select graphile_worker.complete_jobs(array(select id from graphile_worker.jobs where task_identifier = 'revoke_grant'))`);
        }
      },
    });
    expect(settled.left).toEqual([]);
    expect(runs).toBe(3);
    await db.sql('select graphile_worker.complete_jobs(array(select id from graphile_worker.jobs))');
  });
});
