import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { toFailure } from './trpc.server';

/** The error the sign-in throttle throws: its cause says how long to wait. */
function throttled(retryAfterSeconds: unknown) {
  const cause = Object.assign(new Error('rate limited'), { retryAfterSeconds });
  return new TRPCError({
    code: 'TOO_MANY_REQUESTS',
    message: 'Too many sign-in attempts. Try again in 15 minutes.',
    cause,
  });
}

describe('toFailure', () => {
  it('maps a throttled sign-in to 429 with its message and the wait in seconds', () => {
    expect(toFailure(throttled(900))).toEqual({
      status: 429,
      code: 'TOO_MANY_REQUESTS',
      message: 'Too many sign-in attempts. Try again in 15 minutes.',
      fieldErrors: undefined,
      retryAfterSeconds: 900,
    });
  });

  it('rounds a fractional wait up, so a retry at that time is not too early', () => {
    expect(toFailure(throttled(12.2)).retryAfterSeconds).toBe(13);
  });

  it.each([[undefined], [0], [-5], [Number.NaN], [Number.POSITIVE_INFINITY], ['60']])(
    'leaves retryAfterSeconds out when the cause holds %s',
    (value) => {
      const failure = toFailure(throttled(value));
      expect(failure.status).toBe(429);
      expect(failure).not.toHaveProperty('retryAfterSeconds');
    },
  );

  it('leaves it out for throttling without a cause', () => {
    const failure = toFailure(new TRPCError({ code: 'TOO_MANY_REQUESTS', message: 'Slow down.' }));
    expect(failure).toMatchObject({ status: 429, message: 'Slow down.' });
    expect(failure).not.toHaveProperty('retryAfterSeconds');
  });

  it('ignores retryAfterSeconds on other codes', () => {
    const cause = Object.assign(new Error('x'), { retryAfterSeconds: 30 });
    const failure = toFailure(new TRPCError({ code: 'UNAUTHORIZED', message: 'Incorrect email or password.', cause }));
    expect(failure).toMatchObject({ status: 401, message: 'Incorrect email or password.' });
    expect(failure).not.toHaveProperty('retryAfterSeconds');
  });

  it('keeps internal errors generic', () => {
    const cause = new Error('insert into "user" ("email") values ($1) - duplicate key ada@example.test');
    const failure = toFailure(new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: cause.message, cause }));
    expect(failure).toEqual({
      status: 500,
      code: 'INTERNAL_SERVER_ERROR',
      message: 'Something went wrong on our side. Please try again.',
      fieldErrors: undefined,
    });
    expect(toFailure(cause).message).not.toContain('ada@example.test');
  });

  it('turns validation issues into field errors', () => {
    const failure = toFailure(
      new TRPCError({
        code: 'BAD_REQUEST',
        message: 'invalid',
        cause: Object.assign(new Error('invalid'), {
          issues: [{ path: ['email'], message: 'Enter a valid email address.' }],
        }),
      }),
    );
    expect(failure).toMatchObject({
      status: 400,
      message: 'Please correct the highlighted fields.',
      fieldErrors: { email: ['Enter a valid email address.'] },
    });
  });
});
