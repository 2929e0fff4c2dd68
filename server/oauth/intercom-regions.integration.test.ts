/**
 * Intercom regions through the real procedures: one process, two tenants, one in the US and one
 * in the EU, each region stood in for by its own Intercom sandbox. PROVIDER_ORIGIN_OVERRIDES
 * maps each region's real hosts (app.intercom.com and api.intercom.io; app.eu.intercom.com and
 * api.eu.intercom.io) to its sandbox, so the URLs the engine fills from the `region` setting are
 * what decides where each request goes. An EU token must be exchanged, identified and revoked
 * at the EU hosts only.
 */
import { randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { getErrorShape } from '@trpc/server/unstable-core-do-not-import';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretValue } from '../secrets/secret-value.js';
import type { AppServices } from '../services.js';
import { appRouter } from '../trpc/router.js';
import { testServices, useTestDatabase } from '../../test/support/database.js';
import { callerFor, signedInUser } from '../../test/support/factories.js';
import { startIntercomSandbox, type IntercomSandbox } from '../../test/support/intercom-sandbox.js';
import { runDueJobs } from '../../test/support/jobs.js';
import { captureLogs } from '../../test/support/logs.js';

const db = useTestDatabase();
const logs = captureLogs();

const CLIENT_ID = 'plugboard-intercom-regions';
const CLIENT_SECRET = `intercom-client-secret-${randomBytes(12).toString('hex')}`;

let us: IntercomSandbox;
let eu: IntercomSandbox;

beforeAll(async () => {
  const client = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };
  us = await startIntercomSandbox(client, { workspace: { idCode: 'usws0001', name: 'Acme US', region: 'US' } });
  eu = await startIntercomSandbox(client, { workspace: { idCode: 'euws0001', name: 'Acme EU', region: 'Europe' } });
});
afterAll(async () => {
  await us?.close();
  await eu?.close();
});
beforeEach(async () => {
  us.reset();
  eu.reset();
  await db.sql('select graphile_worker.complete_jobs(array(select id from graphile_worker.jobs))');
});

/** Both regions on their real hosts, each rewritten to its own sandbox. */
function regionalServices(env: Record<string, string> = {}): AppServices {
  return testServices(db.orm, logs.logger, {
    INTERCOM_CLIENT_ID: CLIENT_ID,
    INTERCOM_CLIENT_SECRET: CLIENT_SECRET,
    PROVIDER_ORIGIN_OVERRIDES: [
      `https://app.intercom.com=${us.url}`,
      `https://api.intercom.io=${us.url}`,
      `https://app.eu.intercom.com=${eu.url}`,
      `https://api.eu.intercom.io=${eu.url}`,
    ].join(','),
    OAUTH_HTTP_TIMEOUT_MS: '5000',
    ...env,
  });
}

type Caller = ReturnType<typeof callerFor>;

/** connect with the given settings → the region's sandbox mints a code for the state → exchange. */
async function connectIn(caller: Caller, sandbox: IntercomSandbox, settings?: Record<string, string>) {
  const authorizeUrl = new URL((await caller.intercom.connect(settings ? { settings } : undefined)).authorizeUrl);
  expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(sandbox.oauthUrl);
  const state = authorizeUrl.searchParams.get('state') ?? '';
  const code = sandbox.issueCode(authorizeUrl.searchParams.get('redirect_uri') ?? '', state);
  expect(await caller.intercom.exchange({ code, state })).toEqual({ success: true, redirectTo: null, finishing: false });
  return sandbox.tokens().at(-1)?.token ?? '';
}

const calls = (sandbox: IntercomSandbox) => sandbox.log.map((r) => `${r.method} ${r.path}`);

async function regionRows(tenantId: string) {
  return db.sql<{ key: string; value: string }>(
    "select key, value from config_values where tenant_id = $1 and key = 'INTERCOM_REGION'",
    [tenantId],
  );
}

async function rejection(call: Promise<unknown>): Promise<{ error: TRPCError; shape: ReturnType<typeof getErrorShape> }> {
  const error = await call.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof TRPCError)) throw new Error('expected a TRPCError');
  return { error, shape: getErrorShape({ config: appRouter._def._config, error, type: 'mutation', path: 'intercom.connect', input: undefined, ctx: undefined }) };
}

describe('Intercom regions side by side', () => {
  it('an EU tenant is authorized, exchanged, identified and revoked at the EU hosts while a US tenant stays on the US hosts', async () => {
    const services = regionalServices();
    const euAdmin = await signedInUser(services, 'admin');
    const usAdmin = await signedInUser(services, 'admin');
    const euCaller = callerFor(services, euAdmin.session);
    const usCaller = callerFor(services, usAdmin.session);

    const euToken = await connectIn(euCaller, eu, { region: 'eu' });
    const usToken = await connectIn(usCaller, us); // no settings: the default region, us
    expect(euToken).not.toBe(usToken);

    expect(calls(eu)).toEqual(['POST /auth/eagle/token', 'GET /me']);
    expect(calls(us)).toEqual(['POST /auth/eagle/token', 'GET /me']);
    expect(eu.tokens().map((t) => t.token)).toEqual([euToken]);
    expect(us.tokens().map((t) => t.token)).toEqual([usToken]);

    const euStatus = await euCaller.intercom.status();
    expect(euStatus).toMatchObject({ state: 'connected', workspace: { id: 'euws0001', name: 'Acme EU' } });
    expect(euStatus.settings).toEqual([
      expect.objectContaining({ name: 'region', label: 'Workspace region', value: 'eu' }),
    ]);
    expect(euStatus.settings[0]?.options?.map((o) => o.value)).toEqual(['us', 'eu', 'au']);
    expect((await usCaller.intercom.status()).settings[0]?.value).toBe('us');
    expect(await regionRows(euAdmin.session.tenantId)).toEqual([{ key: 'INTERCOM_REGION', value: 'eu' }]);
    expect(await regionRows(usAdmin.session.tenantId)).toEqual([{ key: 'INTERCOM_REGION', value: 'us' }]);

    // Disconnecting the EU tenant revokes its token at the EU API, through the job.
    await euCaller.intercom.disconnect();
    await runDueJobs({ url: db.url, services });
    expect(eu.tokens()).toEqual([{ token: euToken, revoked: true }]);
    expect(us.tokens()).toEqual([{ token: usToken, revoked: false }]);
    expect(calls(us)).toEqual(['POST /auth/eagle/token', 'GET /me']);
    expect(await regionRows(euAdmin.session.tenantId)).toEqual([]);
    expect((await euCaller.intercom.status()).settings[0]?.value).toBeNull();
  });

  it('reconnecting in another region revokes the old grant in its own region', async () => {
    const services = regionalServices();
    const admin = await signedInUser(services, 'admin');
    const caller = callerFor(services, admin.session);
    const usToken = await connectIn(caller, us, { region: 'us' });
    const euToken = await connectIn(caller, eu, { region: 'eu' });
    await runDueJobs({ url: db.url, services });
    expect(us.tokens()).toEqual([{ token: usToken, revoked: true }]);
    expect(eu.tokens()).toEqual([{ token: euToken, revoked: false }]);
    expect(await regionRows(admin.session.tenantId)).toEqual([{ key: 'INTERCOM_REGION', value: 'eu' }]);
  });

  it('a token found in the key without a grant is revoked in the connection\'s region', async () => {
    const services = regionalServices();
    const admin = await signedInUser(services, 'admin');
    const caller = callerFor(services, admin.session);
    const euToken = await connectIn(caller, eu, { region: 'eu' });
    // A second EU token lands in the access-token key behind the ledger's back.
    const redirectUri = 'http://localhost:3000/integrations/intercom/callback';
    const code = eu.issueCode(redirectUri, 'stray-state');
    const answer = await fetch(`${eu.apiUrl}/auth/eagle/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ code, client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uri: redirectUri }),
    });
    const stray = ((await answer.json()) as { access_token: string }).access_token;
    await services.secrets.save(admin.session.tenantId, 'INTERCOM_ACCESS_TOKEN', new SecretValue(stray));

    await caller.intercom.disconnect();
    await runDueJobs({ url: db.url, services });
    expect(eu.tokens()).toEqual([
      { token: euToken, revoked: true },
      { token: stray, revoked: true },
    ]);
    expect(calls(us)).toEqual([]);
  });

  it('the callback uses the region the attempt started with', async () => {
    const services = regionalServices();
    const admin = await signedInUser(services, 'admin');
    const caller = callerFor(services, admin.session);
    const authorizeUrl = new URL((await caller.intercom.connect({ settings: { region: 'eu' } })).authorizeUrl);
    const state = authorizeUrl.searchParams.get('state') ?? '';
    const [row] = await db.sql<{ settings: unknown }>('select settings from oauth_states where tenant_id = $1', [admin.session.tenantId]);
    expect(row?.settings).toEqual({ region: 'eu' });
    // A code the US region minted for this state is not valid at the EU token endpoint.
    const code = us.issueCode(authorizeUrl.searchParams.get('redirect_uri') ?? '', state);
    await expect(caller.intercom.exchange({ code, state })).rejects.toBeInstanceOf(TRPCError);
    expect(calls(us)).toEqual([]);
    expect(calls(eu)).toEqual(['POST /auth/eagle/token']);
  });

  it.each([
    ['an unknown region', { region: 'us-west' }],
    ['a host', { region: 'evil.com/' }],
    ['credentials', { region: 'a@b' }],
    ['dots', { region: '..' }],
    ['unicode', { region: 'еu' }],
    ['a very long value', { region: 'e'.repeat(256) }],
  ])('refuses %s as the region, naming the field, and starts nothing', async (_what, settings) => {
    const services = regionalServices();
    const admin = await signedInUser(services, 'admin');
    const { error, shape } = await rejection(callerFor(services, admin.session).intercom.connect({ settings }));
    expect(error.code).toBe('BAD_REQUEST');
    expect(Object.keys((shape.data as { fieldErrors?: Record<string, string[]> }).fieldErrors ?? {})).toEqual(['region']);
    expect(JSON.stringify(shape)).not.toContain(settings.region.slice(0, 20));
    const [count] = await db.sql<{ n: string }>('select count(*) as n from oauth_states where tenant_id = $1', [admin.session.tenantId]);
    expect(Number(count?.n)).toBe(0);
  });

  it('refuses a setting Intercom does not declare', async () => {
    const services = regionalServices();
    const admin = await signedInUser(services, 'admin');
    const { error } = await rejection(callerFor(services, admin.session).intercom.connect({ settings: { subdomain: 'acme' } }));
    expect(error.code).toBe('BAD_REQUEST');
  });

  it('INTERCOM_OAUTH_URL and INTERCOM_API_URL still send every region to one place', async () => {
    const services = regionalServices({ INTERCOM_OAUTH_URL: us.oauthUrl, INTERCOM_API_URL: us.apiUrl });
    const admin = await signedInUser(services, 'admin');
    const token = await connectIn(callerFor(services, admin.session), us, { region: 'au' });
    expect(us.tokens().map((t) => t.token)).toEqual([token]);
    expect(calls(eu)).toEqual([]);
    expect(await regionRows(admin.session.tenantId)).toEqual([{ key: 'INTERCOM_REGION', value: 'au' }]);
  });

  it('keeps tokens and the client secret out of the log', () => {
    const text = logs.text();
    expect(text.includes(CLIENT_SECRET)).toBe(false);
    for (const { token } of [...us.tokens(), ...eu.tokens()]) expect(text.includes(token)).toBe(false);
  });
});
