import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { baseProperties } from './base.js';
import { Tenant } from './tenant.js';

const p = defineEntity.properties;

/** Per-tenant non-sensitive configuration, written only through the SecretStore. */
export const ConfigValue = defineEntity({
  name: 'ConfigValue',
  tableName: 'config_values',
  properties: {
    ...baseProperties,
    tenant: p.manyToOne(Tenant).ref().deleteRule('cascade'),
    key: p.string().length(128),
    value: p.text(),
  },
  uniques: [{ properties: ['tenant', 'key'], name: 'config_values_tenant_id_key_unique' }],
});
export type ConfigValue = InferEntity<typeof ConfigValue>;
