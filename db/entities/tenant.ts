import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { baseProperties } from './base.js';

const p = defineEntity.properties;

export const Tenant = defineEntity({
  name: 'Tenant',
  tableName: 'tenants',
  properties: {
    ...baseProperties,
    slug: p.string().length(63).unique(),
    name: p.string().length(200),
  },
});
export type Tenant = InferEntity<typeof Tenant>;
