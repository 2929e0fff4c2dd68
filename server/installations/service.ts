import { CheckConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { ConnectorInstallation } from '../../db/entities/index.js';
import type { ConnectorId } from '../connectors/registry.js';

export class UnknownConnectorTypeError extends Error {
  override readonly name = 'UnknownConnectorTypeError';
  constructor(readonly type: string) {
    super(
      `Connector type "${type}" is not allowed by the valid_connector_type constraint: ` +
        'add its definition and the migration that widens the constraint (docs/adding-a-connector.md).',
    );
  }
}

/**
 * Flush, turning a violation of `valid_connector_type` into an error that names the type
 * (the driver's message names only the constraint).
 */
export async function flushInstallation(em: EntityManager, type: string): Promise<void> {
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof CheckConstraintViolationException && /valid_connector_type/.test(error.message)) {
      em.clear();
      throw new UnknownConnectorTypeError(type);
    }
    throw error;
  }
}

/** All installations of a tenant: one indexed query (tenant_id leads the unique index). */
export function listInstallations(em: EntityManager, tenantId: string): Promise<ConnectorInstallation[]> {
  return em.find(ConnectorInstallation, { tenant: tenantId }, { populate: ['installedBy', 'disconnectedBy'] });
}

export function findInstallation(
  em: EntityManager,
  tenantId: string,
  type: ConnectorId,
): Promise<ConnectorInstallation | null> {
  return em.findOne(ConnectorInstallation, { tenant: tenantId, type }, { populate: ['installedBy', 'disconnectedBy'] });
}
