/**
 * The one bridge from Remix routes to the server: loaders and actions call procedures through
 * the caller in the load context (built per request by server/http/app.ts) and map tRPC errors
 * to HTTP responses here, in one place.
 */
import { redirect, type AppLoadContext } from '@remix-run/node';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { SessionUser } from '../../server/auth/sessions';
import type { RoutedConnectorId } from '../../server/trpc/router';

export function getCaller(context: AppLoadContext) {
  return context.trpc;
}

/**
 * The procedures of the connector named in the URL. Every routed connector has the same
 * procedures; an id without a router fails with NOT_FOUND when called.
 */
export function connectorCaller(context: AppLoadContext, connector: string) {
  return context.trpc[connector as RoutedConnectorId];
}

/** The machine-readable reason a flow step failed (set by the server's flow errors). */
export function failureReason(error: unknown): string {
  if (error instanceof TRPCError) {
    const reason = (error.cause as { reason?: unknown } | undefined)?.reason;
    if (typeof reason === 'string' && /^[a-z_]+$/.test(reason)) return reason;
    if (error.code === 'FORBIDDEN') return 'forbidden';
    if (error.code === 'BAD_REQUEST') return 'invalid_request';
  }
  return 'unknown';
}

/** The signed-in user, or a redirect to /login that comes back here afterwards. */
export function requireSession(request: Request, context: AppLoadContext): SessionUser {
  if (context.session) return context.session;
  const url = new URL(request.url);
  throw redirect(`/login?redirectTo=${encodeURIComponent(url.pathname + url.search)}`);
}

export interface ProcedureFailure {
  status: number;
  code: TRPCError['code'];
  message: string;
  fieldErrors?: Record<string, string[] | undefined>;
  /** For TOO_MANY_REQUESTS: whole seconds until a retry may succeed (the Retry-After value). */
  retryAfterSeconds?: number;
}

/** A throttling error's wait, from its cause's `retryAfterSeconds`, as a positive whole number. */
function retryAfterOf(error: TRPCError): number | undefined {
  if (error.code !== 'TOO_MANY_REQUESTS') return undefined;
  const value = (error.cause as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return undefined;
  return Math.ceil(value);
}

/** Normalises any error from a procedure call: safe messages for users, 500 for the unknown. */
export function toFailure(error: unknown): ProcedureFailure {
  if (error instanceof TRPCError) {
    const status = getHTTPStatusCodeFromError(error);
    const cause = error.cause as { issues?: { path: PropertyKey[]; message: string }[] } | undefined;
    const fieldErrors =
      error.code === 'BAD_REQUEST' && cause?.issues
        ? cause.issues.reduce<Record<string, string[]>>((acc, issue) => {
            const key = issue.path.map(String).join('.') || '_';
            (acc[key] ??= []).push(issue.message);
            return acc;
          }, {})
        : undefined;
    const message =
      error.code === 'INTERNAL_SERVER_ERROR' ? 'Something went wrong on our side. Please try again.' : error.message;
    const retryAfterSeconds = retryAfterOf(error);
    return {
      status,
      code: error.code,
      message: fieldErrors ? 'Please correct the highlighted fields.' : message,
      fieldErrors,
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    };
  }
  return { status: 500, code: 'INTERNAL_SERVER_ERROR', message: 'Something went wrong on our side. Please try again.' };
}

/** Calls a procedure; on failure throws the matching HTTP response (401 goes to /login). */
export async function callOrThrow<T>(request: Request, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const failure = toFailure(error);
    if (failure.status === 401) {
      const url = new URL(request.url);
      throw redirect(`/login?redirectTo=${encodeURIComponent(url.pathname + url.search)}`);
    }
    if (failure.status === 500) throw error;
    throw new Response(failure.message, { status: failure.status });
  }
}
