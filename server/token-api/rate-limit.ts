import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { THROTTLE_TABLE } from '../auth/sign-in-throttle.js';
import type { AppServices } from '../services.js';

/**
 * The token API's limit per service key: TOKEN_API_RATE_LIMIT_PER_MINUTE requests in a fixed
 * one-minute window, counted in Postgres so that every app instance shares one budget
 * (docs/decisions/015-service-keys-and-token-api.md). It shares the sign-in throttle's table
 * (migration-made; the library never issues DDL) under its own key prefix. Once a key is over
 * its limit, this instance refuses it from memory until the window ends, so a runaway service
 * costs no database write per request.
 */
export class TokenApiRateLimit {
  private readonly limiter: RateLimiterPostgres;

  constructor(storeClient: unknown, readonly perMinute: number) {
    this.limiter = new RateLimiterPostgres({
      storeClient,
      storeType: 'knex',
      tableName: THROTTLE_TABLE,
      tableCreated: true,
      keyPrefix: 'token_api',
      points: perMinute,
      duration: 60,
      inMemoryBlockOnConsumed: perMinute + 1,
    });
  }

  /** Counts one request of the key; the seconds to wait when it is over its limit, else null. */
  async take(serviceKeyId: string): Promise<number | null> {
    try {
      await this.limiter.consume(serviceKeyId);
      return null;
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      return Math.max(1, Math.ceil(error.msBeforeNext / 1000));
    }
  }
}

const limits = new WeakMap<AppServices, TokenApiRateLimit>();

/** One limiter per set of services (one per app instance), on the ORM's own connection pool. */
export function tokenApiRateLimitFor(services: AppServices): TokenApiRateLimit {
  let limit = limits.get(services);
  if (!limit) {
    limit = new TokenApiRateLimit(services.orm.em.getConnection().getKnex(), services.env.TOKEN_API_RATE_LIMIT_PER_MINUTE);
    limits.set(services, limit);
  }
  return limit;
}
