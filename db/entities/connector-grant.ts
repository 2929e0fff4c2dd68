import { defineEntity, type InferEntity } from '@mikro-orm/core';
import type { ConnectorId } from '../../server/connectors/registry.js';
import { baseProperties } from './base.js';
import { Tenant } from './tenant.js';

const p = defineEntity.properties;

/**
 * The life of a grant, from the moment a provider issued it:
 * - `pending`: received and being stored; not yet the connection's grant (an intent).
 * - `active`: the connection's one live grant (the installation points at it).
 * - `revoking`: unwanted; a `revoke_grant` job holds it until the provider confirms.
 * - `revoked`: the provider confirmed (or the provider cannot revoke: `discarded`).
 * - `failed`: revocation gave up after its retry window; an event says so.
 */
export const GRANT_STATUSES = ['pending', 'active', 'revoking', 'revoked', 'discarded', 'failed'] as const;
export type GrantStatus = (typeof GRANT_STATUSES)[number];

/**
 * The ledger of every grant Plugboard received. Its token lives only in the secret backend,
 * under the grant's own key (`secretKey`), from receipt until the provider confirms revocation;
 * the connection's access-token key holds a copy of the active grant's token.
 */
export const ConnectorGrant = defineEntity({
  name: 'ConnectorGrant',
  tableName: 'connector_grants',
  properties: {
    ...baseProperties,
    tenant: p.manyToOne(Tenant).ref().deleteRule('cascade'),
    connector: p.string().length(64).$type<ConnectorId>(),
    status: p.enum([...GRANT_STATUSES]),
    /** Secret-backend key holding this grant's token (never the token itself). */
    secretKey: p.string().length(128),
    externalAccountId: p.string().length(255).nullable(),
    externalAccountName: p.string().length(255).nullable(),
    revokeAttempts: p.integer().default(0),
    /** A safe reason for the last failed revocation attempt (never a provider body). */
    lastError: p.string().length(255).nullable(),
    revokeRequestedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
    /** The connection settings the grant was issued under (its region): revoking it uses them. */
    settings: p.json<Record<string, string>>().nullable(),
  },
  indexes: [
    { properties: ['tenant', 'connector', 'status'], name: 'connector_grants_tenant_connector_status_index' },
    { properties: ['status', 'updatedAt'], name: 'connector_grants_status_updated_index' },
  ],
});
export type ConnectorGrant = InferEntity<typeof ConnectorGrant>;
