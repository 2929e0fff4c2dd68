import { TRPCError } from '@trpc/server';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { signedInUser } from '../../test/support/factories.js';
import { useTestDatabase } from '../../test/support/database.js';
import { createContextInner } from './context.js';
import { adminProcedure, createCallerFactory, protectedProcedure, publicProcedure, router } from './init.js';

const db = useTestDatabase();

// A router built from the real building blocks, so the middlewares are tested on their own.
const probe = router({
  open: publicProcedure.input(z.void()).query(() => 'open'),
  whoami: protectedProcedure.input(z.void()).query(({ ctx }) => ctx.tenantId),
  adminOnly: adminProcedure.input(z.void()).mutation(({ ctx }) => ctx.session.role),
  em: publicProcedure.input(z.void()).query(({ ctx }) => ctx.em !== ctx.services.orm.em),
  boom: publicProcedure.input(z.void()).query((): string => {
    throw new Error("insert into users (email) values ('ada@example.test')");
  }),
  ours: publicProcedure.input(z.void()).query((): string => {
    throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Disconnecting failed; nothing was changed.' });
  }),
});
const createProbeCaller = createCallerFactory(probe);
const codeOf = (p: Promise<unknown>) => p.then(() => 'OK', (e: unknown) => (e instanceof TRPCError ? e.code : String(e)));

describe('procedure middlewares', () => {
  it('protectedProcedure answers UNAUTHORIZED (401) without a session', async () => {
    const caller = createProbeCaller(createContextInner({ services: db.services, session: null }));
    expect(await caller.open()).toBe('open');
    expect(await codeOf(caller.whoami())).toBe('UNAUTHORIZED');
    expect(await codeOf(caller.adminOnly())).toBe('UNAUTHORIZED');
  });

  it('adminProcedure answers FORBIDDEN (403) for a member', async () => {
    const { session } = await signedInUser(db.services, 'member');
    const caller = createProbeCaller(createContextInner({ services: db.services, session }));
    expect(await caller.whoami()).toBe(session.tenantId);
    expect(await codeOf(caller.adminOnly())).toBe('FORBIDDEN');
  });

  it('adminProcedure lets an admin through', async () => {
    const { session } = await signedInUser(db.services, 'admin');
    const caller = createProbeCaller(createContextInner({ services: db.services, session }));
    expect(await caller.adminOnly()).toBe('admin');
  });

  it('gives every call its own EntityManager fork', async () => {
    const caller = createProbeCaller(createContextInner({ services: db.services, session: null }));
    expect(await caller.em()).toBe(true);
  });

  it('never sends the message of an unexpected error to the client; our messages go out', async () => {
    const call = async (path: string) => {
      const response = await fetchRequestHandler({
        endpoint: '/api/trpc',
        req: new Request(`http://localhost/api/trpc/${path}`),
        router: probe,
        createContext: () => createContextInner({ services: db.services, session: null }),
      });
      return { status: response.status, body: await response.text() };
    };
    const boom = await call('boom');
    expect(boom.status).toBe(500);
    expect(boom.body).not.toContain('ada@example.test');
    expect(boom.body).toContain('Something went wrong on our side.');
    expect((await call('ours')).body).toContain('Disconnecting failed; nothing was changed.');
  });
});
