/**
 * Refresh and health against the generic sandbox playing Linear with tokens that live three
 * seconds: the real engine, real Postgres, the local secret backend.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/support/database.js';
import { connectLinear, servicesWithLinear, startLinearSandbox } from '../../test/support/linear-connection.js';
import { captureLogs } from '../../test/support/logs.js';
import type { OAuthSandbox } from '../sandbox/oauth-sandbox.js';
import type { AppServices } from '../services.js';
import type { SecretBackend } from '../secrets/backend.js';
import { issueToken, NeedsReconnectError, TokenUnavailableError } from './issue.js';
import { refreshConnection } from './refresh.js';

const db = useTestDatabase();
const logs = captureLogs();
const TTL_SECONDS = 3;
const LIFE = { TOKEN_REFRESH_MARGIN_SECONDS: '1', TOKEN_REFRESH_RETRY_BASE_SECONDS: '1' };
let sandbox: OAuthSandbox;

beforeEach(async () => {
  sandbox = await startLinearSandbox({ accessTokenTtlSeconds: TTL_SECONDS });
});
afterEach(async () => {
  await sandbox.close();
  const text = logs.text();
  for (const { token } of sandbox.tokens()) expect(text.includes(token), 'a token reached the log').toBe(false);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Until the token is within the margin of its expiry. */
const untilDue = () => sleep((TTL_SECONDS - 1) * 1000 + 150);
const accessTokens = () => sandbox.tokens().filter((t) => t.kind === 'access');
const refreshCalls = () => accessTokens().length - 1;
const installation = (tenantId: string) =>
  db.sql<{ health: string; health_reason: string | null; failures: number; next_attempt_at: Date | null; token_version: number }>(
    "select health, health_reason, failures, next_attempt_at, token_version from connector_installations where tenant_id = $1 and type = 'linear'",
    [tenantId],
  ).then((rows) => rows[0]!);
const events = (tenantId: string) =>
  db.sql<{ action: string; detail: string | null }>(
    "select action, detail from connector_events where tenant_id = $1 and connector = 'linear' order by created_at, action",
    [tenantId],
  );

/** A secret backend that counts reads and can fail the next writes of grant keys. */
function instrumented(services: AppServices): { reads: () => number; failGrantWrites: (n: number) => void } {
  const backend = services.secrets.backend as SecretBackend;
  let reads = 0;
  let failing = 0;
  const get = backend.get.bind(backend);
  const put = backend.put.bind(backend);
  backend.get = (tenantId, key) => {
    reads += 1;
    return get(tenantId, key);
  };
  backend.put = (tenantId, key, value) => {
    if (failing > 0 && /_GRANT_/.test(key)) {
      failing -= 1;
      return Promise.reject(new Error('secret backend unavailable'));
    }
    return put(tenantId, key, value);
  };
  return { reads: () => reads, failGrantWrites: (n) => (failing = n) };
}

describe('refresh', () => {
  it('a token within the margin of expiry is refreshed before it is handed out: one refresh, the new token stored', async () => {
    const services = servicesWithLinear(db, logs.logger, sandbox, LIFE);
    const { scope } = await connectLinear(services);
    const first = await issueToken(services, scope, logs.logger);
    expect(first.accessToken.reveal()).toBe(accessTokens()[0]?.token);
    expect(refreshCalls()).toBe(0);

    await untilDue();
    const second = await issueToken(services, scope, logs.logger);
    expect(refreshCalls()).toBe(1);
    expect(second.accessToken.reveal()).toBe(accessTokens()[1]?.token);
    expect(second.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 1500);
    // Rotated: the connection holds the newest refresh token; the old one is spent at the sandbox.
    const refresh = sandbox.tokens().filter((t) => t.kind === 'refresh');
    expect(refresh).toHaveLength(2);
    expect((await services.secrets.get(scope.tenantId, 'LINEAR_REFRESH_TOKEN'))?.reveal()).toBe(refresh[1]?.token);
    expect((await services.secrets.get(scope.tenantId, 'LINEAR_ACCESS_TOKEN'))?.reveal()).toBe(second.accessToken.reveal());
    expect(await services.secrets.get(scope.tenantId, 'LINEAR_EXPIRES_AT')).toBe(second.expiresAt!.toISOString());
    expect(await installation(scope.tenantId)).toMatchObject({ health: 'healthy', failures: 0 });
  });

  it('twenty concurrent requests after expiry: exactly one refresh, every answer the same new token', async () => {
    const services = servicesWithLinear(db, logs.logger, sandbox, LIFE);
    const { scope } = await connectLinear(services);
    await untilDue();
    const answers = await Promise.all(Array.from({ length: 20 }, () => issueToken(services, scope, logs.logger)));
    expect(refreshCalls()).toBe(1);
    expect(new Set(answers.map((a) => a.accessToken.reveal()))).toEqual(new Set([accessTokens()[1]!.token]));
  });

  it('a rejected token reported by many services at once is refreshed once', async () => {
    const services = servicesWithLinear(db, logs.logger, sandbox, LIFE);
    const { scope } = await connectLinear(services);
    const answers = await Promise.all(Array.from({ length: 10 }, () => issueToken(services, scope, logs.logger, { rejected: true })));
    expect(refreshCalls()).toBe(1);
    expect(new Set(answers.map((a) => a.accessToken.reveal())).size).toBe(1);
  });

  it('the cache serves repeated requests without reading the secret backend, until the token changes', async () => {
    const services = servicesWithLinear(db, logs.logger, sandbox, { TOKEN_REFRESH_MARGIN_SECONDS: '1' });
    const { scope } = await connectLinear(services);
    const counter = instrumented(services);
    await issueToken(services, scope, logs.logger);
    const afterFirst = counter.reads();
    expect(afterFirst).toBeGreaterThan(0);
    for (let i = 0; i < 50; i += 1) await issueToken(services, scope, logs.logger);
    expect(counter.reads()).toBe(afterFirst);
    // A refresh changes the token version: the next answer reads the new token.
    await issueToken(services, scope, logs.logger, { rejected: true });
    expect((await issueToken(services, scope, logs.logger)).accessToken.reveal()).toBe(accessTokens()[1]?.token);
  });

  it('an answer without a refresh token keeps the stored one (never erased)', async () => {
    await sandbox.close();
    sandbox = await startLinearSandbox({ accessTokenTtlSeconds: TTL_SECONDS, refreshTokens: { rotate: false } });
    const services = servicesWithLinear(db, logs.logger, sandbox, LIFE);
    const { scope } = await connectLinear(services);
    const stored = (await services.secrets.get(scope.tenantId, 'LINEAR_REFRESH_TOKEN'))?.reveal();
    expect(stored).toBeTruthy();
    await issueToken(services, scope, logs.logger, { rejected: true });
    expect(refreshCalls()).toBe(1);
    expect((await services.secrets.get(scope.tenantId, 'LINEAR_REFRESH_TOKEN'))?.reveal()).toBe(stored);
    await issueToken(services, scope, logs.logger, { rejected: true });
    expect(refreshCalls()).toBe(2);
  });
});

describe('health', () => {
  it('invalid_grant: needs_reconnect, an event, and the token API refuses with the reason; a reconnect makes it healthy', async () => {
    const services = servicesWithLinear(db, logs.logger, sandbox, LIFE);
    const { scope } = await connectLinear(services);
    // Revoking at the provider ends the grant (Linear: bearer-style revoke).
    await fetch(`${sandbox.url}/oauth/revoke`, { method: 'POST', headers: { authorization: `Bearer ${accessTokens()[0]!.token}` } });
    await untilDue();
    const error = await issueToken(services, scope, logs.logger).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(NeedsReconnectError);
    expect((error as NeedsReconnectError).reason).toBe('invalid_grant');
    expect(await installation(scope.tenantId)).toMatchObject({ health: 'needs_reconnect', health_reason: 'invalid_grant' });
    expect(await events(scope.tenantId)).toContainEqual({ action: 'needs_reconnect', detail: 'invalid_grant' });
    // No further refresh attempts once the grant is gone.
    const calls = sandbox.log.filter((r) => r.path === '/oauth/token').length;
    await expect(issueToken(services, scope, logs.logger)).rejects.toBeInstanceOf(NeedsReconnectError);
    expect(sandbox.log.filter((r) => r.path === '/oauth/token').length).toBe(calls);

    await connectLinear(services, (await db.sql<{ slug: string }>('select slug from tenants where id = $1', [scope.tenantId]))[0]!.slug);
    expect(await installation(scope.tenantId)).toMatchObject({ health: 'healthy', health_reason: null });
    expect((await issueToken(services, scope, logs.logger)).accessToken.reveal()).toBe(accessTokens().at(-1)?.token);
  });

  it('5xx and timeouts: refresh_failing with back-off, the still-valid token is served, then recovery', async () => {
    const services = servicesWithLinear(db, logs.logger, sandbox, { ...LIFE, OAUTH_HTTP_TIMEOUT_MS: '300' });
    const { scope } = await connectLinear(services);
    sandbox.faults.next('token', { status: 503 });
    expect((await refreshConnection(services, scope, logs.logger, { force: true })).skipped).toBe('failed');
    let row = await installation(scope.tenantId);
    expect(row).toMatchObject({ health: 'refresh_failing', health_reason: 'http_503', failures: 1 });
    expect(row.next_attempt_at!.getTime()).toBeGreaterThan(Date.now());
    // Not expired yet: services still get the current token.
    expect((await issueToken(services, scope, logs.logger)).accessToken.reveal()).toBe(accessTokens()[0]?.token);

    sandbox.faults.next('token', { delayMs: 1_000 });
    await refreshConnection(services, scope, logs.logger, { force: true });
    row = await installation(scope.tenantId);
    expect(row).toMatchObject({ health: 'refresh_failing', health_reason: 'timeout', failures: 2 });

    expect((await refreshConnection(services, scope, logs.logger, { force: true })).refreshed).toBe(true);
    expect(await installation(scope.tenantId)).toMatchObject({ health: 'healthy', health_reason: null, failures: 0, next_attempt_at: null });
    expect((await events(scope.tenantId)).map((e) => [e.action, e.detail])).toEqual(
      expect.arrayContaining([
        ['refresh_failing', 'http_503'],
        ['recovered', null],
      ]),
    );
    // One event per change of state: the second failure was not a transition.
    expect((await events(scope.tenantId)).filter((e) => e.action === 'refresh_failing')).toHaveLength(1);
  });

  it('an expired token whose refresh keeps failing: the token API answers 503 with a retry time, never a stale token', async () => {
    const services = servicesWithLinear(db, logs.logger, sandbox, LIFE);
    const { scope } = await connectLinear(services);
    await sleep(TTL_SECONDS * 1000 + 100);
    sandbox.faults.next('token', { status: 502 });
    const error = await issueToken(services, scope, logs.logger).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(TokenUnavailableError);
    expect((error as TokenUnavailableError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it('the provider rotated but storing its answer failed: never a silent loss; the connection ends in needs_reconnect', async () => {
    const services = servicesWithLinear(db, logs.logger, sandbox, LIFE);
    const { scope } = await connectLinear(services);
    instrumented(services).failGrantWrites(1);
    await expect(refreshConnection(services, scope, logs.logger, { force: true })).rejects.toThrow('secret backend unavailable');
    // The refresh intent stays for the reconciler; the old refresh token is spent at the provider.
    expect(await db.sql("select operation from connection_intents where tenant_id = $1", [scope.tenantId])).toEqual([{ operation: 'refresh' }]);
    const outcome = await refreshConnection(services, scope, logs.logger, { force: true });
    expect(outcome).toMatchObject({ refreshed: false, health: 'needs_reconnect' });
    expect(await installation(scope.tenantId)).toMatchObject({ health: 'needs_reconnect', health_reason: 'invalid_grant' });
    expect(await events(scope.tenantId)).toContainEqual({ action: 'needs_reconnect', detail: 'invalid_grant' });
  });
});
