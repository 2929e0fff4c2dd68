import { createCallerFactory, router } from './init.js';
import { authRouter } from './routers/auth.js';
import { catalogRouter } from './routers/catalog.js';

export const appRouter = router({
  auth: authRouter,
  catalog: catalogRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
export type AppCaller = ReturnType<typeof createCaller>;
