/**
 * The operator's view of invariant I1 and of everything still in flight: `npm run cli --
 * check:integrity`. It reads each installation's access-token key and its active grant's key, so
 * it costs two secret-backend reads per active connection; narrow it with a tenant.
 */
import { ConnectionIntent, ConnectorGrant, ConnectorInstallation } from '../../db/entities/index.js';
import type { AppServices } from '../services.js';
import { storageKeys } from './keys.js';

export interface IntegrityViolation {
  tenantId: string;
  connector: string;
  problem: string;
}

export interface PendingItem {
  kind: 'intent' | 'grant';
  tenantId: string;
  connector: string;
  /** Intent: its operation. Grant: its status (pending, revoking or failed). */
  state: string;
  id: string;
  ageSeconds: number;
  attempts?: number;
  lastError?: string | null;
}

export interface IntegrityReport {
  violations: IntegrityViolation[];
  pending: PendingItem[];
}

const age = (since: Date) => Math.max(0, Math.round((Date.now() - since.getTime()) / 1000));

export async function checkIntegrity(services: AppServices, options: { tenantId?: string } = {}): Promise<IntegrityReport> {
  const em = services.orm.em.fork();
  const tenantFilter = options.tenantId ? { tenant: options.tenantId } : {};
  const violations: IntegrityViolation[] = [];
  const installations = await em.find(ConnectorInstallation, tenantFilter, { populate: ['grant'], orderBy: { createdAt: 'asc' } });

  for (const row of installations) {
    const at = { tenantId: row.tenant.id, connector: row.type };
    const add = (problem: string) => violations.push({ ...at, problem });
    const keys = storageKeys(row.type);
    let stored;
    try {
      stored = await services.secrets.get(at.tenantId, keys.accessToken);
    } catch {
      add(`the access-token key ${keys.accessToken} cannot be read`);
      continue;
    }
    if (row.status !== 'active') {
      if (stored) add(`disconnected, but ${keys.accessToken} still holds a token`);
      continue;
    }
    if (!row.keySynced) add(`${keys.accessToken} is not confirmed yet (a write had no answer; repair queued)`);
    const grant = row.grant?.getEntity();
    if (!grant) {
      add('active, but no grant is recorded (connected before the grant ledger; adopted at the next change)');
      if (!stored) add(`active, but ${keys.accessToken} is empty`);
      continue;
    }
    if (grant.status !== 'active') add(`active, but its grant is ${grant.status}`);
    if (!stored) {
      add(`active, but ${keys.accessToken} is empty`);
      continue;
    }
    const held = await services.secrets.getGrantToken(at.tenantId, grant.secretKey).catch(() => undefined);
    if (held === undefined) add(`the active grant's key ${grant.secretKey} cannot be read`);
    else if (!held) add(`the active grant's key ${grant.secretKey} is empty`);
    else if (!held.equals(stored)) add(`${keys.accessToken} does not hold the active grant's token`);
  }

  const activeGrants = await em.find(ConnectorGrant, { ...tenantFilter, status: 'active' });
  const held = new Set(installations.filter((i) => i.status === 'active').map((i) => i.grant?.id));
  for (const grant of activeGrants) {
    if (!held.has(grant.id)) {
      violations.push({ tenantId: grant.tenant.id, connector: grant.connector, problem: `grant ${grant.id} is marked active but no installation holds it` });
    }
  }

  const pending: PendingItem[] = [];
  for (const intent of await em.find(ConnectionIntent, tenantFilter, { orderBy: { createdAt: 'asc' } })) {
    pending.push({
      kind: 'intent',
      tenantId: intent.tenant.id,
      connector: intent.connector,
      state: intent.operation,
      id: intent.id,
      ageSeconds: age(intent.createdAt),
    });
  }
  const unsettled = await em.find(
    ConnectorGrant,
    { ...tenantFilter, status: { $in: ['pending', 'revoking', 'failed'] } },
    { orderBy: { createdAt: 'asc' } },
  );
  for (const grant of unsettled) {
    pending.push({
      kind: 'grant',
      tenantId: grant.tenant.id,
      connector: grant.connector,
      state: grant.status,
      id: grant.id,
      ageSeconds: age(grant.createdAt),
      attempts: grant.revokeAttempts,
      lastError: grant.lastError ?? null,
    });
  }
  return { violations, pending };
}
