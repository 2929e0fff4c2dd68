import type { SessionUser } from '../auth/sessions.js';
import type { Logger } from '../logger.js';
import type { AppCaller } from '../trpc/router.js';

/** What every Remix loader and action receives as `context`. */
// A type alias (not an interface) so it is assignable to Remix's index-signature type.
export type PlugboardLoadContext = {
  /** The tRPC server caller, bound to this request's session. */
  trpc: AppCaller;
  session: SessionUser | null;
  requestId: string;
  /** CSP nonce for this response's inline scripts. */
  nonce: string;
  /** The sanitising logger: Remix's handleError logs through it, never to the console. */
  logger: Logger;
};

declare module '@remix-run/server-runtime' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppLoadContext extends PlugboardLoadContext {}
}
