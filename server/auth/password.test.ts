import { describe, expect, it } from 'vitest';
import { cheapPasswordHash } from '../../test/support/passwords.js';
import {
  HASHING_CONCURRENCY,
  HASHING_MAX_WAITING,
  hashingStats,
  hashPassword,
  PasswordHashingBusyError,
  verifyPassword,
} from './password.js';

describe('password hashing', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(await verifyPassword('wrong', stored)).toBe(false);
  });

  it('fails fast with retryAfterSeconds once the bounded queue is full, without hashing', async () => {
    const stored = cheapPasswordHash('correct horse battery staple');
    const before = hashingStats.computations;
    const extra = 3;
    const total = HASHING_CONCURRENCY + HASHING_MAX_WAITING + extra;
    const outcomes = await Promise.allSettled(Array.from({ length: total }, () => verifyPassword('wrong', stored)));
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused).toHaveLength(extra);
    for (const r of refused) {
      const reason = (r as PromiseRejectedResult).reason as PasswordHashingBusyError;
      expect(reason).toBeInstanceOf(PasswordHashingBusyError);
      expect(reason.retryAfterSeconds).toBeGreaterThan(0);
    }
    // Only the accepted ones were computed.
    expect(hashingStats.computations - before).toBe(total - extra);
  }, 60_000);
});
