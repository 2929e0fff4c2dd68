import { createCallerFactory, router } from './init.js';
import { authRouter } from './routers/auth.js';
import { catalogRouter } from './routers/catalog.js';
import { connectorRouter } from './routers/connector.js';

/** One entry per OAuth connector: its procedures come from the generic connector router. */
const connectorRouters = {
  intercom: connectorRouter('intercom'),
  salesforce: connectorRouter('salesforce'),
  linear: connectorRouter('linear'),
  jira: connectorRouter('jira'),
  hubspot: connectorRouter('hubspot'),
  asana: connectorRouter('asana'),
  zendesk: connectorRouter('zendesk'),
  slack: connectorRouter('slack'),
  notion: connectorRouter('notion'),
  github: connectorRouter('github'),
  google_drive: connectorRouter('google_drive'),
  google_email: connectorRouter('google_email'),
  confluence: connectorRouter('confluence'),
  gong: connectorRouter('gong'),
  gather: connectorRouter('gather'),
  trello: connectorRouter('trello'),
};

export const appRouter = router({
  auth: authRouter,
  catalog: catalogRouter,
  ...connectorRouters,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
export type AppCaller = ReturnType<typeof createCaller>;

/** Connectors with a router, for the generic routes that pick one by URL. */
export type RoutedConnectorId = keyof typeof connectorRouters;
