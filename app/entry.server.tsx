import { PassThrough } from 'node:stream';
import type { AppLoadContext, EntryContext, HandleErrorFunction } from '@remix-run/node';
import { createReadableStreamFromReadable } from '@remix-run/node';
import { isRouteErrorResponse, RemixServer } from '@remix-run/react';
import { isbot } from 'isbot';
import { renderToPipeableStream } from 'react-dom/server';
import { NonceContext } from './lib/nonce';

const ABORT_DELAY = 5_000;

/** The request's path only: query strings can carry OAuth codes and states. */
function pathOf(request: Request): string {
  try {
    return new URL(request.url).pathname;
  } catch {
    return '';
  }
}

/**
 * Every error Remix catches in a loader, an action or a render goes through the sanitising
 * logger (which reduces database driver errors to their SQL state): Remix's default handler
 * prints the error, statement and values included, to the console. Aborted requests (the
 * browser navigated away) are not failures.
 */
export const handleError: HandleErrorFunction = (error, { request, context }) => {
  if (request.signal.aborted) return;
  const { logger, requestId } = context as Partial<AppLoadContext>;
  if (!logger) return;
  const path = pathOf(request);
  // The router's own 4xx answers (a POST to a page without an action) carry an internal Error.
  if (isRouteErrorResponse(error) && error.status < 500) {
    logger.warn({ status: error.status, requestId, path }, 'request refused');
    return;
  }
  const err = isRouteErrorResponse(error) ? ((error as { error?: unknown }).error ?? error) : error;
  logger.error({ err, requestId, path }, 'request failed');
};

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  // Bots and no-JS clients get the whole document at once; browsers get the shell early.
  const waitForAll = isbot(request.headers.get('user-agent') ?? '');
  const nonce = loadContext.nonce;
  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(
      <NonceContext.Provider value={nonce}>
        <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce} />
      </NonceContext.Provider>,
      {
        nonce,
        [waitForAll ? 'onAllReady' : 'onShellReady']() {
          shellRendered = true;
          const body = new PassThrough();
          responseHeaders.set('Content-Type', 'text/html; charset=utf-8');
          resolve(
            new Response(createReadableStreamFromReadable(body), {
              headers: responseHeaders,
              status: responseStatusCode,
            }),
          );
          pipe(body);
        },
        onShellError(error: unknown) {
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          // Before the shell, onShellError rejects and Remix's handleError sees the error.
          if (shellRendered && !request.signal.aborted) {
            loadContext.logger.error({ err: error, requestId: loadContext.requestId, path: pathOf(request) }, 'render failed');
          }
        },
      },
    );
    setTimeout(abort, ABORT_DELAY);
  });
}
