import { defineEntity, type InferEntity } from '@mikro-orm/core';
import type { ConnectorId } from '../../server/connectors/registry.js';
import { Session } from './session.js';
import { Tenant } from './tenant.js';
import { User } from './user.js';

const p = defineEntity.properties;

/**
 * A pending OAuth authorization. Only the SHA-256 of the state travels to the database; the
 * row binds it to the tenant, user and session that started it and is deleted when used.
 */
export const OAuthState = defineEntity({
  name: 'OAuthState',
  tableName: 'oauth_states',
  properties: {
    id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
    stateHash: p.string().length(64).unique(),
    connector: p.string().length(64).$type<ConnectorId>(),
    tenant: p.manyToOne(Tenant).ref().deleteRule('cascade'),
    user: p.manyToOne(User).ref().deleteRule('cascade'),
    session: p.manyToOne(Session).ref().deleteRule('cascade'),
    createdAt: p.datetime().onCreate(() => new Date()),
    expiresAt: p.datetime().index(),
    /** The connection settings validated at Connect, so the callback uses the same endpoints. Not secret. */
    settings: p.json<Record<string, string>>().nullable(),
  },
});
export type OAuthState = InferEntity<typeof OAuthState>;
