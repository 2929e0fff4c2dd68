import { defineEntity } from '@mikro-orm/core';

const p = defineEntity.properties;

/**
 * The columns every table shares: a uuid primary key generated in the application (so an id
 * is known before flush) and creation/update timestamps. Spread into each entity.
 */
export const baseProperties = {
  id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
  createdAt: p.datetime().onCreate(() => new Date()),
  updatedAt: p
    .datetime()
    .onCreate(() => new Date())
    .onUpdate(() => new Date()),
};
