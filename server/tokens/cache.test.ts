import { describe, expect, it } from 'vitest';
import { SecretValue } from '../secrets/secret-value.js';
import { TokenCache, type CachedToken } from './cache.js';

const entry = (version: number, token = `tok-${version}`): CachedToken => ({
  version,
  token: new SecretValue(token),
  tokenType: 'Bearer',
  validUntil: Date.now() + 60_000,
});

describe('TokenCache.coalesce', () => {
  it('reads once for a key and version however many ask at once, and again once that read is over', async () => {
    const cache = new TokenCache();
    let reads = 0;
    const read = async () => {
      reads += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return entry(3);
    };
    const answers = await Promise.all(Array.from({ length: 50 }, () => cache.coalesce('t:linear', 3, read)));
    expect(reads).toBe(1);
    expect(new Set(answers).size).toBe(1);
    await cache.coalesce('t:linear', 3, read);
    expect(reads).toBe(2);
  });

  it('keeps versions and connections apart', async () => {
    const cache = new TokenCache();
    const reads: string[] = [];
    const reader = (label: string, version: number) => async () => {
      reads.push(label);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return entry(version, label);
    };
    const [a, b, c] = await Promise.all([
      cache.coalesce('t:linear', 1, reader('linear v1', 1)),
      cache.coalesce('t:linear', 2, reader('linear v2', 2)),
      cache.coalesce('t:slack', 1, reader('slack v1', 1)),
    ]);
    expect(reads).toEqual(['linear v1', 'linear v2', 'slack v1']);
    expect([a.token.reveal(), b.token.reveal(), c.token.reveal()]).toEqual(['linear v1', 'linear v2', 'slack v1']);
  });

  it('gives every waiter the read’s failure, and lets the next miss read again', async () => {
    const cache = new TokenCache();
    let reads = 0;
    const failing = async (): Promise<CachedToken> => {
      reads += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new Error('SSM throttled');
    };
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => cache.coalesce('t:linear', 1, failing)));
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    expect(reads).toBe(1);
    expect((await cache.coalesce('t:linear', 1, async () => entry(1))).token.reveal()).toBe('tok-1');
  });
});
