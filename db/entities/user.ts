import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { baseProperties } from './base.js';
import { Tenant } from './tenant.js';

const p = defineEntity.properties;

export const USER_ROLES = ['admin', 'member'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const User = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    ...baseProperties,
    tenant: p.manyToOne(Tenant).ref().deleteRule('cascade'),
    /** Stored lower-cased; unique across tenants so sign-in needs no tenant picker. */
    email: p.string().length(320).unique(),
    /** scrypt, see server/auth/password.ts. Hidden from serialisation. */
    passwordHash: p.string().length(255).hidden(),
    role: p.enum([...USER_ROLES]),
  },
});
export type User = InferEntity<typeof User>;
