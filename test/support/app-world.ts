/**
 * What a process-level test needs around the real server: a per-file database, the Intercom
 * sandbox, the loopback SSM endpoint, instances of the server started on demand (all stopped
 * after the file), tenants with admins who sign in over HTTP, and the integrity check over it all.
 * Importing it registers its hooks in the importing test file.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { startIntercomSandbox, type IntercomSandbox } from '../../server/connectors/intercom/sandbox.js';
import { AppClient } from './app-client.js';
import { ensureBuild, startAppProcess, type AppProcess, type AppProcessOptions } from './app-process.js';
import { useTestDatabase } from './database.js';
import { makeTenant, makeUser, TEST_PASSWORD } from './factories.js';
import { checkIntegrity, heldInSsm, type IntegrityReport } from './integrity.js';
import { startSsmEndpoint, type SsmEndpoint } from './ssm-endpoint.js';

export const db = useTestDatabase();
export const CLIENT_ID = 'plugboard-intercom-process';
export const CLIENT_SECRET = `intercom-client-secret-${randomBytes(12).toString('hex')}`;
/** One secret for every instance, so a session cookie works on all of them (as behind a load balancer). */
export const SESSION_SECRET = randomBytes(32).toString('base64url');

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

/** A server instance on this file's database, stopped after the file. */
export async function startApp(extra: Partial<AppProcessOptions> = {}): Promise<AppProcess> {
  const app = await startAppProcess({
    databaseUrl: db.url,
    ssmEndpointUrl: endpoint.url,
    intercom: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, oauthUrl: sandbox.oauthUrl, apiUrl: sandbox.apiUrl },
    sessionSecret: SESSION_SECRET,
    ...extra,
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
    clients.push(await AppClient.signIn(app.url, user.email, TEST_PASSWORD));
  }
  return { tenantId: tenant.id, clients };
}

/** The integrity report for these tenants, over the grants the sandbox issued since `issuedFrom`. */
export function integrity(tenantIds: string[], issuedFrom = 0): Promise<IntegrityReport> {
  return checkIntegrity({ sql: db.sql, tenantIds, heldToken: heldInSsm(endpoint), issued: sandbox.tokens().slice(issuedFrom) });
}

/** A token issued by the sandbox that shows up in a server's output (none should). */
export function leakedToken(app: AppProcess): boolean {
  const text = app.logs.join('\n');
  return sandbox.tokens().some(({ token }) => text.includes(token)) || text.includes(CLIENT_SECRET);
}
