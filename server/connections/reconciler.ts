/**
 * The `reconcile` job: finds connections whose state an operation left unfinished and repairs
 * them (repair.ts). It runs at start and then every RECONCILE_INTERVAL_SECONDS, on whichever
 * instance picks the job up. What it looks for:
 * - intents that outlived their operation (the process died, or a commit and its undo failed);
 * - installations whose access-token key is not confirmed (a write whose answer never came);
 * - grants pending longer than PENDING_GRANT_TIMEOUT_SECONDS (received, never activated);
 * - `revoking` grants with no job queued (their job must never be lost);
 * - on a full pass (the first after start): tokens in the secret backend for disconnected
 *   installations.
 * A connection being changed right now is skipped (its lock is held) and seen next time.
 */
import { AccountChoice, ConnectionIntent, ConnectorGrant, ConnectorInstallation } from '../../db/entities/index.js';
import type { ConnectorId } from '../connectors/registry.js';
import { enqueue } from '../jobs/queue.js';
import type { AppServices } from '../services.js';
import { storageKeys } from './keys.js';
import { repairConnection } from './repair.js';

export interface ReconcileReport {
  checked: number;
  repaired: number;
  busy: number;
  failed: number;
  requeued: number;
}

export async function reconcile(services: AppServices, options: { full?: boolean } = {}): Promise<ReconcileReport> {
  const { orm, env, logger } = services;
  const log = logger.child({ job: 'reconcile' });
  const em = orm.em.fork();
  const targets = new Map<string, { tenantId: string; connector: ConnectorId }>();
  const add = (tenantId: string, connector: ConnectorId) => targets.set(`${tenantId}/${connector}`, { tenantId, connector });

  for (const intent of await em.find(ConnectionIntent, {})) add(intent.tenant.id, intent.connector);
  for (const row of await em.find(ConnectorInstallation, { keySynced: false })) add(row.tenant.id, row.type);
  const staleBefore = new Date(Date.now() - env.PENDING_GRANT_TIMEOUT_SECONDS * 1000);
  for (const grant of await em.find(ConnectorGrant, { status: 'pending', createdAt: { $lt: staleBefore } })) {
    add(grant.tenant.id, grant.connector);
  }
  if (options.full) {
    const disconnected = await em.find(ConnectorInstallation, { status: 'disconnected' });
    for (const row of disconnected) {
      const keys = storageKeys(row.type);
      const present = await services.secrets.backend.describe(row.tenant.id, [keys.accessToken]).catch(() => new Map());
      if (present.size) add(row.tenant.id, row.type);
    }
  }

  // Choices after consent nobody made: their grants are given up by the pending timeout above.
  await em.nativeDelete(AccountChoice, { expiresAt: { $lt: new Date() } });

  const report: ReconcileReport = { checked: targets.size, repaired: 0, busy: 0, failed: 0, requeued: 0 };
  for (const scope of targets.values()) {
    try {
      const outcome = await repairConnection(services, scope, log, { tryOnly: true });
      report[outcome === 'busy' ? 'busy' : 'repaired'] += 1;
    } catch (error) {
      report.failed += 1;
      log.error({ err: error, ...scope }, 'repairing a connection failed; will retry next pass');
    }
  }

  // A revocation must never lose its job: re-queue any that has none (the key keeps one per grant).
  const orphaned = await em.getConnection().execute<{ id: string }[]>(
    `select g.id from connector_grants g
      where g.status = 'revoking'
        and not exists (select 1 from graphile_worker.jobs j where j.key = 'revoke_grant:' || g.id)`,
  );
  for (const { id } of orphaned) {
    await enqueue(em, 'revoke_grant', { grantId: id }, { jobKey: `revoke_grant:${id}`, jobKeyMode: 'preserve_run_at' });
    report.requeued += 1;
  }
  if (report.repaired || report.failed || report.requeued) log.warn(report, 'reconcile pass');
  else log.debug(report, 'reconcile pass');
  return report;
}
