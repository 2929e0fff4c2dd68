import { describe, expect, it } from 'vitest';
import { connectorIds } from '../../server/connectors/registry.js';
import { UnknownConnectorTypeError, flushInstallation } from '../../server/installations/service.js';
import { makeTenant } from '../../test/support/factories.js';
import { useTestDatabase } from '../../test/support/database.js';
import { ConnectorInstallation } from './index.js';

const db = useTestDatabase();

describe('connector_installations', () => {
  it('rejects a type outside the catalog with an error that names the type', async () => {
    const em = db.orm.em.fork();
    const tenant = await makeTenant(em);
    em.create(ConnectorInstallation, { tenant, type: 'myspace' as never, status: 'active' });
    const failure = flushInstallation(em, 'myspace');
    await expect(failure).rejects.toBeInstanceOf(UnknownConnectorTypeError);
    await expect(failure).rejects.toThrow(/"myspace" is not allowed by the valid_connector_type constraint/);
    expect(await db.sql('select * from connector_installations')).toHaveLength(0);
  });

  it('accepts every connector in the registry, intercom included', async () => {
    const em = db.orm.em.fork();
    const tenant = await makeTenant(em);
    for (const type of connectorIds) em.create(ConnectorInstallation, { tenant, type, status: 'disconnected' });
    await flushInstallation(em, 'all');
    const rows = await db.sql<{ type: string }>('select type from connector_installations where tenant_id = $1', [tenant.id]);
    expect(rows.map((r) => r.type).sort()).toEqual([...connectorIds].sort());
  });

  it('allows one installation per tenant and type', async () => {
    const em = db.orm.em.fork();
    const tenant = await makeTenant(em);
    em.create(ConnectorInstallation, { tenant, type: 'intercom', status: 'active' });
    await em.flush();
    const em2 = db.orm.em.fork();
    em2.create(ConnectorInstallation, { tenant: tenant.id, type: 'intercom', status: 'active' });
    await expect(em2.flush()).rejects.toThrow(/connector_installations_tenant_id_type_unique/);
  });

  it('the database constraint lists exactly the registry: the first migration had 15, the second added intercom', async () => {
    const [row] = await db.sql<{ def: string }>(
      "select pg_get_constraintdef(oid) as def from pg_constraint where conname = 'valid_connector_type'",
    );
    const allowed = [...(row?.def ?? '').matchAll(/'([a-z_]+)'/g)].map((m) => m[1]).sort();
    expect(allowed).toEqual([...connectorIds].sort());
    expect(allowed).toHaveLength(16);
  });

  it('limits status to active or disconnected', async () => {
    const em = db.orm.em.fork();
    const tenant = await makeTenant(em);
    await expect(
      db.sql(
        "insert into connector_installations (id, created_at, updated_at, tenant_id, type, status) values (gen_random_uuid(), now(), now(), $1, 'slack', 'paused')",
        [tenant.id],
      ),
    ).rejects.toThrow(/check constraint/);
  });
});
