/**
 * A connection's health (docs/decisions/014-token-lifecycle.md):
 *
 *   healthy ──(timeout, 5xx, 429, network)──▶ refresh_failing ──(back-off, retry)──▶ healthy
 *      │                                            │
 *      └──(invalid_grant, revoked, identity rejected)──▶ needs_reconnect ──(reconnect)──▶ healthy
 *
 * Every change of state is an event on the connector's activity list, with Plugboard as the
 * actor and a reason that is a code, never a provider's text.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConnectorEvent, type ConnectorInstallation } from '../../db/entities/index.js';
import type { ConnectionHealth } from '../../db/entities/connector-installation.js';
import { ProviderError } from '../oauth/provider-error.js';

/** What a failed refresh or check means for the connection. */
export interface FailureVerdict {
  health: Exclude<ConnectionHealth, 'healthy'>;
  /** A code: `invalid_grant`, `identity_rejected`, `timeout`, `network`, `http_503`, `rate_limited`, ... */
  reason: string;
}

/**
 * Only the provider's refusal of the grant itself needs a person; anything that may pass
 * (and our own configuration: `invalid_client`) is retried.
 */
export function judgeFailure(error: unknown): FailureVerdict {
  if (!(error instanceof ProviderError)) return { health: 'refresh_failing', reason: 'internal_error' };
  if (error.failure === 'timeout' || error.failure === 'network' || error.failure === 'malformed_response') {
    return { health: 'refresh_failing', reason: error.failure };
  }
  const status = error.status ?? 0;
  if (status === 429) return { health: 'refresh_failing', reason: 'rate_limited' };
  if (status >= 500) return { health: 'refresh_failing', reason: `http_${status}` };
  if (error.oauthError === 'invalid_client' || error.oauthError === 'unauthorized_client') {
    return { health: 'refresh_failing', reason: error.oauthError };
  }
  if (error.step === 'identify' && (status === 401 || status === 403)) return { health: 'needs_reconnect', reason: 'identity_rejected' };
  // RFC 6749 §5.2: invalid_grant is a refresh token that is expired, revoked or already used.
  if (error.oauthError) return { health: 'needs_reconnect', reason: error.oauthError };
  if (status >= 400) return { health: 'needs_reconnect', reason: `http_${status}` };
  return { health: 'refresh_failing', reason: 'unexpected_answer' };
}

/** Wait before the next attempt after `failures` in a row: base · 2^(n-1), at most an hour, ±10 %. */
export function backoffMs(baseSeconds: number, failures: number, random: () => number = Math.random): number {
  const seconds = Math.min(baseSeconds * 2 ** Math.max(0, failures - 1), 3600);
  return Math.round(seconds * 1000 * (0.9 + 0.2 * random()));
}

/** Sets the health in the caller's transaction; a change of state is recorded as an event. */
export function recordHealth(
  tx: EntityManager,
  installation: ConnectorInstallation,
  health: ConnectionHealth,
  reason: string | null,
): void {
  const changed = installation.health !== health;
  tx.assign(installation, {
    health,
    healthReason: health === 'healthy' ? null : reason,
    ...(changed ? { healthChangedAt: new Date() } : {}),
  });
  if (!changed) return;
  tx.create(ConnectorEvent, {
    tenant: installation.tenant.id,
    connector: installation.type,
    action: health === 'healthy' ? 'recovered' : health,
    actor: null,
    actorEmail: 'Plugboard',
    externalAccountName: installation.externalAccountName ?? null,
    detail: reason,
  });
}

/** A failure in the caller's transaction: the verdict's health, the count, and the next attempt. */
export function recordFailure(tx: EntityManager, installation: ConnectorInstallation, verdict: FailureVerdict, retryBaseSeconds: number): void {
  const failures = installation.failures + 1;
  tx.assign(installation, {
    failures,
    nextAttemptAt: verdict.health === 'refresh_failing' ? new Date(Date.now() + backoffMs(retryBaseSeconds, failures)) : null,
  });
  recordHealth(tx, installation, verdict.health, verdict.reason);
}
