import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { baseProperties } from './base.js';
import { Tenant } from './tenant.js';

const p = defineEntity.properties;

/**
 * Sensitive values for the local secret backend, AES-256-GCM encrypted (see
 * server/secrets/local-backend.ts). Never holds plaintext.
 */
export const EncryptedSecret = defineEntity({
  name: 'EncryptedSecret',
  tableName: 'secret_values',
  properties: {
    ...baseProperties,
    tenant: p.manyToOne(Tenant).ref().deleteRule('cascade'),
    key: p.string().length(128),
    /** Ciphertext followed by the 16-byte GCM authentication tag. */
    ciphertext: p.blob(),
    /** 12 random bytes, fresh for every write. */
    nonce: p.blob(),
    /** Which master key encrypted the row, so keys can be rotated. */
    keyVersion: p.integer(),
    /** Write count, reported like SSM's parameter version. */
    version: p.integer(),
  },
  uniques: [{ properties: ['tenant', 'key'], name: 'secret_values_tenant_id_key_unique' }],
});
export type EncryptedSecret = InferEntity<typeof EncryptedSecret>;
