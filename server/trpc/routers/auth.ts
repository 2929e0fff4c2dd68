import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { clearSessionCookie, serializeSessionCookie } from '../../auth/session-cookie.js';
import { revokeSession, signIn, type SessionUser } from '../../auth/sessions.js';
import { protectedProcedure, publicProcedure, router } from '../init.js';
import { sessionUserOutput, signInInput } from '../schemas.js';

const toOutput = (user: SessionUser) => ({
  email: user.email,
  role: user.role,
  tenant: { id: user.tenantId, slug: user.tenantSlug, name: user.tenantName },
});

export const authRouter = router({
  /** Opens a session and sets its cookie. The token itself never appears in the output. */
  signIn: publicProcedure
    .input(signInInput)
    .output(sessionUserOutput)
    .mutation(async ({ ctx, input }) => {
      const { env, logger } = ctx.services;
      const result = await signIn(ctx.em, input, env.SESSION_TTL_HOURS);
      if (!result) {
        logger.info({ requestId: ctx.requestId }, 'sign-in failed');
        // One message for unknown email and wrong password alike.
        throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Incorrect email or password.' });
      }
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
