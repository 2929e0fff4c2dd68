/**
 * The harness shared by the Intercom flow tests: a per-file database, the Intercom sandbox
 * and the loopback SSM endpoint, helpers that drive connect and exchange through the server
 * caller, and a leak check after every test (the captured logs, every procedure output and
 * every TRPCError must hold no access token, client secret or authorization code).
 * Importing it registers its hooks in the importing test file.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { TRPCError } from '@trpc/server';
import { getErrorShape } from '@trpc/server/unstable-core-do-not-import';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { OAuthFlowError } from '../../server/oauth/flow.js';
import type { AppServices } from '../../server/services.js';
import { grantSecretKey } from '../../server/secrets/secret-store.js';
import { appRouter } from '../../server/trpc/router.js';
import { testServices, useTestDatabase } from './database.js';
import { type callerFor } from './factories.js';
import { startIntercomSandbox, type IntercomSandbox } from './intercom-sandbox.js';
import { runDueJobs } from './jobs.js';
import { captureLogs } from './logs.js';
import { ssmBackend } from './secret-backends.js';
import { startSsmEndpoint, type SsmEndpoint } from './ssm-endpoint.js';

export const db = useTestDatabase();
export const logs = captureLogs();

export const CLIENT_ID = 'plugboard-intercom-it';
export const CLIENT_SECRET = `intercom-client-secret-${randomBytes(12).toString('hex')}`;
export const REDIRECT_URI = 'http://localhost:3000/integrations/intercom/callback';
export const WORKSPACE = { idCode: 'acme42ws', name: 'Acme Support', region: 'EU' };
export const PROVIDER_ADMIN = { id: '7310042', name: 'Ada Admin', email: 'ada@acme.example' };

export let sandbox: IntercomSandbox;
export let endpoint: SsmEndpoint;

beforeAll(async () => {
  sandbox = await startIntercomSandbox({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }, { workspace: WORKSPACE, admin: PROVIDER_ADMIN });
  endpoint = await startSsmEndpoint();
});
afterAll(async () => {
  await sandbox?.close();
  await endpoint?.close();
});
afterAll(() => {
  // The per-test check below sees each test's lines; this sees the whole file's log at once.
  const text = logs.text();
  for (const secret of secretsSeen) expect(text.includes(secret), 'a secret is in the log').toBe(false);
});

// ---- leak tracking ---------------------------------------------------------------------------

/** Values that must never show up anywhere a person or a log collector can read. */
export const secretsSeen = new Set<string>([CLIENT_SECRET]);
/** Everything a caller got back during the current test, serialised. */
export let surfaces: string[] = [];

export function rememberCode(code: string): string {
  // The code without its `=` padding is a substring of every encoding of it worth worrying about.
  const bare = code.replace(/=+$/, '');
  secretsSeen.add(bare);
  secretsSeen.add(encodeURIComponent(bare));
  return code;
}

export function output<T>(value: T): T {
  surfaces.push(JSON.stringify(value));
  return value;
}

/** Awaits a call that must fail with a TRPCError and records everything the error exposes. */
export async function rejection(call: Promise<unknown>, path: string): Promise<TRPCError> {
  let error: unknown;
  try {
    await call;
  } catch (caught) {
    error = caught;
  }
  if (!(error instanceof TRPCError)) throw new Error(`expected a TRPCError from ${path}, got ${inspect(error)}`);
  const shape = getErrorShape({ config: appRouter._def._config, error, type: 'mutation', path, input: undefined, ctx: undefined });
  surfaces.push(error.message, inspect(error, { depth: 8 }), JSON.stringify(error), JSON.stringify(shape));
  return error;
}

export function reasonOf(error: TRPCError): string {
  expect(error.cause).toBeInstanceOf(OAuthFlowError);
  return (error.cause as OAuthFlowError).reason;
}

export let firstLogLine = 0;

beforeEach(async () => {
  sandbox.reset();
  endpoint.reset();
  surfaces = [];
  firstLogLine = logs.lines.length;
  // Each test starts with an empty job queue: a job an earlier test left queued would run with
  // this test's services (another master key, an emptied SSM endpoint) and muddy its counts.
  await db.sql('select graphile_worker.complete_jobs(array(select id from graphile_worker.jobs))');
});

afterEach(() => {
  for (const { token } of sandbox.tokens()) secretsSeen.add(token);
  const readable = [...logs.lines.slice(firstLogLine), ...surfaces];
  for (const secret of secretsSeen) {
    const leak = readable.find((text) => text.includes(secret));
    expect(leak?.replaceAll(secret, '<SECRET>'), 'a token, code or client secret leaked').toBeUndefined();
  }
});

// ---- harness ---------------------------------------------------------------------------------

export type BackendKind = 'local' | 'ssm';

export function servicesFor(backend: BackendKind = 'local', env: Record<string, string> = {}): AppServices {
  return testServices(
    db.orm,
    logs.logger,
    {
      INTERCOM_CLIENT_ID: CLIENT_ID,
      INTERCOM_CLIENT_SECRET: CLIENT_SECRET,
      INTERCOM_OAUTH_URL: sandbox.oauthUrl,
      INTERCOM_API_URL: sandbox.apiUrl,
      OAUTH_HTTP_TIMEOUT_MS: '5000',
      ...env,
    },
    backend === 'ssm' ? ssmBackend(endpoint) : undefined,
  );
}

export type Caller = ReturnType<typeof callerFor>;

/** connect → the sandbox mints a code for the state, as its consent page would. */
export async function authorize(caller: Caller): Promise<{ state: string; code: string; authorizeUrl: URL }> {
  const authorizeUrl = new URL(output(await caller.intercom.connect()).authorizeUrl);
  const state = authorizeUrl.searchParams.get('state') ?? '';
  const redirectUri = authorizeUrl.searchParams.get('redirect_uri') ?? '';
  const code = rememberCode(sandbox.issueCode(redirectUri, state));
  return { state, code, authorizeUrl };
}

export async function connect(caller: Caller): Promise<string> {
  const { state, code } = await authorize(caller);
  expect(output(await caller.intercom.exchange({ code, state }))).toEqual({ success: true, redirectTo: null, finishing: false });
  const token = sandbox.tokens().at(-1)?.token;
  if (!token) throw new Error('the sandbox minted no token');
  return token;
}

export const parameterName = (tenantId: string) => `/${tenantId}/api-key/INTERCOM_ACCESS_TOKEN`;

export async function installationRows(tenantId: string) {
  return db.sql<{
    status: string;
    external_account_id: string | null;
    external_account_name: string | null;
    installed_by_id: string | null;
    disconnected_at: Date | null;
    disconnected_by_id: string | null;
  }>(
    `select status, external_account_id, external_account_name, installed_by_id, disconnected_at, disconnected_by_id
       from connector_installations where tenant_id = $1 and type = 'intercom'`,
    [tenantId],
  );
}

export async function eventRows(tenantId: string) {
  return db.sql<{ action: string; actor_id: string | null; actor_email: string; external_account_name: string | null }>(
    `select action, actor_id, actor_email, external_account_name
       from connector_events where tenant_id = $1 and connector = 'intercom' order by created_at`,
    [tenantId],
  );
}

export async function configRows(tenantId: string) {
  return db.sql<{ key: string; value: string }>('select key, value from config_values where tenant_id = $1 order by key', [
    tenantId,
  ]);
}

export async function stateCount(tenantId: string): Promise<number> {
  const [row] = await db.sql<{ n: string }>('select count(*) as n from oauth_states where tenant_id = $1', [tenantId]);
  return Number(row?.n);
}

// ---- grants, keys and jobs -------------------------------------------------------------------

/** Runs every job that is due now (revocations, repairs) with the test's own services and backend. */
export async function runJobs(services: AppServices): Promise<void> {
  await runDueJobs({ url: db.url, services });
}

/** The tenant's Intercom grants, oldest first. */
export async function grantRows(tenantId: string) {
  return db.sql<{
    id: string;
    status: string;
    secret_key: string;
    external_account_name: string | null;
    revoke_attempts: number;
    last_error: string | null;
  }>(
    `select id, status, secret_key, external_account_name, revoke_attempts, last_error
       from connector_grants where tenant_id = $1 and connector = 'intercom' order by created_at, id`,
    [tenantId],
  );
}

/** The secret-backend key of a grant (`INTERCOM_GRANT_<32 hex>`), derived independently of its row. */
export const grantKey = (grantId: string) => grantSecretKey('intercom', grantId);

/**
 * Every key the secret backends hold for the tenant, sorted: the local table's rows and the SSM
 * endpoint's parameters under /{tenant}/api-key/ together (a test uses one backend; the other
 * must then contribute nothing).
 */
export async function storedKeys(tenantId: string): Promise<string[]> {
  const local = await db.sql<{ key: string }>('select key from secret_values where tenant_id = $1', [tenantId]);
  const prefix = `/${tenantId}/api-key/`;
  const ssm = [...endpoint.parameters.keys()].filter((name) => name.startsWith(prefix)).map((name) => name.slice(prefix.length));
  return [...local.map((r) => r.key), ...ssm].sort();
}

/** What the job queue holds now (every task). */
export async function queuedJobs() {
  return db.sql<{ task_identifier: string; key: string | null; run_at: Date; attempts: number }>(
    'select task_identifier, key, run_at, attempts from graphile_worker.jobs order by id',
  );
}

export async function intentRows(tenantId: string) {
  return db.sql<{ operation: string }>('select operation from connection_intents where tenant_id = $1', [tenantId]);
}
