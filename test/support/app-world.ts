/**
 * What a process-level test needs around the real server: a per-file database, the Intercom
 * sandbox, the loopback SSM endpoint, instances of the server started on demand (all stopped
 * after the file), tenants with admins who sign in over HTTP, and the integrity check over it all.
 * Instances run their own job worker with a 2-second reconcile interval and revocation retries
 * one second apart, so a test can wait for the background work to finish.
 * Importing it registers its hooks in the importing test file.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { AppClient } from './app-client.js';
import { ensureBuild, startAppProcess, type AppProcess, type AppProcessOptions } from './app-process.js';
import { startIntercomSandbox, type IntercomSandbox } from './intercom-sandbox.js';
import { makeTenant, makeUser, TEST_PASSWORD } from './factories.js';
import { checkIntegrity as operatorCheck } from '../../server/connections/integrity.js';
import type { AppServices } from '../../server/services.js';
import { testServices, useTestDatabase } from './database.js';
import { activeGrantInSsm, checkIntegrity, heldInSsm, revokingInSsm, settleJobs, type IntegrityReport } from './integrity.js';
import { expectOperatorClean } from './integrity-expect.js';
import { ssmBackend } from './secret-backends.js';
import { startSsmEndpoint, type SsmEndpoint } from './ssm-endpoint.js';

export const db = useTestDatabase();
export const CLIENT_ID = 'plugboard-intercom-process';
export const CLIENT_SECRET = `intercom-client-secret-${randomBytes(12).toString('hex')}`;
/** One secret for every instance, so a session cookie works on all of them (as behind a load balancer). */
export const SESSION_SECRET = randomBytes(32).toString('base64url');

/** Every instance's reconcile interval. */
export const RECONCILE_INTERVAL_SECONDS = 2;

export let sandbox: IntercomSandbox;
export let endpoint: SsmEndpoint;
const apps: AppProcess[] = [];

beforeAll(async () => {
  ensureBuild();
  sandbox = await startIntercomSandbox({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  endpoint = await startSsmEndpoint();
}, 300_000);

afterAll(async () => {
  await Promise.all(apps.map((app) => app.stop()));
  await sandbox?.close();
  await endpoint?.close();
});

/**
 * The deployment's public URL, shared by every instance as APP_URL, as behind a load balancer:
 * an authorization started on one instance can complete on another only if both send the
 * provider the same redirect URI. Requests still go to each instance's own port.
 */
export const PUBLIC_APP_URL = 'http://localhost:3999';

/** A server instance on this file's database, stopped after the file. */
export async function startApp(extra: Partial<AppProcessOptions> = {}): Promise<AppProcess> {
  const app = await startAppProcess({
    databaseUrl: db.url,
    ssmEndpointUrl: endpoint.url,
    intercom: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, oauthUrl: sandbox.oauthUrl, apiUrl: sandbox.apiUrl },
    sessionSecret: SESSION_SECRET,
    ...extra,
    env: {
      APP_URL: PUBLIC_APP_URL,
      RECONCILE_INTERVAL_SECONDS: String(RECONCILE_INTERVAL_SECONDS),
      REVOKE_RETRY_BASE_SECONDS: '1',
      ...extra.env,
    },
  });
  apps.push(app);
  return app;
}

/** A new tenant with `admins` admins, each signed in over HTTP on `app`. */
export async function tenantWithAdmins(app: AppProcess, admins = 1): Promise<{ tenantId: string; clients: AppClient[] }> {
  const em = db.orm.em.fork();
  const tenant = await makeTenant(em);
  const clients: AppClient[] = [];
  for (let i = 0; i < admins; i += 1) {
    const user = await makeUser(em, tenant.slug, 'admin');
    clients.push(await AppClient.signIn(app.url, user.email, TEST_PASSWORD, PUBLIC_APP_URL));
  }
  return { tenantId: tenant.id, clients };
}

/** The integrity report for these tenants, over the grants the sandbox issued since `issuedFrom`. */
export function integrity(tenantIds: string[], issuedFrom = 0): Promise<IntegrityReport> {
  return checkIntegrity({
    sql: db.sql,
    tenantIds,
    heldToken: heldInSsm(endpoint),
    issued: () => sandbox.tokens().slice(issuedFrom),
    queuedForRevocation: revokingInSsm(db.sql, endpoint, tenantIds),
    activeGrantToken: activeGrantInSsm(db.sql, endpoint),
  });
}

/** The operator's view (server/connections/integrity.ts), reading the same SSM endpoint the instances use. */
export function operatorServices(): AppServices {
  return testServices(db.orm, db.logs.logger, {}, ssmBackend(endpoint));
}

/**
 * Waits (within `timeoutMs`) until the instances' workers have run every revocation and repair
 * job, asserts the operator's check is clean for each tenant, and returns the report at rest.
 */
export async function atRest(tenantIds: string[], label: string, issuedFrom = 0, timeoutMs = 30_000): Promise<IntegrityReport> {
  const settled = await settleJobs(db.sql, { timeoutMs });
  expect(settled.left, `${label}: jobs still queued after ${settled.ms} ms`).toEqual([]);
  const services = operatorServices();
  for (const tenantId of tenantIds) expectOperatorClean(await operatorCheck(services, { tenantId }), label, { settled: true });
  return integrity(tenantIds, issuedFrom);
}

/** A token issued by the sandbox that shows up in a server's output (none should). */
export function leakedToken(app: AppProcess): boolean {
  const text = app.logs.join('\n');
  return sandbox.tokens().some(({ token }) => text.includes(token)) || text.includes(CLIENT_SECRET);
}
