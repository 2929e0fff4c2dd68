/**
 * The `revoke_grant` job: revokes one unwanted grant at its provider, then deletes its token.
 * Retries back off from REVOKE_RETRY_BASE_SECONDS, doubling up to six hours, until
 * REVOKE_RETRY_WINDOW_SECONDS (48 h by default) have passed since the revocation was asked for;
 * giving up is an event on the connector's activity list. Safe to run twice: a grant that is no
 * longer `revoking` is left alone.
 */
import { ConnectorGrant } from '../../db/entities/index.js';
import { recordSystemEvent } from '../connections/grants.js';
import { enqueue } from '../jobs/queue.js';
import type { AppServices } from '../services.js';
import { grantRefreshKey } from '../secrets/secret-store.js';
import { ProviderError } from './provider-error.js';
import { revokeAtProvider } from './revoke.js';

const MAX_DELAY_SECONDS = 6 * 3600;

export function revokeRetryDelaySeconds(base: number, attempts: number): number {
  return Math.min(MAX_DELAY_SECONDS, base * 2 ** Math.max(0, attempts - 1));
}

/**
 * One revocation per grant at a time, across every worker: a transaction-scoped advisory lock
 * claims the grant for the length of the attempt (one provider call, bounded by its timeout).
 * A second job for the same grant (a re-queue racing the original) finds it claimed and stops;
 * if it runs later it finds the grant settled.
 */
export async function runRevokeGrant(services: AppServices, payload: { grantId: string }): Promise<void> {
  await services.orm.em.fork().transactional(async (claim) => {
    const [row] = await claim.execute<{ claimed: boolean }[]>(
      'select pg_try_advisory_xact_lock(hashtextextended(?, 0)) as claimed',
      [`plugboard:revoke:${payload.grantId}`],
    );
    if (row?.claimed) await attemptRevocation(services, payload.grantId);
  });
}

async function attemptRevocation(services: AppServices, grantId: string): Promise<void> {
  const { orm, secrets, logger, env } = services;
  const em = orm.em.fork();
  const grant = await em.findOne(ConnectorGrant, { id: grantId });
  if (!grant || grant.status !== 'revoking') return;
  const scope = { tenantId: grant.tenant.id, connector: grant.connector };
  const log = logger.child({ job: 'revoke_grant', grantId: grant.id, ...scope });

  try {
    const token = await secrets.getGrantToken(scope.tenantId, grant.secretKey);
    if (!token) {
      // Never stored (its write failed and so did the immediate revoke): nothing left to try.
      await em.transactional(async (tx) => {
        tx.assign(grant, { status: 'failed', lastError: 'token_missing', finishedAt: new Date() });
        recordSystemEvent(tx, scope, 'revocation_failed', grant.externalAccountName ?? null);
      });
      log.error('a grant to revoke has no stored token; recorded as failed');
      return;
    }
    const refreshToken = await secrets.getGrantToken(scope.tenantId, grantRefreshKey(grant.secretKey));
    const outcome = await revokeAtProvider(services, scope.connector, token, refreshToken, grant.settings ?? null);
    em.assign(grant, {
      status: outcome === 'not_supported' ? 'discarded' : 'revoked',
      finishedAt: new Date(),
      lastError: null,
    });
    await em.flush();
    // The grant is settled; a token left behind by a failed delete is dead and harmless.
    await secrets.deleteGrantToken(scope.tenantId, grant.secretKey).catch((error: unknown) => {
      log.warn({ err: error }, 'deleting a revoked grant token failed');
    });
    log.info({ outcome }, 'grant revoked');
  } catch (error) {
    const attempts = grant.revokeAttempts + 1;
    const reason =
      error instanceof ProviderError
        ? error.failure === 'http_status'
          ? `provider_http_${error.status}`
          : `provider_${error.failure}`
        : error instanceof Error
          ? error.name
          : 'unknown';
    const requested = (grant.revokeRequestedAt ?? grant.updatedAt).getTime();
    const delay = revokeRetryDelaySeconds(env.REVOKE_RETRY_BASE_SECONDS, attempts);
    const giveUp = Date.now() + delay * 1000 - requested > env.REVOKE_RETRY_WINDOW_SECONDS * 1000;
    await em.transactional(async (tx) => {
      const row = await tx.findOneOrFail(ConnectorGrant, { id: grant.id });
      if (row.status !== 'revoking') return;
      tx.assign(row, { revokeAttempts: attempts, lastError: reason.slice(0, 255) });
      if (giveUp) {
        tx.assign(row, { status: 'failed', finishedAt: new Date() });
        recordSystemEvent(tx, scope, 'revocation_failed', row.externalAccountName ?? null);
      } else {
        await enqueue(tx, 'revoke_grant', { grantId: row.id }, {
          runAt: new Date(Date.now() + delay * 1000),
          jobKey: `revoke_grant:${row.id}`,
        });
      }
    });
    if (giveUp) log.error({ err: error, attempts }, 'revoking a grant gave up after its retry window');
    else log.warn({ err: error, attempts, retryInSeconds: delay }, 'revoking a grant failed; will retry');
  }
}
