import { z } from 'zod';
import { connectors } from '../../connectors/registry.js';
import { listInstallations } from '../../installations/service.js';
import { protectedProcedure, router } from '../init.js';
import { catalogEntry, type CatalogEntry } from '../schemas.js';

export const catalogRouter = router({
  /** Every connector with this tenant's state: one query for all installations. */
  list: protectedProcedure
    .input(z.void())
    .output(z.array(catalogEntry))
    .query(async ({ ctx }) => {
      const installations = new Map((await listInstallations(ctx.em, ctx.tenantId)).map((i) => [i.type, i]));
      return connectors.map((c): CatalogEntry => {
        const installation = installations.get(c.id);
        const status =
          c.availability === 'coming_soon'
            ? 'coming_soon'
            : installation?.status === 'active'
              ? 'connected'
              : installation
                ? 'disconnected'
                : 'not_connected';
        return {
          id: c.id,
          name: c.name,
          tagline: c.tagline,
          brandColor: c.brandColor,
          icon: c.icon,
          accessItems: [...c.accessItems],
          availability: c.availability,
          status,
          accountName: installation?.status === 'active' ? (installation.externalAccountName ?? null) : null,
        };
      });
    }),
});
