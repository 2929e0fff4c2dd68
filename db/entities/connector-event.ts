import { defineEntity, type InferEntity } from '@mikro-orm/core';
import type { ConnectorId } from '../../server/connectors/registry.js';
import { Tenant } from './tenant.js';
import { User } from './user.js';

const p = defineEntity.properties;

export const CONNECTOR_EVENT_ACTIONS = [
  'connected',
  'reconnected',
  'disconnected',
  'revocation_failed',
  // Health transitions (server/tokens/health.ts), with Plugboard as the actor.
  'refresh_failing',
  'needs_reconnect',
  'recovered',
] as const;
export type ConnectorEventAction = (typeof CONNECTOR_EVENT_ACTIONS)[number];

/**
 * The audit trail shown on a connector's page: who connected or disconnected, and when; and
 * what Plugboard itself could not finish (`revocation_failed`, actor null); and each change of
 * the connection's health (`refresh_failing`, `needs_reconnect`, `recovered`, actor null).
 */
export const ConnectorEvent = defineEntity({
  name: 'ConnectorEvent',
  tableName: 'connector_events',
  properties: {
    id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
    tenant: p.manyToOne(Tenant).ref().deleteRule('cascade'),
    connector: p.string().length(64).$type<ConnectorId>(),
    action: p.enum([...CONNECTOR_EVENT_ACTIONS]),
    actor: p.manyToOne(User).ref().nullable().deleteRule('set null'),
    /** Kept when the user is deleted, so the trail still says who. */
    actorEmail: p.string().length(320),
    externalAccountName: p.string().length(255).nullable(),
    /** For health transitions: the safe reason (`invalid_grant`, `timeout`, `http_503`). */
    detail: p.string().length(255).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  indexes: [{ properties: ['tenant', 'connector', 'createdAt'], name: 'connector_events_tenant_connector_created_index' }],
});
export type ConnectorEvent = InferEntity<typeof ConnectorEvent>;
