import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { connectors } from '../../connectors/registry.js';
import { findInstallation, listInstallations } from '../../installations/service.js';
import { protectedProcedure, router } from '../init.js';
import { catalogEntry, type CatalogEntry } from '../schemas.js';

type Installation = {
  status: 'active' | 'disconnected';
  externalAccountName?: string | null;
  health?: 'healthy' | 'refresh_failing' | 'needs_reconnect';
};

function entry(c: (typeof connectors)[number], installation: Installation | undefined): CatalogEntry {
  const status =
    c.availability === 'coming_soon'
      ? 'coming_soon'
      : installation?.status === 'active'
        ? // A connection the provider no longer accepts is shown as such: only a person can fix it.
          installation.health === 'needs_reconnect'
          ? 'needs_reconnect'
          : 'connected'
        : installation
          ? 'disconnected'
          : 'not_connected';
  return {
    id: c.id,
    name: c.name,
    tagline: c.tagline,
    brandColor: c.brandColor,
    icon: c.icon,
    monogram: c.monogram ?? c.name.charAt(0).toUpperCase(),
    category: c.category,
    accessItems: [...c.accessItems],
    availability: c.availability,
    status,
    accountName: installation?.status === 'active' ? (installation.externalAccountName ?? null) : null,
  };
}

export const catalogRouter = router({
  /** Every connector with this tenant's state: one query for all installations. */
  list: protectedProcedure
    .input(z.void())
    .output(z.array(catalogEntry))
    .query(async ({ ctx }) => {
      const installations = new Map((await listInstallations(ctx.em, ctx.tenantId)).map((i) => [i.type, i]));
      return connectors.map((c) => entry(c, installations.get(c.id)));
    }),

  /** One connector's catalog entry; NOT_FOUND for an unknown id. */
  get: protectedProcedure
    .input(z.object({ id: z.string().max(64) }))
    .output(catalogEntry)
    .query(async ({ ctx, input }) => {
      const definition = connectors.find((c) => c.id === input.id);
      if (!definition) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such integration.' });
      return entry(definition, (await findInstallation(ctx.em, ctx.tenantId, definition.id)) ?? undefined);
    }),
});
