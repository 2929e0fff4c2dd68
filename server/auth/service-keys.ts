/**
 * Service keys: what a backend service presents to the token API (`Authorization: Bearer pbk_...`).
 * Design: docs/decisions/015-service-keys-and-token-api.md.
 *
 * A key is `pbk_` + 32 random bytes (base64url). Only its SHA-256 is stored: 256 random bits
 * cannot be guessed, so a slow hash would buy nothing and cost every request. A request is
 * checked by looking the hash up through a unique index; no stored value is ever compared with
 * what the client sent, so the check takes no time that depends on how much of a key was right.
 */
import { createHash, randomBytes } from 'node:crypto';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { ServiceKey } from '../../db/entities/index.js';
import { SecretValue } from '../secrets/secret-value.js';
import { leanExecute, leanQuery, type LeanStatement } from '../../db/lean.js';
import type { Orm } from '../../db/orm.js';

export const SERVICE_KEY_MARKER = 'pbk_';
/** `pbk_` and the first 8 characters of the random part: tells keys apart, guesses nothing. */
export const SERVICE_KEY_PREFIX_LENGTH = SERVICE_KEY_MARKER.length + 8;
const KEY_SHAPE = /^pbk_[A-Za-z0-9_-]{43}$/;
const NAME_SHAPE = /^[a-z0-9][a-z0-9._-]*$/;
export const SERVICE_KEY_NAME_MAX = 64;
/** lastUsedAt is written at most this often per key: a busy key must not write on every request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** The operator's mistake (a bad or duplicate name, an unknown key): a message to show as is. */
export class ServiceKeyError extends Error {
  override readonly name = 'ServiceKeyError';
}

export interface ServiceKeySummary {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** An authenticated caller of the token API. */
export interface ServiceCaller {
  id: string;
  name: string;
}

export function hashServiceKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function validateServiceKeyName(name: string): string {
  if (name.length < 1 || name.length > SERVICE_KEY_NAME_MAX || !NAME_SHAPE.test(name)) {
    throw new ServiceKeyError(
      `Invalid service key name "${name.slice(0, SERVICE_KEY_NAME_MAX)}": 1 to ${SERVICE_KEY_NAME_MAX} characters, lower-case letters, digits, ".", "_" or "-", starting with a letter or digit.`,
    );
  }
  return name;
}

const summary = (k: ServiceKey): ServiceKeySummary => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  createdAt: k.createdAt,
  lastUsedAt: k.lastUsedAt ?? null,
  revokedAt: k.revokedAt ?? null,
});

/** Creates a key. The returned `key` exists nowhere else: it cannot be shown again. */
export async function createServiceKey(em: EntityManager, name: string): Promise<ServiceKeySummary & { key: SecretValue }> {
  validateServiceKeyName(name);
  const key = `${SERVICE_KEY_MARKER}${randomBytes(32).toString('base64url')}`;
  const row = em.create(ServiceKey, { name, keyHash: hashServiceKey(key), prefix: key.slice(0, SERVICE_KEY_PREFIX_LENGTH) });
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw new ServiceKeyError(`A service key named "${name}" already exists (revoked keys keep their name); choose another name.`);
    }
    throw error;
  }
  return { ...summary(row), key: new SecretValue(key) };
}

export async function listServiceKeys(em: EntityManager): Promise<ServiceKeySummary[]> {
  const rows = await em.find(ServiceKey, {}, { orderBy: { createdAt: 'asc', name: 'asc' } });
  return rows.map(summary);
}

/** Revokes the key named `name` at once; revoking a revoked key changes nothing. */
export async function revokeServiceKey(em: EntityManager, name: string): Promise<ServiceKeySummary & { alreadyRevoked: boolean }> {
  const row = await em.findOne(ServiceKey, { name });
  if (!row) throw new ServiceKeyError(`No service key named "${name}".`);
  const alreadyRevoked = Boolean(row.revokedAt);
  if (!alreadyRevoked) {
    row.revokedAt = new Date();
    await em.flush();
  }
  return { ...summary(row), alreadyRevoked };
}

/** The key in an `Authorization: Bearer <key>` header, or null when the header is anything else. */
export function bearerKey(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  const key = match?.[1];
  return key && KEY_SHAPE.test(key) ? key : null;
}

const KEY_BY_HASH: LeanStatement = {
  name: 'service_key_by_hash',
  text: 'select id, name, revoked_at, last_used_at from service_keys where key_hash = $1',
};

const MARK_USED: LeanStatement = {
  name: 'service_key_mark_used',
  text: 'update service_keys set last_used_at = $2 where id = $1 and (last_used_at is null or last_used_at <= $3)',
};

/**
 * The caller a request's Authorization header names, or null for a missing, malformed, unknown
 * or revoked key (the token API answers all of them alike). Every token API request asks, so it
 * is one plain-row query (db/lean.ts). Marks the key used, at most once a minute: the
 * conditional update makes concurrent requests write once.
 */
export async function authenticateServiceKey(orm: Orm, header: string | undefined, now = new Date()): Promise<ServiceCaller | null> {
  const key = bearerKey(header);
  if (!key) return null;
  const [row] = await leanQuery<{ id: string; name: string; revoked_at: Date | null; last_used_at: Date | null }>(orm, KEY_BY_HASH, [
    hashServiceKey(key),
  ]);
  if (!row || row.revoked_at) return null;
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() >= LAST_USED_RESOLUTION_MS) {
    await leanExecute(orm, MARK_USED, [row.id, now, new Date(now.getTime() - LAST_USED_RESOLUTION_MS)]);
  }
  return { id: row.id, name: row.name };
}
