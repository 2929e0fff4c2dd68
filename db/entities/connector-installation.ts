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
    /** An operation's intent is open on this connection: an indexed EXISTS in the same query. */
    changeInProgress: p
      .boolean()
      .formula(
        (alias) =>
          `exists (select 1 from connection_intents ci where ci.tenant_id = ${alias}.tenant_id and ci.connector = ${alias}.type)`,
      ),
  },
  uniques: [{ properties: ['tenant', 'type'], name: 'connector_installations_tenant_id_type_unique' }],
  checks: [{ name: 'valid_connector_type', expression: validConnectorTypeExpression }],
});
export type ConnectorInstallation = InferEntity<typeof ConnectorInstallation>;
