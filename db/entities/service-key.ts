import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { baseProperties } from './base.js';

const p = defineEntity.properties;

/**
 * A key a backend service presents to the token API (`Authorization: Bearer pbk_...`). Only the
 * SHA-256 of the key is stored: keys are 256 random bits, so a fast hash is as good as a slow
 * one and lets a request be checked with one indexed lookup. Shown once, at creation.
 */
export const ServiceKey = defineEntity({
  name: 'ServiceKey',
  tableName: 'service_keys',
  properties: {
    ...baseProperties,
    /** Who uses it (`ingestion-worker`): in logs and listings. */
    name: p.string().length(64).unique(),
    keyHash: p.string().length(64).unique(),
    /** The key's first characters, so an operator can tell keys apart without the key. */
    prefix: p.string().length(16),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
});
export type ServiceKey = InferEntity<typeof ServiceKey>;
