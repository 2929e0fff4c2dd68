import { defineEntity, type InferEntity } from '@mikro-orm/core';
import type { ConnectorId } from '../../server/connectors/registry.js';
import { ConnectorGrant } from './connector-grant.js';
import { Tenant } from './tenant.js';

const p = defineEntity.properties;

export const INTENT_OPERATIONS = ['activate', 'disconnect', 'refresh'] as const;
export type IntentOperation = (typeof INTENT_OPERATIONS)[number];

/**
 * Written and committed, under the connection lock, before the connection's access-token key is
 * changed in the secret backend; deleted by the commit that records the change. One that
 * outlives its lock belongs to an operation that died or failed halfway: the reconciler puts
 * the key back in line with the database (server/connections/reconciler.ts).
 */
export const ConnectionIntent = defineEntity({
  name: 'ConnectionIntent',
  tableName: 'connection_intents',
  properties: {
    id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
    tenant: p.manyToOne(Tenant).ref().deleteRule('cascade'),
    connector: p.string().length(64).$type<ConnectorId>(),
    operation: p.enum([...INTENT_OPERATIONS]),
    grant: p.manyToOne(ConnectorGrant).ref().nullable().deleteRule('cascade'),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  indexes: [{ properties: ['tenant', 'connector'], name: 'connection_intents_tenant_connector_index' }],
});
export type ConnectionIntent = InferEntity<typeof ConnectionIntent>;
