import type { AppLoadContext } from '@remix-run/node';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { action, loader } from './login';

/** A load context whose sign-in procedure fails the way the sign-in throttle does. */
function contextWhereSignInThrows(error: unknown): AppLoadContext {
  const signIn = () => Promise.reject(error);
  return { session: null, trpc: { auth: { signIn } } } as unknown as AppLoadContext;
}

function signInRequest(fields: Record<string, string>) {
  return new Request('http://localhost/login', { method: 'POST', body: new URLSearchParams(fields) });
}

describe('login action', () => {
  it('answers a throttled sign-in with 429, Retry-After and the message for the form', async () => {
    const cause = Object.assign(new Error('rate limited'), { retryAfterSeconds: 840 });
    const response = (await action({
      request: signInRequest({ email: 'ada@example.test', password: 'x', redirectTo: '/integrations' }),
      context: contextWhereSignInThrows(
        new TRPCError({ code: 'TOO_MANY_REQUESTS', message: 'Too many sign-in attempts. Try again in 14 minutes.', cause }),
      ),
      params: {},
    })) as Response;
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('840');
    expect(await response.json()).toEqual({
      message: 'Too many sign-in attempts. Try again in 14 minutes.',
      fieldErrors: {},
      email: 'ada@example.test',
    });
  });

  it('sends no Retry-After for a wrong password', async () => {
    const response = (await action({
      request: signInRequest({ email: 'ada@example.test', password: 'x' }),
      context: contextWhereSignInThrows(new TRPCError({ code: 'UNAUTHORIZED', message: 'Incorrect email or password.' })),
      params: {},
    })) as Response;
    expect(response.status).toBe(401);
    expect(response.headers.has('retry-after')).toBe(false);
  });
});

describe('login loader', () => {
  it('sends a signed-in user to a safe target only', () => {
    const context = { session: { email: 'a@b.c' } } as unknown as AppLoadContext;
    const go = (query: string) =>
      (loader({ request: new Request(`http://localhost/login?${query}`), context, params: {} }) as Response).headers.get(
        'location',
      );
    expect(go('redirectTo=/%09/evil.example')).toBe('/integrations');
    expect(go('redirectTo=%2Fintegrations%2Fintercom')).toBe('/integrations/intercom');
  });
});
