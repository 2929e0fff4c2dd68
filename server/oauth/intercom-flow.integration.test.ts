/**
 * The Intercom OAuth flow end to end through the server caller: real Postgres, the Intercom
 * sandbox over HTTP, and both secret backends (local, and SSM through the loopback endpoint).
 * Failure paths live in intercom-flow-failures.integration.test.ts.
 *
 * Every test also feeds a leak check (afterEach): the captured logs, every procedure output and
 * every TRPCError (message, inspect, JSON, wire shape) must hold no access token, client secret
 * or authorization code seen during the test.
 */
import { getErrorShape } from '@trpc/server/unstable-core-do-not-import';
import { describe, expect, it } from 'vitest';
import { appRouter } from '../trpc/router.js';
import { callerFor, signedInUser } from '../../test/support/factories.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  REDIRECT_URI,
  WORKSPACE,
  authorize,
  configRows,
  connect,
  db,
  endpoint,
  eventRows,
  installationRows,
  logs,
  output,
  parameterName,
  reasonOf,
  rejection,
  rememberCode,
  sandbox,
  servicesFor,
  stateCount,
} from '../../test/support/intercom-flow.js';

/** Every SQL statement the ORM sends while `fn` runs (knex's query event sees each one). */
async function sqlDuring<T>(fn: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const knex = db.orm.em.getConnection().getKnex();
  const statements: string[] = [];
  const listener = (query: { sql: string }) => statements.push(query.sql);
  knex.on('query', listener);
  try {
    return { result: await fn(), statements };
  } finally {
    knex.off('query', listener);
  }
}

const tokenCalls = () => sandbox.log.filter((r) => r.method === 'POST' && r.path === '/auth/eagle/token');
const uninstallCalls = () => sandbox.log.filter((r) => r.path === '/auth/uninstall');

// ---- tests -----------------------------------------------------------------------------------

describe.each(['local', 'ssm'] as const)('connect → exchange → status with the %s secret backend', (backend) => {
  it('stores the token, records the installation and the event, and reports the workspace', async () => {
    const services = servicesFor(backend);
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);

    const { state, code, authorizeUrl } = await authorize(caller);
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(sandbox.oauthUrl);
    expect(authorizeUrl.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(authorizeUrl.searchParams.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(authorizeUrl.searchParams.get('response_type')).toBe('code');
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await stateCount(session.tenantId)).toBe(1);
    // Only the hash of the state is stored.
    expect(JSON.stringify(await db.sql('select * from oauth_states where tenant_id = $1', [session.tenantId]))).not.toContain(state);

    expect(output(await caller.intercom.exchange({ code, state }))).toEqual({ success: true, redirectTo: null, finishing: false });

    const [minted] = sandbox.tokens();
    expect(sandbox.tokens()).toHaveLength(1);
    expect(minted?.revoked).toBe(false);
    const token = minted?.token ?? '';

    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(token);
    expect(await services.secrets.get(session.tenantId, 'INTERCOM_TOKEN_TYPE')).toBe('Bearer');
    expect(await configRows(session.tenantId)).toEqual([{ key: 'INTERCOM_TOKEN_TYPE', value: 'Bearer' }]);
    expect(await installationRows(session.tenantId)).toEqual([
      {
        status: 'active',
        external_account_id: WORKSPACE.idCode,
        external_account_name: WORKSPACE.name,
        installed_by_id: session.userId,
        disconnected_at: null,
        disconnected_by_id: null,
      },
    ]);
    expect(await eventRows(session.tenantId)).toEqual([
      { action: 'connected', actor_id: session.userId, actor_email: session.email, external_account_name: WORKSPACE.name },
    ]);
    expect(await stateCount(session.tenantId)).toBe(0);

    if (backend === 'ssm') {
      const puts = endpoint.requestsFor('PutParameter');
      expect(puts).toHaveLength(1);
      expect(puts[0]?.body).toMatchObject({ Name: parameterName(session.tenantId), Type: 'SecureString', Overwrite: true });
      expect(endpoint.parameters.get(parameterName(session.tenantId))).toMatchObject({ type: 'SecureString', value: token, version: 1 });
      // The local table is not touched when SSM is the backend.
      expect(await db.sql('select 1 from secret_values where tenant_id = $1', [session.tenantId])).toEqual([]);
    } else {
      expect(endpoint.requests).toEqual([]);
      const rows = await db.sql<{ key: string; ciphertext: Buffer }>('select key, ciphertext from secret_values where tenant_id = $1', [
        session.tenantId,
      ]);
      expect(rows.map((r) => r.key)).toEqual(['INTERCOM_ACCESS_TOKEN']);
      expect(rows[0]?.ciphertext.includes(Buffer.from(token))).toBe(false);
    }

    // The provider saw a form-encoded exchange, then the pinned-version /me with the new token.
    expect(sandbox.log.map((r) => `${r.method} ${r.path} ${r.status ?? ''}`)).toEqual(['POST /auth/eagle/token 200', 'GET /me 200']);
    expect(tokenCalls()[0]?.contentType).toBe('application/x-www-form-urlencoded');
    expect(sandbox.log[1]?.intercomVersion).toBe('2.11');

    const status = output(await caller.intercom.status());
    expect(status).toMatchObject({
      connector: 'intercom',
      configured: true,
      missingConfiguration: [],
      sandbox: false,
      connected: true,
      state: 'connected',
      installationStatus: 'active',
      workspace: { id: WORKSPACE.idCode, name: WORKSPACE.name },
      connectedBy: session.email,
      disconnectedBy: null,
      disconnectedAt: null,
    });
    expect(Date.parse(status.connectedAt ?? '')).not.toBeNaN();

    const events = output(await caller.intercom.events());
    expect(events).toEqual([
      { id: expect.any(String), action: 'connected', actorEmail: session.email, workspaceName: WORKSPACE.name, at: expect.any(String) },
    ]);
    const catalog = output(await caller.catalog.list());
    expect(catalog.find((c) => c.id === 'intercom')).toMatchObject({ status: 'connected', accountName: WORKSPACE.name });
  });

  it('status reads one row from Postgres and never calls the secret backend', async () => {
    const services = servicesFor(backend);
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    await connect(caller);

    const ssmBefore = endpoint.requests.length;
    const { result, statements } = await sqlDuring(() => caller.intercom.status());
    output(result);
    expect(result.state).toBe('connected');
    expect(endpoint.requests.length - ssmBefore).toBe(0);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/from "connector_installations"/);
    expect(statements[0]).not.toMatch(/secret_values|config_values/);
    // The same holds before anything was connected.
    const other = await signedInUser(services, 'member');
    const fresh = await sqlDuring(() => callerFor(services, other.session).intercom.status());
    expect(output(fresh.result).state).toBe('not_connected');
    expect(fresh.statements).toHaveLength(1);
    expect(endpoint.requests.length - ssmBefore).toBe(0);
  });

  it('disconnect revokes at Intercom, deletes both values, marks the row; twice is fine; reconnect works at once', async () => {
    const services = servicesFor(backend);
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const first = await connect(caller);

    expect(output(await caller.intercom.disconnect())).toEqual({ success: true, redirectTo: null, finishing: false });

    expect(sandbox.tokens()).toEqual([{ token: first, revoked: true }]);
    expect(uninstallCalls()).toHaveLength(1);
    expect(await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN')).toBeNull();
    expect(await services.secrets.get(session.tenantId, 'INTERCOM_TOKEN_TYPE')).toBeNull();
    expect(await configRows(session.tenantId)).toEqual([]);
    const [row] = await installationRows(session.tenantId);
    expect(row).toMatchObject({ status: 'disconnected', disconnected_by_id: session.userId, external_account_name: WORKSPACE.name });
    expect(row?.disconnected_at).toBeInstanceOf(Date);
    expect(await eventRows(session.tenantId)).toEqual([
      expect.objectContaining({ action: 'connected' }),
      { action: 'disconnected', actor_id: session.userId, actor_email: session.email, external_account_name: WORKSPACE.name },
    ]);
    if (backend === 'ssm') {
      expect(endpoint.parameters.has(parameterName(session.tenantId))).toBe(false);
      expect(endpoint.requestsFor('DeleteParameters').map((r) => r.body?.Names)).toEqual([[parameterName(session.tenantId)]]);
    } else {
      expect(await db.sql('select 1 from secret_values where tenant_id = $1', [session.tenantId])).toEqual([]);
    }
    expect(output(await caller.intercom.status())).toMatchObject({
      connected: false,
      state: 'disconnected',
      installationStatus: 'disconnected',
      disconnectedBy: session.email,
      disconnectedAt: row?.disconnected_at?.toISOString(),
    });

    // Twice: no second revoke, no second event, the first disconnect's time is kept.
    expect(output(await caller.intercom.disconnect())).toEqual({ success: true, redirectTo: null, finishing: false });
    expect(uninstallCalls()).toHaveLength(1);
    expect((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected', 'disconnected']);
    expect((await installationRows(session.tenantId))[0]?.disconnected_at).toEqual(row?.disconnected_at);

    // Reconnect straight away: same row, active again, a new token, a 'reconnected' event.
    const putsBefore = endpoint.requestsFor('PutParameter').length;
    const deletesBefore = endpoint.requestsFor('DeleteParameters').length;
    const second = await connect(caller);
    expect(second).not.toBe(first);
    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(second);
    expect(await services.secrets.get(session.tenantId, 'INTERCOM_TOKEN_TYPE')).toBe('Bearer');
    expect(await installationRows(session.tenantId)).toEqual([
      {
        status: 'active',
        external_account_id: WORKSPACE.idCode,
        external_account_name: WORKSPACE.name,
        installed_by_id: session.userId,
        disconnected_at: null,
        disconnected_by_id: null,
      },
    ]);
    expect((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected', 'disconnected', 'reconnected']);
    expect(output(await caller.intercom.events()).map((e) => e.action)).toEqual(['reconnected', 'disconnected', 'connected']);
    if (backend === 'ssm') {
      const puts = endpoint.requestsFor('PutParameter').slice(putsBefore);
      expect(puts).toHaveLength(1);
      expect(puts[0]?.body).toMatchObject({ Name: parameterName(session.tenantId), Type: 'SecureString', Overwrite: true });
      expect(endpoint.requestsFor('DeleteParameters')).toHaveLength(deletesBefore);
      expect(endpoint.parameters.get(parameterName(session.tenantId))?.value).toBe(second);
    }
  });

  it('reconnecting over an active installation overwrites the token in place and revokes the old one', async () => {
    const services = servicesFor(backend);
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const first = await connect(caller);
    const second = await connect(caller);
    // The replaced grant is revoked at Intercom; the new one stays valid.
    expect(sandbox.tokens().find((t) => t.token === first)?.revoked).toBe(true);
    expect(sandbox.tokens().find((t) => t.token === second)?.revoked).toBe(false);

    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(second);
    expect(await installationRows(session.tenantId)).toHaveLength(1);
    expect((await installationRows(session.tenantId))[0]?.status).toBe('active');
    expect((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected', 'reconnected']);
    expect(await configRows(session.tenantId)).toEqual([{ key: 'INTERCOM_TOKEN_TYPE', value: 'Bearer' }]);
    if (backend === 'ssm') {
      // Overwrite, never delete-then-create (AWS would refuse the re-create for ~30 s).
      expect(endpoint.requestsFor('PutParameter').map((r) => r.body?.Overwrite)).toEqual([true, true]);
      expect(endpoint.requestsFor('DeleteParameters')).toEqual([]);
      expect(endpoint.parameters.get(parameterName(session.tenantId))).toMatchObject({ value: second, version: 2 });
    }
  });
});

describe('the authorization code', () => {
  it('is exchanged byte for byte: a code ending with `=` (and holding `+`) works, the same code without its `=` does not', async () => {
    const services = servicesFor();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);

    // A stripped code is rejected by Intercom ("Unauthorized Code"): token_rejected, nothing stored.
    const first = await authorize(caller);
    expect(first.code.endsWith('=')).toBe(true);
    const stripped = first.code.replace(/=+$/, '');
    expect(stripped).not.toBe(first.code);
    const error = await rejection(caller.intercom.exchange({ code: stripped, state: first.state }), 'intercom.exchange');
    expect(error.code).toBe('BAD_REQUEST');
    expect(reasonOf(error)).toBe('token_rejected');
    expect(tokenCalls().map((r) => r.status)).toEqual([401]);
    expect(sandbox.tokens()).toEqual([]);
    expect(await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN')).toBeNull();
    expect(await installationRows(session.tenantId)).toEqual([]);

    // A fresh attempt with a code that ends with `==` and holds a `+` (form encoding turns a bare
    // `+` into a space, so this proves the body is encoded correctly too).
    const { state, authorizeUrl } = await authorize(caller);
    let code = '';
    for (let i = 0; i < 200 && !code.includes('+'); i++) {
      code = rememberCode(sandbox.issueCode(authorizeUrl.searchParams.get('redirect_uri') ?? '', state));
    }
    expect(code.endsWith('==')).toBe(true);
    expect(code).toContain('+');
    expect(output(await caller.intercom.exchange({ code, state }))).toEqual({ success: true, redirectTo: null, finishing: false });
    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(sandbox.tokens()[0]?.token);
  });

  it('works when it comes through the sandbox consent page over HTTP', async () => {
    const services = servicesFor();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const authorizeUrl = new URL(output(await caller.intercom.connect()).authorizeUrl);

    const page = await fetch(authorizeUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(WORKSPACE.name);
    const hidden = (name: string) =>
      new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(html)?.[1]?.replace(/&amp;/g, '&') ?? '';
    const decision = await fetch(new URL('/oauth/decision', authorizeUrl), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: hidden('client_id'),
        state: hidden('state'),
        redirect_uri: hidden('redirect_uri'),
        decision: 'approve',
      }),
    });
    expect(decision.status).toBe(302);
    const location = decision.headers.get('location') ?? '';
    expect(location.startsWith(`${REDIRECT_URI}?`)).toBe(true);
    expect(location).toMatch(/code=[^&]*%3D/);
    // What the callback route does: take the query parameters, decoded.
    const callback = new URL(location).searchParams;
    const code = rememberCode(callback.get('code') ?? '');
    const state = callback.get('state') ?? '';
    expect(code.endsWith('=')).toBe(true);
    expect(state).toBe(authorizeUrl.searchParams.get('state'));

    expect(output(await caller.intercom.exchange({ code, state }))).toEqual({ success: true, redirectTo: null, finishing: false });
    expect(output(await caller.intercom.status())).toMatchObject({ connected: true, workspace: { name: WORKSPACE.name } });
  });
});

describe('input validation', () => {
  it('rejects an empty code or a malformed state with BAD_REQUEST before consuming anything', async () => {
    const services = servicesFor();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const { state, code } = await authorize(caller);

    const malformed = await rejection(caller.intercom.exchange({ code: '', state: 'x' }), 'intercom.exchange');
    expect(malformed.code).toBe('BAD_REQUEST');
    const shape = getErrorShape({
      config: appRouter._def._config,
      error: malformed,
      type: 'mutation',
      path: 'intercom.exchange',
      input: undefined,
      ctx: undefined,
    });
    expect(shape.message).toBe('Invalid input');
    expect(Object.keys(shape.data.fieldErrors ?? {}).sort()).toEqual(['code', 'state']);

    const emptyCode = await rejection(caller.intercom.exchange({ code: '', state }), 'intercom.exchange');
    expect(emptyCode.code).toBe('BAD_REQUEST');

    // Nothing consumed: the state is still there, the provider was never called, and the
    // genuine callback still completes.
    expect(await stateCount(session.tenantId)).toBe(1);
    expect(tokenCalls()).toEqual([]);
    expect(await installationRows(session.tenantId)).toEqual([]);
    expect(output(await caller.intercom.exchange({ code, state }))).toEqual({ success: true, redirectTo: null, finishing: false });
  });
});

describe('roles and tenants', () => {
  it('a member gets FORBIDDEN on connect, exchange and disconnect but can read status and events', async () => {
    const services = servicesFor();
    const admin = await signedInUser(services, 'admin');
    const member = await signedInUser(services, 'member', admin.session.tenantSlug);
    const adminCaller = callerFor(services, admin.session);
    const memberCaller = callerFor(services, member.session);

    const forbiddenConnect = await rejection(memberCaller.intercom.connect(), 'intercom.connect');
    expect(forbiddenConnect.code).toBe('FORBIDDEN');
    expect(await stateCount(admin.session.tenantId)).toBe(0);

    // The member replays the admin's callback: refused before the state is looked at.
    const { state, code } = await authorize(adminCaller);
    const forbiddenExchange = await rejection(memberCaller.intercom.exchange({ code, state }), 'intercom.exchange');
    expect(forbiddenExchange.code).toBe('FORBIDDEN');
    expect(await stateCount(admin.session.tenantId)).toBe(1);
    expect(tokenCalls()).toEqual([]);
    expect(output(await adminCaller.intercom.exchange({ code, state }))).toEqual({ success: true, redirectTo: null, finishing: false });
    const token = sandbox.tokens()[0]?.token;

    const forbiddenDisconnect = await rejection(memberCaller.intercom.disconnect(), 'intercom.disconnect');
    expect(forbiddenDisconnect.code).toBe('FORBIDDEN');
    expect(uninstallCalls()).toEqual([]);
    expect((await installationRows(admin.session.tenantId))[0]?.status).toBe('active');
    expect((await services.secrets.get(admin.session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(token);

    expect(output(await memberCaller.intercom.status())).toMatchObject({
      connected: true,
      workspace: { id: WORKSPACE.idCode, name: WORKSPACE.name },
      connectedBy: admin.session.email,
    });
    expect(output(await memberCaller.intercom.events()).map((e) => e.action)).toEqual(['connected']);
  });

  it("tenant B never sees tenant A's installation, and B's disconnect leaves A alone", async () => {
    const services = servicesFor();
    const a = await signedInUser(services, 'admin');
    const b = await signedInUser(services, 'admin');
    const callerA = callerFor(services, a.session);
    const callerB = callerFor(services, b.session);
    const token = await connect(callerA);

    expect(output(await callerB.intercom.status())).toMatchObject({
      connected: false,
      state: 'not_connected',
      installationStatus: null,
      workspace: null,
      connectedBy: null,
      connectedAt: null,
    });
    expect(output(await callerB.intercom.events())).toEqual([]);
    const catalogB = output(await callerB.catalog.list());
    expect(catalogB.find((c) => c.id === 'intercom')).toMatchObject({ status: 'not_connected', accountName: null });
    expect(JSON.stringify(catalogB)).not.toContain(WORKSPACE.name);
    expect(await services.secrets.get(b.session.tenantId, 'INTERCOM_ACCESS_TOKEN')).toBeNull();

    expect(output(await callerB.intercom.disconnect())).toEqual({ success: true, redirectTo: null, finishing: false });
    expect(uninstallCalls()).toEqual([]);
    expect(sandbox.tokens()).toEqual([{ token, revoked: false }]);
    expect((await services.secrets.get(a.session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(token);
    expect((await installationRows(a.session.tenantId))[0]?.status).toBe('active');
    expect(await installationRows(b.session.tenantId)).toEqual([]);
    expect(await eventRows(b.session.tenantId)).toEqual([]);
    expect(output(await callerA.intercom.status()).connected).toBe(true);
  });
});

describe('secrets never leak', () => {
  it('logs, outputs and errors of a whole connect, failure and disconnect cycle hold no token, code or client secret', async () => {
    const services = servicesFor('ssm');
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const linesBefore = logs.lines.length;

    const token = await connect(caller);
    output(await caller.intercom.status());
    output(await caller.intercom.events());

    // A provider rejection, a replay, an unavailable provider and a storage failure.
    const rejected = await authorize(caller);
    sandbox.faults.next('token', { status: 401 });
    await rejection(caller.intercom.exchange({ code: rejected.code, state: rejected.state }), 'intercom.exchange');
    await rejection(caller.intercom.exchange({ code: rejected.code, state: rejected.state }), 'intercom.exchange');
    const unavailable = await authorize(caller);
    sandbox.faults.next('me', { status: 500 });
    await rejection(caller.intercom.exchange({ code: unavailable.code, state: unavailable.state }), 'intercom.exchange');
    const storage = await authorize(caller);
    // SSM validation messages can echo the request, value included: it must go no further.
    endpoint.faults.failAlways({ status: 400, message: (body) => `could not store ${JSON.stringify(body)}` }, 'PutParameter');
    const storageError = await rejection(
      caller.intercom.exchange({ code: storage.code, state: storage.state }),
      'intercom.exchange',
    );
    endpoint.faults.clear();
    expect(reasonOf(storageError)).toBe('storage_failed');

    // The original connection survived all of that.
    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(token);
    output(await caller.intercom.disconnect());

    // The check in afterEach covers these lines; make sure there is something to check.
    const written = logs.lines.slice(linesBefore).join('\n');
    expect(written).toContain('connector connected');
    expect(written).toContain('provider call failed');
    expect(written).toContain('storing the access token failed');
    expect(written).toContain('connector disconnected');
    expect(sandbox.tokens().length).toBeGreaterThanOrEqual(3);

    // Nor does any table hold a token in clear.
    const tables = ['config_values', 'connector_installations', 'connector_events', 'oauth_states', 'secret_values'];
    for (const table of tables) {
      const dump = JSON.stringify(await db.sql(`select * from ${table}`));
      for (const { token: minted } of sandbox.tokens()) expect(dump).not.toContain(minted);
      expect(dump).not.toContain(CLIENT_SECRET);
    }
  });
});
