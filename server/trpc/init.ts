import { initTRPC, TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { Context } from './context.js';

const t = initTRPC.context<Context>().create({
  // Plain JSON (no transformer) so curl and any HTTP client can call /api/trpc.
  errorFormatter({ shape, error }) {
    const zodError = error.code === 'BAD_REQUEST' && error.cause instanceof z.ZodError ? error.cause : null;
    // An unexpected error reaches tRPC wrapped, with its own message (a driver's message holds
    // the SQL and its values). Only messages we wrote ourselves go out.
    const unexpected = error.code === 'INTERNAL_SERVER_ERROR' && error.cause instanceof Error && error.message === error.cause.message;
    return {
      ...shape,
      message: zodError ? 'Invalid input' : unexpected ? 'Something went wrong on our side. Please try again.' : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        // Field errors for forms; never the stack, never the raw input.
        fieldErrors: zodError ? z.flattenError(zodError).fieldErrors : undefined,
        formErrors: zodError ? z.flattenError(zodError).formErrors : undefined,
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;

/** Every procedure gets its own EntityManager fork, for HTTP and server callers alike. */
const withEntityManager = t.middleware(({ ctx, next }) => next({ ctx: { em: ctx.services.orm.em.fork() } }));

export const publicProcedure = t.procedure.use(withEntityManager);

/** 401 without a session; narrows `ctx.session` to non-null. */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.session) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in to continue.' });
  return next({ ctx: { session: ctx.session, tenantId: ctx.session.tenantId } });
});

/** 403 for members. The tenant always comes from the session, never from input. */
export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (ctx.session.role !== 'admin') {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Only an admin of this workspace can do that.' });
  }
  return next({ ctx });
});
