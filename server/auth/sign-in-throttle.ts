import { createHmac } from 'node:crypto';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { AppServices } from '../services.js';
import { normalizeEmail } from './sessions.js';

/**
 * Sign-in throttling, shared by every app instance through one Postgres table
 * (`sign_in_throttle`, created by a migration). Design and numbers:
 * docs/decisions/006-sign-in-throttling.md.
 */
export const THROTTLE_TABLE = 'sign_in_throttle';

export const SIGN_IN_LIMITS = {
  /** Failures per email and IP before that pair is blocked. */
  emailIp: { points: 10, durationSeconds: 15 * 60, firstBlockSeconds: 15 * 60 },
  /** Each further block of the same pair within this window doubles, up to the cap. */
  backoff: { windowSeconds: 24 * 3600, maxBlockSeconds: 24 * 3600 },
  /** Failures per IP, whatever the email. */
  ip: { points: 100, durationSeconds: 3600, blockSeconds: 3600 },
} as const;

export type SignInLimits = typeof SIGN_IN_LIMITS;
export type ThrottleLimit = 'email+ip' | 'ip';

/** A refused attempt. `retryAfterSeconds` is read by the login form and sent as Retry-After. */
export class SignInThrottledError extends Error {
  override readonly name = 'SignInThrottledError';
  constructor(
    readonly limit: ThrottleLimit,
    readonly retryAfterSeconds: number,
  ) {
    super(`Sign-in throttled by the ${limit} limit for ${retryAfterSeconds} s`);
  }
}

/**
 * A keyed hash of the normalised email: lets an operator (and the throttle table) tell
 * attempts on the same account apart without storing or logging the address. The key is
 * derived from SESSION_SECRET, so the hash cannot be recomputed from a guessed address
 * without it.
 */
export function emailHash(sessionSecret: string, email: string): string {
  const key = createHmac('sha256', sessionSecret).update('plugboard/sign-in/email-hash/v1').digest();
  return createHmac('sha256', key).update(normalizeEmail(email)).digest('hex').slice(0, 32);
}

export interface AttemptKey {
  emailHash: string;
  /** The client IP as Express sees it (`req.ip`); server callers without one share 'unknown'. */
  ip: string | null;
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export class SignInThrottle {
  private readonly pair: RateLimiterPostgres;
  private readonly blocks: RateLimiterPostgres;
  private readonly perIp: RateLimiterPostgres;

  constructor(
    storeClient: unknown,
    private readonly limits: SignInLimits = SIGN_IN_LIMITS,
  ) {
    // tableCreated: the migration owns the table; the library must never issue DDL.
    const common = { storeClient, storeType: 'knex', tableName: THROTTLE_TABLE, tableCreated: true };
    this.pair = new RateLimiterPostgres({
      ...common,
      keyPrefix: 'email_ip',
      points: limits.emailIp.points,
      duration: limits.emailIp.durationSeconds,
      blockDuration: limits.emailIp.firstBlockSeconds,
    });
    // Counts how often a pair was blocked; never refuses by itself (only `penalty` is used).
    this.blocks = new RateLimiterPostgres({
      ...common,
      keyPrefix: 'email_ip_blocks',
      points: 1_000_000,
      duration: limits.backoff.windowSeconds,
      clearExpiredByTimeout: false,
    });
    this.perIp = new RateLimiterPostgres({
      ...common,
      keyPrefix: 'ip',
      points: limits.ip.points,
      duration: limits.ip.durationSeconds,
      blockDuration: limits.ip.blockSeconds,
      clearExpiredByTimeout: false,
    });
  }

  /**
   * Counts one attempt against both limits, before any password hashing; throws
   * SignInThrottledError when either refuses. Every call counts, so each call of a tRPC
   * batch does. `succeeded` or `refund` undo what should not count as a failure.
   */
  async attempt(key: AttemptKey): Promise<void> {
    const ip = key.ip ?? 'unknown';
    const pairKey = `${key.emailHash}:${ip}`;

    // An IP already over its limit costs one read, not a write per guess.
    const ipState = await this.perIp.get(ip);
    if (ipState && ipState.consumedPoints > this.limits.ip.points) {
      throw new SignInThrottledError('ip', seconds(ipState.msBeforeNext));
    }

    try {
      await this.pair.consume(pairKey);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      throw new SignInThrottledError('email+ip', await this.blockedFor(pairKey, error));
    }

    try {
      await this.perIp.consume(ip);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      await this.pair.reward(pairKey, 1); // this attempt never reached the password check
      throw new SignInThrottledError('ip', seconds(error.msBeforeNext));
    }
  }

  /** The right password: the pair starts afresh and the attempt does not count against the IP. */
  async succeeded(key: AttemptKey): Promise<void> {
    const ip = key.ip ?? 'unknown';
    const pairKey = `${key.emailHash}:${ip}`;
    await Promise.all([this.pair.delete(pairKey), this.blocks.delete(pairKey), this.perIp.reward(ip, 1)]);
  }

  /** The attempt was not decided (e.g. the hashing queue was full): it does not count. */
  async refund(key: AttemptKey): Promise<void> {
    const ip = key.ip ?? 'unknown';
    await Promise.all([this.pair.reward(`${key.emailHash}:${ip}`, 1), this.perIp.reward(ip, 1)]);
  }

  /**
   * How long a refused pair must wait. The consume that first crossed the limit starts a
   * block: the first one in the back-off window lasts `firstBlockSeconds` (the library set
   * it), each later one twice the previous, up to the cap.
   */
  private async blockedFor(pairKey: string, refused: RateLimiterRes): Promise<number> {
    if (refused.consumedPoints !== this.limits.emailIp.points + 1) return seconds(refused.msBeforeNext);
    const { consumedPoints: blockNumber } = await this.blocks.penalty(pairKey, 1);
    const blockSeconds = Math.min(
      this.limits.emailIp.firstBlockSeconds * 2 ** Math.max(0, blockNumber - 1),
      this.limits.backoff.maxBlockSeconds,
    );
    if (blockNumber > 1) await this.pair.block(pairKey, blockSeconds);
    return blockSeconds;
  }
}

/** One throttle per set of services (one per app instance), on the ORM's own connection pool. */
const throttles = new WeakMap<AppServices, SignInThrottle>();

export function signInThrottleFor(services: AppServices): SignInThrottle {
  let throttle = throttles.get(services);
  if (!throttle) {
    throttle = new SignInThrottle(services.orm.em.getConnection().getKnex());
    throttles.set(services, throttle);
  }
  return throttle;
}

/** "Try again in 15 minutes." for the message the user reads. */
export function throttledMessage(retryAfterSeconds: number): string {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return `Too many sign-in attempts. Try again in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}.`;
}
