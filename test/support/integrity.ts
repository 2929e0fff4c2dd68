/**
 * The at-rest integrity check for OAuth connections, the property every race, timeout and crash
 * test ends with. For each tenant and connector:
 *
 * - I1: the installation is active ⇔ its access token is in the secret backend ⇔ that token is
 *   the one live grant Plugboard holds for it (and the non-sensitive token type goes with it).
 * - I2: every grant the provider issued to Plugboard is held (I1), revoked at the provider, or
 *   queued for revocation with a durable retry.
 *
 * It reads three independent sources of truth: the database (raw SQL, not the ORM, so a cached
 * entity cannot hide a row), the secret backend's contents (the loopback SSM endpoint's store, or
 * the SecretStore), and the provider's record of every token it issued (the sandbox). Violations
 * name tokens by a short hash only: a failure message is a log too.
 */
import { createHash } from 'node:crypto';
import type { SecretStore } from '../../server/secrets/secret-store.js';
import type { SsmEndpoint } from './ssm-endpoint.js';

/** A token as the provider recorded it: `sandbox.tokens()` of the Intercom sandbox. */
export interface IssuedGrant {
  token: string;
  revoked: boolean;
}

/** Reads the access token the secret backend holds for a tenant, as plaintext; null when none. */
export type HeldTokenReader = (tenantId: string) => Promise<string | null>;

export type Query = <T extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]) => Promise<T[]>;

export interface IntegrityInput {
  sql: Query;
  /** The tenants whose connections the provider's grants belong to. */
  tenantIds: readonly string[];
  heldToken: HeldTokenReader;
  /**
   * Every grant the provider issued. The check assumes the provider served only these tenants
   * (reset the sandbox between tests), so a live grant no listed tenant holds is an orphan.
   * A function is called after the queued tokens are read: while workers run, a revocation that
   * lands between the two reads then shows as revoked, not as an orphan.
   */
  issued: readonly IssuedGrant[] | (() => readonly IssuedGrant[]);
  connector?: string;
  /** The non-sensitive key that lives and dies with the token. Default `INTERCOM_TOKEN_TYPE`. */
  tokenTypeKey?: string;
  /**
   * Tokens queued for revocation with a durable retry (I2's third way out). Today nothing queues
   * revocations; a job queue fills this in.
   */
  queuedForRevocation?: () => Promise<Iterable<string>>;
  /**
   * The token of the grant the database names as the connection's live one (the grant ledger),
   * null when none or its key is empty. When given, I1 also requires the access token to be it.
   */
  activeGrantToken?: HeldTokenReader;
}

export interface IntegrityReport {
  /** Grants live at the provider that nothing holds and nothing will revoke, as `#hash`. */
  orphans: string[];
  /** Each inconsistency between installation, secret backend, token type and provider. */
  halfStates: string[];
  /** Short hashes of the tokens the backends hold, per tenant (for messages). */
  held: Record<string, string | null>;
  live: number;
  /** Live grants nothing holds that wait for their revocation job (I2's third way out). */
  queued: number;
  revoked: number;
}

/** A token's stand-in in messages: 8 hex digits of its SHA-256. */
export function shortHash(token: string): string {
  return `#${createHash('sha256').update(token).digest('hex').slice(0, 8)}`;
}

export async function checkIntegrity(input: IntegrityInput): Promise<IntegrityReport> {
  const connector = input.connector ?? 'intercom';
  const tokenTypeKey = input.tokenTypeKey ?? 'INTERCOM_TOKEN_TYPE';
  const queued = new Set(input.queuedForRevocation ? await input.queuedForRevocation() : []);
  const issued = typeof input.issued === 'function' ? input.issued() : input.issued;
  const issuedByToken = new Map(issued.map((g) => [g.token, g]));
  const halfStates: string[] = [];
  const heldTokens = new Set<string>();
  const held: Record<string, string | null> = {};

  for (const tenantId of input.tenantIds) {
    const rows = await input.sql<{ status: string }>(
      'select status from connector_installations where tenant_id = $1 and type = $2',
      [tenantId, connector],
    );
    const typeRows = await input.sql<{ n: string }>(
      'select count(*) as n from config_values where tenant_id = $1 and key = $2',
      [tenantId, tokenTypeKey],
    );
    const token = await input.heldToken(tenantId);
    held[tenantId] = token === null ? null : shortHash(token);
    const active = rows[0]?.status === 'active';
    const status = rows[0] ? `${rows[0].status}` : 'absent';
    const hasTokenType = Number(typeRows[0]?.n ?? 0) > 0;
    const who = `tenant ${tenantId.slice(0, 8)}`;

    if (active && token === null) halfStates.push(`${who}: installation active but no access token in the secret backend`);
    if (!active && token !== null) {
      halfStates.push(`${who}: access token ${shortHash(token)} in the secret backend but the installation is ${status}`);
    }
    if (active && !hasTokenType) halfStates.push(`${who}: installation active but ${tokenTypeKey} missing`);
    if (!active && hasTokenType) halfStates.push(`${who}: ${tokenTypeKey} present but the installation is ${status}`);
    if (active && input.activeGrantToken) {
      const grantToken = await input.activeGrantToken(tenantId);
      if (grantToken === null) halfStates.push(`${who}: installation active but its grant's own key holds no token`);
      else if (token !== null && token !== grantToken) {
        halfStates.push(`${who}: access token ${shortHash(token)} is not the active grant's token ${shortHash(grantToken)}`);
      }
    }
    if (token !== null) {
      heldTokens.add(token);
      const grant = issuedByToken.get(token);
      if (!grant) halfStates.push(`${who}: held token ${shortHash(token)} was never issued by the provider`);
      else if (grant.revoked) halfStates.push(`${who}: held token ${shortHash(token)} is revoked at the provider`);
    }
  }

  const liveGrants = issued.filter((g) => !g.revoked);
  const unheld = liveGrants.filter((g) => !heldTokens.has(g.token));
  const orphans = unheld.filter((g) => !queued.has(g.token)).map((g) => shortHash(g.token));
  return {
    orphans,
    halfStates,
    held,
    live: liveGrants.length,
    queued: unheld.length - orphans.length,
    revoked: issued.length - liveGrants.length,
  };
}

/** One line for a failure message or a recorded "before" figure; never a token. */
export function describeReport(report: IntegrityReport): string {
  const lines = [
    `orphans: ${report.orphans.length}${report.orphans.length ? ` (${report.orphans.join(', ')})` : ''}`,
    `half-states: ${report.halfStates.length}`,
    ...report.halfStates.map((s) => `  - ${s}`),
    `grants: ${report.live} live (${report.queued} queued for revocation), ${report.revoked} revoked; held: ${JSON.stringify(report.held)}`,
  ];
  return lines.join('\n');
}

/** The token under `${prefix}/${tenantId}/api-key/${key}` in the loopback SSM endpoint's store. */
export function heldInSsm(endpoint: SsmEndpoint, key = 'INTERCOM_ACCESS_TOKEN', prefix = ''): HeldTokenReader {
  return (tenantId) => Promise.resolve(endpoint.parameters.get(`${prefix}/${tenantId}/api-key/${key}`)?.value ?? null);
}

/** The token as the SecretStore reads it (any backend). A read that fails fails the check. */
export function heldInSecretStore(store: SecretStore, key: 'INTERCOM_ACCESS_TOKEN' = 'INTERCOM_ACCESS_TOKEN'): HeldTokenReader {
  return async (tenantId) => (await store.get(tenantId, key))?.reveal() ?? null;
}

/**
 * I2's third way out, read the way the revocation job will read it: the tokens of these tenants'
 * grants still `revoking`, from each grant's own key in the loopback SSM endpoint's store. A
 * revoking grant whose key is empty could never be revoked, so it queues nothing.
 */
export function revokingInSsm(
  sql: Query,
  endpoint: SsmEndpoint,
  tenantIds: readonly string[],
  prefix = '',
): () => Promise<string[]> {
  return async () => {
    const rows = await sql<{ tenant_id: string; secret_key: string }>(
      `select tenant_id, secret_key from connector_grants where tenant_id = any($1::uuid[]) and status = 'revoking'`,
      [tenantIds],
    );
    return rows
      .map((r) => endpoint.parameters.get(`${prefix}/${r.tenant_id}/api-key/${r.secret_key}`)?.value)
      .filter((token): token is string => token !== undefined);
  };
}

/** The token under the own key of the grant the tenant's installation names (`activeGrantToken`). */
export function activeGrantInSsm(sql: Query, endpoint: SsmEndpoint, connector = 'intercom', prefix = ''): HeldTokenReader {
  return async (tenantId) => {
    const [row] = await sql<{ secret_key: string }>(
      `select g.secret_key from connector_installations i join connector_grants g on g.id = i.grant_id
        where i.tenant_id = $1 and i.type = $2 and i.status = 'active'`,
      [tenantId, connector],
    );
    return row ? (endpoint.parameters.get(`${prefix}/${tenantId}/api-key/${row.secret_key}`)?.value ?? null) : null;
  };
}

/** The background work that must finish before a scenario is at rest. */
export const SETTLING_TASKS = ['revoke_grant', 'repair_connection'] as const;

/**
 * Waits, up to `timeoutMs`, until the job queue holds no revocation or repair job (due now or
 * scheduled for a retry), calling `runDue` between looks: the test's own `runDueJobs` in process,
 * nothing when server processes run their own workers. Resolves with the jobs still queued when
 * it gave up (none when settled) and how long it took.
 */
export async function settleJobs(
  sql: Query,
  options: { runDue?: () => Promise<void>; timeoutMs?: number; pollMs?: number } = {},
): Promise<{ left: { task: string; key: string | null; lastError: string | null }[]; ms: number }> {
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? 30_000);
  for (;;) {
    await options.runDue?.();
    const left = await sql<{ task: string; key: string | null; lastError: string | null }>(
      `select task_identifier as task, key, last_error as "lastError" from graphile_worker.jobs
        where task_identifier = any($1::text[]) order by id`,
      [SETTLING_TASKS],
    );
    if (left.length === 0 || Date.now() >= deadline) return { left, ms: Date.now() - started };
    await new Promise((resolveWait) => setTimeout(resolveWait, options.pollMs ?? 200));
  }
}
