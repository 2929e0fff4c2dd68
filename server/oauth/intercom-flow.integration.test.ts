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
  grantKey,
  grantRows,
  installationRows,
  intentRows,
  logs,
  output,
  parameterName,
  queuedJobs,
  reasonOf,
  rejection,
  rememberCode,
  runJobs,
  sandbox,
  servicesFor,
  stateCount,
  storedKeys,
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
    const ssmCalls = endpoint.requests.map((r) => `${r.operation} ${String(r.body?.Name)}`);

    const [minted] = sandbox.tokens();
    expect(sandbox.tokens()).toHaveLength(1);
    expect(minted?.revoked).toBe(false);
    const token = minted?.token ?? '';

    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(token);
    expect(await services.secrets.get(session.tenantId, 'INTERCOM_TOKEN_TYPE')).toBe('Bearer');
    expect(await configRows(session.tenantId)).toEqual([
      { key: 'INTERCOM_REGION', value: 'us' },
      { key: 'INTERCOM_TOKEN_TYPE', value: 'Bearer' },
    ]);
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

    // The grant ledger: one active grant, its token under its own key as well.
    const grants = await grantRows(session.tenantId);
    expect(grants).toEqual([
      {
        id: expect.any(String),
        status: 'active',
        secret_key: grantKey(grants[0]?.id ?? ''),
        external_account_name: WORKSPACE.name,
        revoke_attempts: 0,
        last_error: null,
      },
    ]);
    const own = grantKey(grants[0]?.id ?? '');
    expect((await services.secrets.getGrantToken(session.tenantId, own))?.reveal()).toBe(token);
    expect(await storedKeys(session.tenantId)).toEqual(['INTERCOM_ACCESS_TOKEN', own].sort());
    // Nothing left over: no intent, no job (nothing to revoke or repair).
    expect(await intentRows(session.tenantId)).toEqual([]);
    expect(await queuedJobs()).toEqual([]);

    if (backend === 'ssm') {
      // The grant's own key right after the exchange, then a read of the access-token key
      // (whatever it holds must be accounted for before it is overwritten), then its write.
      expect(ssmCalls).toEqual([
        `PutParameter /${session.tenantId}/api-key/${own}`,
        `GetParameter ${parameterName(session.tenantId)}`,
        `PutParameter ${parameterName(session.tenantId)}`,
      ]);
      for (const put of endpoint.requestsFor('PutParameter')) {
        expect(put.body).toMatchObject({ Type: 'SecureString', Overwrite: true });
      }
      expect(endpoint.parameters.get(parameterName(session.tenantId))).toMatchObject({ type: 'SecureString', value: token, version: 1 });
      expect(endpoint.parameters.get(`/${session.tenantId}/api-key/${own}`)).toMatchObject({ type: 'SecureString', value: token, version: 1 });
      // The local table is not touched when SSM is the backend.
      expect(await db.sql('select 1 from secret_values where tenant_id = $1', [session.tenantId])).toEqual([]);
    } else {
      expect(endpoint.requests).toEqual([]);
      const rows = await db.sql<{ key: string; ciphertext: Buffer }>('select key, ciphertext from secret_values where tenant_id = $1', [
        session.tenantId,
      ]);
      expect(rows.map((r) => r.key).sort()).toEqual(['INTERCOM_ACCESS_TOKEN', own].sort());
      for (const row of rows) expect(row.ciphertext.includes(Buffer.from(token))).toBe(false);
    }

    // The provider saw a form-encoded exchange, then the pinned-version /me with the new token.
    expect(sandbox.log.map((r) => `${r.method} ${r.path} ${r.status ?? ''}`)).toEqual(['POST /auth/eagle/token 200', 'GET /me 200']);
    expect(tokenCalls()[0]?.contentType).toMatch(/^application\/x-www-form-urlencoded(;|$)/);
    expect(sandbox.log[1]?.headers['intercom-version']).toBe('2.11');

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
      { id: expect.any(String), action: 'connected', actorEmail: session.email, workspaceName: WORKSPACE.name, detail: null, at: expect.any(String) },
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
    expect(statements[0]).toMatch(/from "?connector_installations"?/);
    expect(statements[0]).not.toMatch(/secret_values|config_values/);
    // The same holds before anything was connected.
    const other = await signedInUser(services, 'member');
    const fresh = await sqlDuring(() => callerFor(services, other.session).intercom.status());
    expect(output(fresh.result).state).toBe('not_connected');
    expect(fresh.statements).toHaveLength(1);
    expect(endpoint.requests.length - ssmBefore).toBe(0);
  });

  it('disconnect answers at once, deletes both values and marks the row; the job revokes at Intercom; twice is fine; reconnect works at once', async () => {
    const services = servicesFor(backend);
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const first = await connect(caller);
    const [grant] = await grantRows(session.tenantId);
    const firstKey = grantKey(grant?.id ?? '');

    expect(output(await caller.intercom.disconnect())).toEqual({ success: true, redirectTo: null, finishing: false });

    // The request did not wait for Intercom: nothing was sent to it yet, and the token still works.
    expect(uninstallCalls()).toEqual([]);
    expect(sandbox.tokens()).toEqual([{ token: first, revoked: false }]);
    expect(await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN')).toBeNull();
    expect(await services.secrets.get(session.tenantId, 'INTERCOM_TOKEN_TYPE')).toBeNull();
    expect(await configRows(session.tenantId)).toEqual([]);
    // Only the grant's own key is left, held for the job that revokes it, which the same commit queued.
    expect(await storedKeys(session.tenantId)).toEqual([firstKey]);
    expect((await grantRows(session.tenantId)).map((g) => [g.id, g.status])).toEqual([[grant?.id, 'revoking']]);
    expect(await queuedJobs()).toEqual([expect.objectContaining({ task_identifier: 'revoke_grant', key: `revoke_grant:${grant?.id}` })]);
    expect(await intentRows(session.tenantId)).toEqual([]);
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
    }
    expect(output(await caller.intercom.status())).toMatchObject({
      connected: false,
      state: 'disconnected',
      installationStatus: 'disconnected',
      disconnectedBy: session.email,
      disconnectedAt: row?.disconnected_at?.toISOString(),
    });

    // The job: revoked at Intercom, the grant settled, its key deleted, nothing left queued.
    await runJobs(services);
    expect(uninstallCalls().map((r) => r.status)).toEqual([200]);
    expect(sandbox.tokens()).toEqual([{ token: first, revoked: true }]);
    expect(await grantRows(session.tenantId)).toEqual([expect.objectContaining({ id: grant?.id, status: 'revoked', revoke_attempts: 0, last_error: null })]);
    expect(await storedKeys(session.tenantId)).toEqual([]);
    expect(await queuedJobs()).toEqual([]);
    if (backend === 'ssm') {
      expect(endpoint.requestsFor('DeleteParameters').map((r) => r.body?.Names)).toEqual([
        [parameterName(session.tenantId)],
        // The grant's key and its refresh-token key (Intercom issues none; the delete is idempotent).
        [`/${session.tenantId}/api-key/${firstKey}`, `/${session.tenantId}/api-key/${firstKey}_REFRESH`],
      ]);
    } else {
      expect(await db.sql('select 1 from secret_values where tenant_id = $1', [session.tenantId])).toEqual([]);
    }
    // Running the queue again changes nothing (the job is idempotent and gone).
    await runJobs(services);
    expect(uninstallCalls()).toHaveLength(1);

    // Twice: no second revoke, no second event, no job, the first disconnect's time is kept.
    expect(output(await caller.intercom.disconnect())).toEqual({ success: true, redirectTo: null, finishing: false });
    expect(await queuedJobs()).toEqual([]);
    await runJobs(services);
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
    const grants = await grantRows(session.tenantId);
    expect(grants.map((g) => [g.id, g.status])).toEqual([
      [grant?.id, 'revoked'],
      [expect.any(String), 'active'],
    ]);
    const secondKey = grantKey(grants[1]?.id ?? '');
    expect(await storedKeys(session.tenantId)).toEqual(['INTERCOM_ACCESS_TOKEN', secondKey].sort());
    expect(await queuedJobs()).toEqual([]);
    expect((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected', 'disconnected', 'reconnected']);
    expect(output(await caller.intercom.events()).map((e) => e.action)).toEqual(['reconnected', 'disconnected', 'connected']);
    if (backend === 'ssm') {
      const puts = endpoint.requestsFor('PutParameter').slice(putsBefore);
      expect(puts.map((r) => r.body?.Name)).toEqual([`/${session.tenantId}/api-key/${secondKey}`, parameterName(session.tenantId)]);
      for (const put of puts) expect(put.body).toMatchObject({ Type: 'SecureString', Overwrite: true });
      expect(endpoint.requestsFor('DeleteParameters')).toHaveLength(deletesBefore);
      expect(endpoint.parameters.get(parameterName(session.tenantId))?.value).toBe(second);
    }
  });

  it('reconnecting over an active installation overwrites the token in place; the job revokes the old one', async () => {
    const services = servicesFor(backend);
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const first = await connect(caller);
    const second = await connect(caller);

    // The replaced grant is queued for revocation, not revoked by the request.
    expect(uninstallCalls()).toEqual([]);
    expect(sandbox.tokens()).toEqual([
      { token: first, revoked: false },
      { token: second, revoked: false },
    ]);
    const grants = await grantRows(session.tenantId);
    expect(grants.map((g) => g.status)).toEqual(['revoking', 'active']);
    const [oldKey, newKey] = grants.map((g) => grantKey(g.id));
    expect((await services.secrets.getGrantToken(session.tenantId, oldKey ?? ''))?.reveal()).toBe(first);
    expect((await services.secrets.getGrantToken(session.tenantId, newKey ?? ''))?.reveal()).toBe(second);
    expect(await storedKeys(session.tenantId)).toEqual(['INTERCOM_ACCESS_TOKEN', oldKey, newKey].sort());
    expect(await queuedJobs()).toEqual([expect.objectContaining({ task_identifier: 'revoke_grant', key: `revoke_grant:${grants[0]?.id}` })]);

    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(second);
    expect(await installationRows(session.tenantId)).toHaveLength(1);
    expect((await installationRows(session.tenantId))[0]?.status).toBe('active');
    expect((await eventRows(session.tenantId)).map((e) => e.action)).toEqual(['connected', 'reconnected']);
    expect(await configRows(session.tenantId)).toEqual([
      { key: 'INTERCOM_REGION', value: 'us' },
      { key: 'INTERCOM_TOKEN_TYPE', value: 'Bearer' },
    ]);
    if (backend === 'ssm') {
      // Overwrite, never delete-then-create (AWS would refuse the re-create for ~30 s): per
      // connect, the grant's own key and then the access-token key.
      expect(endpoint.requestsFor('PutParameter').map((r) => [r.body?.Name, r.body?.Overwrite])).toEqual([
        [`/${session.tenantId}/api-key/${oldKey}`, true],
        [parameterName(session.tenantId), true],
        [`/${session.tenantId}/api-key/${newKey}`, true],
        [parameterName(session.tenantId), true],
      ]);
      expect(endpoint.requestsFor('DeleteParameters')).toEqual([]);
      expect(endpoint.parameters.get(parameterName(session.tenantId))).toMatchObject({ value: second, version: 2 });
    }

    // The job revokes the old grant at Intercom and deletes its key; the new one stays valid.
    await runJobs(services);
    expect(uninstallCalls().map((r) => r.status)).toEqual([200]);
    expect(sandbox.tokens()).toEqual([
      { token: first, revoked: true },
      { token: second, revoked: false },
    ]);
    expect((await grantRows(session.tenantId)).map((g) => g.status)).toEqual(['revoked', 'active']);
    expect(await storedKeys(session.tenantId)).toEqual(['INTERCOM_ACCESS_TOKEN', newKey].sort());
    expect((await services.secrets.get(session.tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(second);
    expect(await queuedJobs()).toEqual([]);
    if (backend === 'ssm') {
      expect(endpoint.requestsFor('DeleteParameters').map((r) => r.body?.Names)).toEqual([
        [`/${session.tenantId}/api-key/${oldKey}`, `/${session.tenantId}/api-key/${oldKey}_REFRESH`],
      ]);
      expect(endpoint.parameters.get(parameterName(session.tenantId))).toMatchObject({ value: second, version: 2 });
    }
  });
});

describe('status.finishing', () => {
  it('is true only while a change is open (an intent) or a key write is unconfirmed, still in one query', async () => {
    const services = servicesFor();
    const { session } = await signedInUser(services, 'admin');
    const caller = callerFor(services, session);
    const finishing = async () => {
      const { result, statements } = await sqlDuring(() => caller.intercom.status());
      expect(statements).toHaveLength(1);
      return output(result).finishing;
    };
    expect.soft(await finishing()).toBe(false);
    await connect(caller);
    expect(await intentRows(session.tenantId)).toEqual([]);
    expect((await db.sql<{ key_synced: boolean }>('select key_synced from connector_installations where tenant_id = $1', [session.tenantId]))[0])
      .toEqual({ key_synced: true });
    // A completed connect has nothing left to finish.
    expect.soft(await finishing()).toBe(false);

    // An operation's intent is open (as while it runs, or after it died).
    await db.sql(
      `insert into connection_intents (id, tenant_id, connector, operation, created_at)
         values (gen_random_uuid(), $1, 'intercom', 'activate', now())`,
      [session.tenantId],
    );
    expect.soft(await finishing()).toBe(true);
    await db.sql('delete from connection_intents where tenant_id = $1', [session.tenantId]);
    expect.soft(await finishing()).toBe(false);

    // A key write whose answer never came.
    await db.sql('update connector_installations set key_synced = false where tenant_id = $1', [session.tenantId]);
    expect.soft(await finishing()).toBe(true);
    await db.sql('update connector_installations set key_synced = true where tenant_id = $1', [session.tenantId]);

    // A completed disconnect has nothing left to finish either (the revocation job is not the connection's).
    expect.soft(output(await caller.intercom.disconnect()).finishing).toBe(false);
    expect.soft(await finishing()).toBe(false);
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
    // The form as a browser submits it: every hidden field, and the pressed button.
    const form = new URLSearchParams();
    for (const [, name = '', value = ''] of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      form.set(name, value.replace(/&amp;/g, '&'));
    }
    form.set('decision', 'approve');
    const decision = await fetch(new URL('/oauth/decision', authorizeUrl), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
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
    expect(await queuedJobs()).toEqual([]);
    await runJobs(services);
    expect(uninstallCalls()).toEqual([]);
    expect((await grantRows(admin.session.tenantId)).map((g) => g.status)).toEqual(['active']);
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
    expect(await queuedJobs()).toEqual([]);
    await runJobs(services);
    expect(uninstallCalls()).toEqual([]);
    expect(await grantRows(b.session.tenantId)).toEqual([]);
    expect((await grantRows(a.session.tenantId)).map((g) => g.status)).toEqual(['active']);
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
    sandbox.faults.next('identity', { status: 500 });
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
    // The revocations run in jobs, whose log lines are checked too: the grant /me refused, and
    // the disconnected one (the first attempt fails, so the retry path logs as well).
    sandbox.faults.next('revoke', { status: 500 });
    await runJobs(services);

    // The check in afterEach covers these lines; make sure there is something to check.
    const written = logs.lines.slice(linesBefore).join('\n');
    expect(written).toContain('connector connected');
    expect(written).toContain('provider call failed');
    expect(written).toContain('storing a new grant failed; revoking it');
    expect(written).toContain('connector disconnected');
    expect(written).toContain('revoking a grant failed; will retry');
    expect(written).toContain('grant revoked');
    expect(sandbox.tokens().length).toBeGreaterThanOrEqual(3);

    // Nor does any table hold a token in clear: ours, and the job queue's (payloads, errors).
    const tables = [
      'config_values',
      'connector_installations',
      'connector_events',
      'connector_grants',
      'connection_intents',
      'oauth_states',
      'secret_values',
      'graphile_worker._private_jobs',
    ];
    for (const table of tables) {
      const dump = JSON.stringify(await db.sql(`select * from ${table}`));
      for (const { token: minted } of sandbox.tokens()) expect(dump).not.toContain(minted);
      expect(dump).not.toContain(CLIENT_SECRET);
    }
  });
});
