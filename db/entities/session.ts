import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { baseProperties } from './base.js';
import { Tenant } from './tenant.js';
import { User } from './user.js';

const p = defineEntity.properties;

/**
 * Server-side sessions: the cookie holds a random token, the table its SHA-256, so a
 * database leak yields no usable cookie and a session can be revoked by deleting its row.
 */
export const Session = defineEntity({
  name: 'Session',
  tableName: 'sessions',
  properties: {
    ...baseProperties,
    tokenHash: p.string().length(64).unique(),
    user: p.manyToOne(User).ref().deleteRule('cascade'),
    tenant: p.manyToOne(Tenant).ref().deleteRule('cascade'),
    expiresAt: p.datetime().index(),
    /**
     * Last use, for the idle timeout. Set by the database on insert; refreshed at most every
     * few minutes (server/auth/sessions.ts), so reading a session rarely writes.
     */
    lastSeenAt: p.datetime().defaultRaw('current_timestamp'),
  },
});
export type Session = InferEntity<typeof Session>;
