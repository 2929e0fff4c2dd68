import {
  createRequestHandler,
  writeReadableStreamToWritable,
  type AppLoadContext,
  type ServerBuild,
} from '@remix-run/node';
import type { NextFunction, Request, Response } from 'express';

export interface RemixHandlerOptions {
  build: ServerBuild;
  mode: 'production' | 'development';
  getLoadContext(req: Request, res: Response): Promise<AppLoadContext>;
}

/** The Fetch request Remix sees: what @remix-run/express builds, with the body already read. */
function remixRequest(req: Request, res: Response): globalThis.Request {
  // req.hostname drops the port; take it from X-Forwarded-Host or Host as @remix-run/express does.
  const portOf = (host: string | undefined) => Number.parseInt(host?.split(':')[1] ?? '', 10);
  const forwardedPort = portOf(req.get('X-Forwarded-Host'));
  const hostPort = portOf(req.get('host'));
  const port = Number.isSafeInteger(forwardedPort) ? forwardedPort : Number.isSafeInteger(hostPort) ? hostPort : '';
  const url = new URL(`${req.protocol}://${req.hostname}${port ? `:${port}` : ''}${req.originalUrl}`);

  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    else if (value !== undefined) headers.set(key, value);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const body = req.rawBody ?? Buffer.alloc(0);
  // A bodiless POST (a bare button, curl -X POST) is an empty form, so actions can read it.
  if (hasBody && body.length === 0 && !headers.has('content-type')) {
    headers.set('content-type', 'application/x-www-form-urlencoded');
  }

  // Abort loaders and actions once no answer can be written (close without finish).
  const abort = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  return new Request(url.href, { method: req.method, headers, body: hasBody ? new Uint8Array(body) : undefined, signal: abort.signal });
}

/**
 * Remix over Express, like @remix-run/express's handler, but fed with the body `limitBodies`
 * read and checked (a body stream can only be read once), and with dynamic answers kept out
 * of every cache whatever a route says.
 */
export function remixHandler({ build, mode, getLoadContext }: RemixHandlerOptions) {
  const handle = createRequestHandler(build, mode);
  return (req: Request, res: Response, next: NextFunction): void => {
    const run = async () => {
      const request = remixRequest(req, res);
      const response = await handle(request, await getLoadContext(req, res));
      res.statusMessage = response.statusText;
      res.status(response.status);
      for (const [key, value] of response.headers) {
        if (key === 'set-cookie' || key === 'cache-control') continue;
        res.setHeader(key, value);
      }
      for (const cookie of response.headers.getSetCookie()) res.append('Set-Cookie', cookie);
      res.setHeader('Cache-Control', 'private, no-store');
      if (/text\/event-stream/i.test(response.headers.get('content-type') ?? '')) res.flushHeaders();
      if (response.body) await writeReadableStreamToWritable(response.body, res);
      else res.end();
    };
    run().catch(next);
  };
}
