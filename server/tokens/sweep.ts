/**
 * The proactive side of the lifecycle: every TOKEN_REFRESH_SWEEP_SECONDS each worker takes due
 * connections in small batches (FOR UPDATE SKIP LOCKED, so instances never take the same one)
 * and refreshes them before they expire, or checks tokens without an expiry once per
 * TOKEN_VERIFY_INTERVAL_HOURS. A taken connection is leased, not locked: if the sweeper dies,
 * the lease runs out (TOKEN_REFRESH_LEASE_SECONDS) and another instance takes it.
 */
import type { ConnectorId } from '../connectors/registry.js';
import { isConnectorId } from '../connectors/registry.js';
import type { Logger } from '../logger.js';
import type { AppServices } from '../services.js';
import { refreshConnection } from './refresh.js';
import { verifyConnection } from './verify.js';

const BATCH = 10;

export interface SweepReport {
  claimed: number;
  refreshed: number;
  verified: number;
  failed: number;
}

interface Claimed {
  id: string;
  tenant_id: string;
  type: string;
  expires_at: Date | null;
}

/** Leases up to `limit` due connections to this sweeper. */
export async function claimDue(services: AppServices, limit = BATCH): Promise<Claimed[]> {
  const { env } = services;
  return services.orm.em.getConnection().execute<Claimed[]>(
    `update connector_installations set lease_until = now() + make_interval(secs => ?)
      where id in (
        select id from connector_installations
         where status = 'active' and health <> 'needs_reconnect'
           and (lease_until is null or lease_until < now())
           and (next_attempt_at is null or next_attempt_at <= now())
           and ((expires_at is not null and expires_at <= now() + make_interval(secs => ?))
             or (expires_at is null and (verified_at is null or verified_at <= now() - make_interval(secs => ?))))
         order by coalesce(expires_at, verified_at) nulls first
         limit ?
         for update skip locked)
      returning id, tenant_id, type, expires_at`,
    [env.TOKEN_REFRESH_LEASE_SECONDS, env.TOKEN_REFRESH_MARGIN_SECONDS, Math.round(env.TOKEN_VERIFY_INTERVAL_HOURS * 3600), limit],
  );
}

/** One pass: batches until nothing is due. Each connection's own failure is recorded on it, never thrown. */
export async function sweepOnce(services: AppServices, log: Logger): Promise<SweepReport> {
  const report: SweepReport = { claimed: 0, refreshed: 0, verified: 0, failed: 0 };
  for (;;) {
    const batch = await claimDue(services);
    if (!batch.length) break;
    report.claimed += batch.length;
    for (const row of batch) {
      if (!isConnectorId(row.type)) continue;
      const scope = { tenantId: row.tenant_id, connector: row.type as ConnectorId };
      try {
        if (row.expires_at) {
          const outcome = await refreshConnection(services, scope, log);
          if (outcome.refreshed) report.refreshed += 1;
          else if (outcome.skipped === 'failed') report.failed += 1;
        } else {
          const health = await verifyConnection(services, scope, log);
          report[health === 'healthy' ? 'verified' : 'failed'] += 1;
        }
      } catch (error) {
        report.failed += 1;
        log.error({ err: error, ...scope }, 'refreshing a connection failed; it is retried when its lease ends');
        continue;
      }
      await services.orm.em.getConnection().execute('update connector_installations set lease_until = null where id = ?', [row.id]);
    }
  }
  if (report.claimed) log.info(report, 'token sweep');
  return report;
}

/** Runs sweeps until stopped; a pass that fails is logged and the next one runs on time. */
export function startSweeper(services: AppServices): { stop(): Promise<void> } {
  const log = services.logger.child({ component: 'token-sweep' });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = sweepOnce(services, log)
      .catch((error: unknown) => log.error({ err: error }, 'token sweep failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, services.env.TOKEN_REFRESH_SWEEP_SECONDS * 1000);
      });
  };
  tick();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
