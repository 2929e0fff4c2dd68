import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { AnyTRPCRouter, inferRouterContext } from '@trpc/server';
import { resolveResponse, type HTTPErrorHandler } from '@trpc/server/http';
import type { NextFunction, Request, Response } from 'express';
import { refuse } from './error-handler.js';

/** Calls per batched request; the browser client batches only the queries of one page. */
export const MAX_BATCH_SIZE = 10;

/**
 * tRPC reads a POST body as JSON and fails on an empty one ("Unexpected end of JSON input"),
 * so a procedure without input could not be called with a bare `curl -X POST`. An empty body
 * here means "no input", as it does for a GET without `?input=`.
 */
class ApiRequest extends Request {
  override async json(): Promise<unknown> {
    const text = await this.text();
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }
}

/** tRPC's streaming link asks with `trpc-accept`; subscriptions are server-sent events. */
function asksForStream(req: Request): boolean {
  return req.headers['trpc-accept'] === 'application/jsonl' || (req.headers.accept ?? '').includes('text/event-stream');
}

/** tRPC streams a batch as jsonl (chunked JSON) and subscriptions as server-sent events. */
function isStreamed(response: globalThis.Response): boolean {
  const type = response.headers.get('content-type') ?? '';
  return response.headers.get('transfer-encoding') === 'chunked' || !type.startsWith('application/json');
}

export interface TrpcHandlerOptions<TRouter extends AnyTRPCRouter> {
  router: TRouter;
  createContext(req: Request, res: Response): Promise<inferRouterContext<TRouter>>;
  onError?: HTTPErrorHandler<TRouter, Request>;
  maxBatchSize?: number;
}

/**
 * tRPC over Express, on tRPC's own `resolveResponse` (what its Express adapter uses), fed with
 * the body `limitBodies` already read and checked. Mount it at the API prefix.
 */
export function trpcHandler<TRouter extends AnyTRPCRouter>(options: TrpcHandlerOptions<TRouter>) {
  const maxBatchSize = options.maxBatchSize ?? MAX_BATCH_SIZE;
  return (req: Request, res: Response, next: NextFunction): void => {
    const path = req.path.slice(1);
    const calls = req.query.batch === '1' ? path.split(',').length : 1;
    if (calls > maxBatchSize) {
      refuse(req, res, 400, `A batch may hold at most ${maxBatchSize} calls; this one has ${calls}.`);
      return;
    }
    // A streamed answer stops when the client goes. Only a client that asks for a stream gets
    // the signal: a request's AbortSignal is kept by Node until a full garbage collection, a
    // cost every plain query would otherwise pay.
    let signal: AbortSignal | undefined;
    if (asksForStream(req)) {
      const abort = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) abort.abort();
      });
      signal = abort.signal;
    }
    const headers = new Headers();
    for (const [key, value] of Object.entries(req.headers)) {
      if (Array.isArray(value)) for (const v of value) headers.append(key, v);
      else if (value !== undefined) headers.set(key, value);
    }
    const body = req.rawBody ?? Buffer.alloc(0);
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    // A bodiless call is JSON without input, whatever (if anything) it declared.
    if (hasBody && body.length === 0) headers.set('content-type', 'application/json');
    // tRPC reads only the path and query from the URL; a fixed origin keeps a bad Host out of it.
    const request = new ApiRequest(`http://localhost${req.originalUrl}`, {
      method: req.method,
      headers,
      body: hasBody ? new Uint8Array(body) : undefined,
      signal,
    });

    resolveResponse({
      router: options.router,
      req: request,
      path,
      maxBatchSize,
      error: null,
      createContext: () => options.createContext(req, res),
      onError: options.onError ? (o) => options.onError?.({ ...o, req }) : undefined,
    })
      .then(async (response) => {
        res.status(response.status);
        for (const [key, value] of response.headers) if (key !== 'set-cookie') res.setHeader(key, value);
        for (const cookie of response.headers.getSetCookie()) res.append('Set-Cookie', cookie);
        if (!response.body) return void res.end();
        // Queries and mutations answer one JSON document (the browser client batches with
        // httpBatchLink, not the streaming link): sent as a string, Node writes it and the
        // headers in one go. Only a streamed answer (a subscription, or a client asking for
        // jsonl) is piped through.
        if (!isStreamed(response)) return void res.end(await response.text());
        await pipeline(Readable.fromWeb(response.body as NodeReadableStream), res);
      })
      .catch(next);
  };
}
