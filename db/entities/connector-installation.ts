import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { connectorIds, type ConnectorId } from '../../server/connectors/registry.js';
import { baseProperties } from './base.js';
import { ConnectorGrant } from './connector-grant.js';
import { Tenant } from './tenant.js';
import { User } from './user.js';

const p = defineEntity.properties;

export const INSTALLATION_STATUSES = ['active', 'disconnected'] as const;
export type InstallationStatus = (typeof INSTALLATION_STATUSES)[number];

/**
 * How an active connection is doing (server/tokens/health.ts): `refresh_failing` while
 * refreshes or checks fail for reasons that pass (timeouts, 5xx, 429; retried with back-off),
 * `needs_reconnect` once the provider refused the grant (`invalid_grant`, revoked, identity
 * rejected): only a reconnect helps.
 */
export const CONNECTION_HEALTH = ['healthy', 'refresh_failing', 'needs_reconnect'] as const;
export type ConnectionHealth = (typeof CONNECTION_HEALTH)[number];

/**
 * The CHECK constraint follows the connector registry: adding a definition changes this
 * expression, and `npm run db:migration:create` writes the migration that widens it.
 * Written as an array containment rather than `type in (...)`: MikroORM 6 reads an `in`
 * check back as an enum column, loses the constraint's name and then never sees the schema
 * as up to date (docs/decisions/002-entities-and-migrations.md).
 */
export const validConnectorTypeExpression = `array[type::text] <@ array[${[...connectorIds]
  .sort()
  .map((id) => `'${id}'`)
  .join(', ')}]::text[]`;

export const ConnectorInstallation = defineEntity({
  name: 'ConnectorInstallation',
  tableName: 'connector_installations',
  properties: {
    ...baseProperties,
    tenant: p.manyToOne(Tenant).ref().deleteRule('cascade'),
    type: p.string().length(64).$type<ConnectorId>(),
    status: p.enum([...INSTALLATION_STATUSES]),
    externalAccountId: p.string().length(255).nullable(),
    externalAccountName: p.string().length(255).nullable(),
    installedBy: p.manyToOne(User).ref().nullable().deleteRule('set null'),
    disconnectedBy: p.manyToOne(User).ref().nullable().deleteRule('set null'),
    disconnectedAt: p.datetime().nullable(),
    /** The one live grant while active; null otherwise. */
    grant: p.manyToOne(ConnectorGrant).ref().nullable().deleteRule('set null'),
    /**
     * False while the access-token key in the secret backend may not match the database (a
     * write whose answer never came); the reconciler sets it right and back to true.
     */
    keySynced: p.boolean().default(true),
    health: p.enum([...CONNECTION_HEALTH]).default('healthy'),
    /** Why the health is not `healthy`: a safe reason code, never a provider's text. */
    healthReason: p.string().length(255).nullable(),
    healthChangedAt: p.datetime().nullable(),
    /** When the live access token expires (also stored as the connector's EXPIRES_AT value); null: never, or unknown. */
    expiresAt: p.datetime().nullable(),
    /** The scopes the provider granted the live token, space separated (also the connector's SCOPES value). */
    scopes: p.text().nullable(),
    lastRefreshedAt: p.datetime().nullable(),
    /** Last successful identity check of a token that does not expire (or has no expiry to go by). */
    verifiedAt: p.datetime().nullable(),
    /** Refreshes or checks that failed in a row; the back-off grows with it. */
    failures: p.integer().default(0),
    /** After a failure, no new attempt by the sweep before this time. */
    nextAttemptAt: p.datetime().nullable(),
    /**
     * A sweep that took this connection holds it until then (claimed with FOR UPDATE SKIP
     * LOCKED); a sweeper that dies lets it go when the lease ends, and another one takes it.
     */
    leaseUntil: p.datetime().nullable(),
    /** Changes whenever the live token does (connect, refresh, disconnect): caches compare it. */
    tokenVersion: p.integer().default(0),
    /** An operation's intent is open on this connection: an indexed EXISTS in the same query. */
    changeInProgress: p
      .boolean()
      .formula(
        (alias) =>
          `exists (select 1 from connection_intents ci where ci.tenant_id = ${alias}.tenant_id and ci.connector = ${alias}.type)`,
      ),
  },
  uniques: [{ properties: ['tenant', 'type'], name: 'connector_installations_tenant_id_type_unique' }],
  indexes: [{ properties: ['status', 'expiresAt'], name: 'connector_installations_status_expires_index' }],
  checks: [{ name: 'valid_connector_type', expression: validConnectorTypeExpression }],
});
export type ConnectorInstallation = InferEntity<typeof ConnectorInstallation>;
