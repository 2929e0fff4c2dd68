/**
 * Decrypted tokens kept in this process, so the token API does not read the secret backend on
 * every call (SSM allows 40 reads a second per account by default). An entry is valid for its
 * connection's token version only (the installation row is read on every call anyway: a
 * refresh, disconnect or reconnect on any instance changes the version), and for at most 60 s
 * or until the token's refresh point, whichever is sooner.
 */
import type { SecretValue } from '../secrets/secret-value.js';

export const MAX_CACHE_SECONDS = 60;
const MAX_ENTRIES = 10_000;

export interface CachedToken {
  readonly version: number;
  readonly token: SecretValue;
  readonly tokenType: string;
  /** OAuth 1.0a: the token secret that signs requests with the token. */
  readonly tokenSecret?: SecretValue | null;
  readonly validUntil: number;
}

export class TokenCache {
  private readonly entries = new Map<string, CachedToken>();
  private readonly reading = new Map<string, Promise<CachedToken>>();

  get(key: string, version: number, now = Date.now()): CachedToken | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.version !== version || entry.validUntil <= now) {
      this.entries.delete(key);
      return null;
    }
    return entry;
  }

  set(key: string, entry: CachedToken): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    // Oldest first: a Map keeps insertion order.
    while (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
  }

  /**
   * One read of the secret backend for a key's version however many requests miss at once: when
   * an entry ends (after 60 s), every request in flight for that connection misses together, and
   * without this each would read (50 at once under the benchmark's load, past SSM's 40 a second).
   * The waiters share the read's outcome, its failure included; the next miss reads again.
   */
  async coalesce(key: string, version: number, read: () => Promise<CachedToken>): Promise<CachedToken> {
    const id = `${key}@${version}`;
    let pending = this.reading.get(id);
    if (!pending) {
      pending = read().finally(() => this.reading.delete(id));
      this.reading.set(id, pending);
    }
    return pending;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** One cache per secret store, i.e. per process's services (tests that build their own get their own). */
const caches = new WeakMap<object, TokenCache>();
export function tokenCacheFor(owner: object): TokenCache {
  let cache = caches.get(owner);
  if (!cache) caches.set(owner, (cache = new TokenCache()));
  return cache;
}
