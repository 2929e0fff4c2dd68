import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { AppLoadContext, ServerBuild } from '@remix-run/node';
import express, { type NextFunction, type Request, type Response } from 'express';
import { leanQuery, type LeanStatement } from '../../db/lean.js';
import { accessLogger } from '../logger.js';
import type { AppServices } from '../services.js';
import { createContext } from '../trpc/context.js';
import { tokenApiRouter } from '../token-api/router.js';
import { appRouter, createCaller } from '../trpc/router.js';
import { ACCEPT_JSON, ACCEPT_JSON_OR_FORM, limitBodies } from './body-limits.js';
import { errorHandler } from './error-handler.js';
import type { PlugboardLoadContext } from './load-context.js';
import { remixHandler } from './remix-handler.js';
import { sameOriginWrites, securityHeaders } from './security.js';
import { MAX_BATCH_SIZE, trpcHandler } from './trpc-handler.js';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
  }
}

/** A round trip to PostgreSQL on the app's own pool: a probe sees what requests would. */
const HEALTH_CHECK: LeanStatement = { name: 'health_check', text: 'select 1' };

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** Probes, Remix's route manifest and static files: logged at debug, or they drown the rest. */
const QUIET_PATH = /^\/(?:healthz|__manifest|favicon\.ico)$|^\/build\//;

export interface HttpAppOptions {
  services: AppServices;
  build: ServerBuild;
  /** Folder with `build/` (fingerprinted assets) and other public files. */
  publicDir: string;
  formActionOrigins: readonly string[];
}

/** `/name` for each file in the public folder outside `build/` (Remix's fingerprinted assets). */
function listPublicFiles(publicDir: string): Set<string> {
  if (!existsSync(publicDir)) return new Set();
  const files = readdirSync(publicDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(publicDir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .filter((file) => !file.startsWith('build/'));
  return new Set(files.map((file) => `/${file}`));
}

export function createHttpApp({ services, build, publicDir, formActionOrigins }: HttpAppOptions) {
  const { env, logger } = services;
  const accessLog = accessLogger(logger);
  const appOrigin = new URL(env.APP_URL).origin;
  const app = express();
  app.disable('x-powered-by');
  // Node's querystring, not qs: no nested objects to build, and nothing here reads any.
  app.set('query parser', 'simple');
  // Every answer past the static files is no-store, so an ETag (a hash of each body) serves nobody.
  app.set('etag', false);
  if (env.NODE_ENV === 'production') app.set('trust proxy', 1);

  // Request id and one JSON log line per request. The query string is never logged: the
  // OAuth callback carries a code and state in it.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const given = req.headers['x-request-id'];
    req.id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    const started = process.hrtime.bigint();
    // Taken now: inside a mounted router (/api/trpc) req.path is relative to the mount.
    const requestPath = req.path;
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const quiet = QUIET_PATH.test(requestPath) || res.locals.staticFile === true;
      accessLog[quiet ? 'debug' : 'info'](
        { requestId: req.id, method: req.method, path: requestPath, status: res.statusCode, ms: Math.round(ms) },
        'request',
      );
    });
    next();
  });

  app.use(securityHeaders({ hsts: new URL(env.APP_URL).protocol === 'https:', appOrigin, formActionOrigins }));

  // Fingerprinted assets are immutable; anything else in public/ is cached briefly.
  const markStatic = (res: Response) => {
    res.locals.staticFile = true;
  };
  app.use(
    '/build',
    express.static(path.join(publicDir, 'build'), { immutable: true, maxAge: '1y', index: false, setHeaders: markStatic }),
  );
  // The other public files are listed once, at start-up: a request for anything else (every API
  // call) goes on without a look at the file system.
  const publicFiles = listPublicFiles(publicDir);
  const servePublic = express.static(publicDir, { maxAge: '1h', index: false, setHeaders: markStatic });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && publicFiles.has(req.path)) return servePublic(req, res, next);
    next();
  });

  // Everything past the static files is per user or per moment: no cache may keep it.
  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', 'private, no-store');
    next();
  });

  app.get('/healthz', (_req, res) => {
    leanQuery(services.orm, HEALTH_CHECK, [])
      .then(
        () => res.status(200).json({ status: 'ok', database: 'ok' }),
        (error: unknown) => {
          logger.error({ err: error }, 'health check: database unreachable');
          res.status(503).json({ status: 'error', database: 'unreachable' });
        },
      );
  });

  // Backend services authenticate with a bearer key, not a cookie: no cross-site write to fence
  // off, and every refusal must stay in the API's JSON shape.
  app.use('/api/v1', tokenApiRouter(services));

  app.use(sameOriginWrites(appOrigin));

  app.use(
    '/api/trpc',
    limitBodies({ accept: ACCEPT_JSON }),
    trpcHandler({
      router: appRouter,
      maxBatchSize: MAX_BATCH_SIZE,
      createContext: (req, res) => createContext({ services, req, res }),
      onError({ error, path: procedure, ctx }) {
        if (error.code === 'INTERNAL_SERVER_ERROR') {
          logger.error({ err: error.cause ?? error, procedure, requestId: ctx?.requestId }, 'procedure failed');
        }
      },
    }),
  );

  app.use(limitBodies({ accept: ACCEPT_JSON_OR_FORM }));
  const remix = remixHandler({
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
  app.all('*', remix);

  app.use(errorHandler(logger));
  return app;
}
