import { createCallerFactory, router } from './init.js';
import { authRouter } from './routers/auth.js';
import { catalogRouter } from './routers/catalog.js';
import { connectorRouter } from './routers/connector.js';

export const appRouter = router({
  auth: authRouter,
  catalog: catalogRouter,
  // One line per OAuth connector: its procedures come from the generic connector router.
  intercom: connectorRouter('intercom'),
});

/** Connectors with a router above, for generic routes that pick one by URL. */
export const connectorRouterIds = ['intercom'] as const satisfies readonly (keyof typeof appRouter._def.record)[];
export type RoutedConnectorId = (typeof connectorRouterIds)[number];

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
export type AppCaller = ReturnType<typeof createCaller>;
