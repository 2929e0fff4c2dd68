import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createRequestHandler } from '@remix-run/express';
import type { AppLoadContext, ServerBuild } from '@remix-run/node';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { AppServices } from '../services.js';
import { createContext } from '../trpc/context.js';
import { appRouter, createCaller } from '../trpc/router.js';
import type { PlugboardLoadContext } from './load-context.js';
import { sameOriginWrites, securityHeaders } from './security.js';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

export interface HttpAppOptions {
  services: AppServices;
  build: ServerBuild;
  /** Folder with `build/` (fingerprinted assets) and other public files. */
  publicDir: string;
  formActionOrigins: readonly string[];
}

export function createHttpApp({ services, build, publicDir, formActionOrigins }: HttpAppOptions) {
  const { env, logger } = services;
  const appOrigin = new URL(env.APP_URL).origin;
  const app = express();
  app.disable('x-powered-by');
  if (env.NODE_ENV === 'production') app.set('trust proxy', 1);

  // Request id and one JSON log line per request. The query string is never logged: the
  // OAuth callback carries a code and state in it.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const given = req.headers['x-request-id'];
    req.id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info(
        { requestId: req.id, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms) },
        'request',
      );
    });
    next();
  });

  app.use(securityHeaders({ production: env.NODE_ENV === 'production', appOrigin, formActionOrigins }));

  app.get('/healthz', (_req, res) => {
    services.orm.em
      .fork()
      .getConnection()
      .execute('select 1')
      .then(
        () => res.status(200).json({ status: 'ok', database: 'ok' }),
        (error: unknown) => {
          logger.error({ err: error }, 'health check: database unreachable');
          res.status(503).json({ status: 'error', database: 'unreachable' });
        },
      );
  });

  // Fingerprinted assets are immutable; anything else in public/ is cached briefly.
  app.use('/build', express.static(path.join(publicDir, 'build'), { immutable: true, maxAge: '1y', index: false }));
  app.use(express.static(publicDir, { maxAge: '1h', index: false }));

  app.use(sameOriginWrites(appOrigin));

  app.use(
    '/api/trpc',
    createExpressMiddleware({
      router: appRouter,
      createContext: ({ req, res }) => createContext({ services, req, res }),
      onError({ error, path: procedure, ctx }) {
        if (error.code === 'INTERNAL_SERVER_ERROR') {
          logger.error({ err: error.cause ?? error, procedure, requestId: ctx?.requestId }, 'procedure failed');
        }
      },
    }),
  );

  const remix = createRequestHandler({
      build,
      mode: env.NODE_ENV === 'production' ? 'production' : 'development',
      getLoadContext: async (req, res): Promise<AppLoadContext> => {
        const ctx = await createContext({ services, req, res });
        const context: PlugboardLoadContext = {
          trpc: createCaller(ctx, {
            onError: ({ error, path: procedure }) => {
              if (error.code === 'INTERNAL_SERVER_ERROR') {
                logger.error({ err: error.cause ?? error, procedure, requestId: req.id }, 'procedure failed');
              }
            },
          }),
          session: ctx.session,
          requestId: req.id,
          nonce: String(res.locals.nonce),
          logger,
        };
        return context;
      },
  });
  app.all('*', (req, res, next) => {
    remix(req, res, next).catch(next);
  });

  return app;
}
