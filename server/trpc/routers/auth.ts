import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { PasswordHashingBusyError } from '../../auth/password.js';
import { clearSessionCookie, serializeSessionCookie } from '../../auth/session-cookie.js';
import { revokeSession, signIn, type SessionUser } from '../../auth/sessions.js';
import { emailHash, signInThrottleFor, SignInThrottledError, throttledMessage } from '../../auth/sign-in-throttle.js';
import type { Context } from '../context.js';
import { protectedProcedure, publicProcedure, router } from '../init.js';
import { sessionUserOutput, signInInput } from '../schemas.js';

const toOutput = (user: SessionUser) => ({
  email: user.email,
  role: user.role,
  tenant: { id: user.tenantId, slug: user.tenantSlug, name: user.tenantName },
});

/** 429 with Retry-After; `cause.retryAfterSeconds` is what the login form reads. */
function tooManyRequests(ctx: Context, cause: SignInThrottledError | PasswordHashingBusyError, message: string) {
  ctx.responseHeaders.set('Retry-After', String(cause.retryAfterSeconds));
  return new TRPCError({ code: 'TOO_MANY_REQUESTS', message, cause });
}

export const authRouter = router({
  /**
   * Opens a session and sets its cookie. The token itself never appears in the output.
   * Throttled per email+IP and per IP before any hashing (docs/decisions/006-sign-in-throttling.md);
   * logs carry the IP and a keyed hash of the email, never the email.
   */
  signIn: publicProcedure
    .input(signInInput)
    .output(sessionUserOutput)
    .mutation(async ({ ctx, input }) => {
      const { env, logger } = ctx.services;
      const throttle = signInThrottleFor(ctx.services);
      const key = { emailHash: emailHash(env.SESSION_SECRET, input.email), ip: ctx.ip };
      const logFields = { requestId: ctx.requestId, ip: ctx.ip, emailHash: key.emailHash };

      try {
        await throttle.attempt(key);
      } catch (error) {
        if (!(error instanceof SignInThrottledError)) throw error;
        logger.warn({ ...logFields, limit: error.limit, retryAfterSeconds: error.retryAfterSeconds }, 'sign-in throttled');
        throw tooManyRequests(ctx, error, throttledMessage(error.retryAfterSeconds));
      }

      let result;
      try {
        result = await signIn(ctx.em, input, env.SESSION_TTL_HOURS, { replacesSessionId: ctx.session?.sessionId });
      } catch (error) {
        if (!(error instanceof PasswordHashingBusyError)) throw error;
        await throttle.refund(key); // no password was checked: not a failure
        logger.warn({ ...logFields, limit: 'hashing-queue', retryAfterSeconds: error.retryAfterSeconds }, 'sign-in throttled');
        throw tooManyRequests(ctx, error, 'Too many sign-in attempts right now. Try again in a few seconds.');
      }
      if (!result) {
        logger.warn(logFields, 'sign-in failed');
        // One message for unknown email and wrong password alike.
        throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Incorrect email or password.' });
      }
      await throttle.succeeded(key);
      ctx.cookies.set(
        serializeSessionCookie(result.token, {
          secret: env.SESSION_SECRET,
          secure: env.NODE_ENV === 'production',
          maxAgeSeconds: env.SESSION_TTL_HOURS * 3600,
        }),
      );
      logger.info({ requestId: ctx.requestId, userId: result.user.userId }, 'signed in');
      return toOutput(result.user);
    }),

  signOut: protectedProcedure
    .input(z.void())
    .output(z.object({ success: z.literal(true) }))
    .mutation(async ({ ctx }) => {
      await revokeSession(ctx.em, ctx.session.sessionId);
      ctx.cookies.set(clearSessionCookie({ secure: ctx.services.env.NODE_ENV === 'production' }));
      return { success: true as const };
    }),

  me: publicProcedure
    .input(z.void())
    .output(sessionUserOutput.nullable())
    .query(({ ctx }) => (ctx.session ? toOutput(ctx.session) : null)),
});
