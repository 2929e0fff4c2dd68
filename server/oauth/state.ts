import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { OAuthState } from '../../db/entities/index.js';
import type { ConnectorId } from '../connectors/registry.js';

export const STATE_TTL_MS = 10 * 60 * 1000;

export type StateRejection = 'state_unknown' | 'state_expired' | 'state_mismatch';

export class OAuthStateError extends Error {
  override readonly name = 'OAuthStateError';
  constructor(readonly reason: StateRejection) {
    super(
      reason === 'state_expired'
        ? 'This connection attempt expired. Please start again.'
        : 'This connection attempt is not valid. Please start again.',
    );
  }
}

export interface StateOwner {
  tenantId: string;
  userId: string;
  sessionId: string;
  connector: ConnectorId;
}

const hash = (state: string) => createHash('sha256').update(state, 'utf8').digest('hex');

/** 256 random bits; only the hash is stored. Expired states are swept on the way. */
export async function issueState(
  em: EntityManager,
  owner: StateOwner,
  now = new Date(),
  settings: Readonly<Record<string, string>> | null = null,
): Promise<string> {
  const state = randomBytes(32).toString('base64url');
  await em.nativeDelete(OAuthState, { expiresAt: { $lt: now } });
  em.create(OAuthState, {
    stateHash: hash(state),
    connector: owner.connector,
    tenant: owner.tenantId,
    user: owner.userId,
    session: owner.sessionId,
    createdAt: now,
    expiresAt: new Date(now.getTime() + STATE_TTL_MS),
    settings: settings ? { ...settings } : null,
  });
  await em.flush();
  return state;
}

/**
 * Consumes a state exactly once: one DELETE ... RETURNING that matches the hash, the owner
 * and the expiry, so two concurrent callbacks cannot both succeed. A state that does not
 * match its owner is left alone (a stranger cannot burn someone else's attempt); the reason
 * is worked out afterwards only to choose the message. Returns the connection settings the
 * attempt started with (null when it had none).
 */
export async function consumeState(
  em: EntityManager,
  state: string,
  owner: StateOwner,
  now = new Date(),
): Promise<Record<string, string> | null> {
  const stateHash = hash(state);
  const deleted = await em
    .getConnection()
    .execute<{ id: string; settings: Record<string, string> | null }[]>(
      `delete from oauth_states
        where state_hash = ? and tenant_id = ? and user_id = ? and session_id = ? and connector = ? and expires_at > ?
        returning id, settings`,
      [stateHash, owner.tenantId, owner.userId, owner.sessionId, owner.connector, now],
    );
  if (deleted.length === 1) return deleted[0]?.settings ?? null;

  const row = await em.findOne(OAuthState, { stateHash });
  if (!row) throw new OAuthStateError('state_unknown');
  if (row.expiresAt <= now) {
    await em.nativeDelete(OAuthState, { id: row.id });
    throw new OAuthStateError('state_expired');
  }
  throw new OAuthStateError('state_mismatch');
}

/**
 * Adds values to a live state's row (an OAuth 1.0a attempt's sealed request token, known only
 * after the state went into the callback URL). Consumed and swept with the state.
 */
export async function bindToState(em: EntityManager, state: string, settings: Readonly<Record<string, string>>): Promise<void> {
  const updated = await em.nativeUpdate(OAuthState, { stateHash: hash(state) }, { settings: { ...settings } });
  if (updated !== 1) throw new OAuthStateError('state_unknown');
}
