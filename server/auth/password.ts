import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Semaphore, SemaphoreFullError } from './semaphore.js';

/**
 * scrypt is deliberately expensive (~50 ms of a core each). Unbounded, 64 concurrent sign-ins
 * took every core and pushed unrelated requests from 50 ms to seconds. At most one core less
 * than the machine has is spent on it; a bounded queue waits behind, and beyond that callers
 * are told to come back shortly (see docs/decisions/006-sign-in-throttling.md).
 */
export const HASHING_CONCURRENCY = Math.max(1, availableParallelism() - 1);
export const HASHING_MAX_WAITING = 64;
export const HASHING_BUSY_RETRY_AFTER_SECONDS = 5;
const hashing = new Semaphore(HASHING_CONCURRENCY, HASHING_MAX_WAITING);

/** Too many password hashes are queued already. `retryAfterSeconds` is read by the login form. */
export class PasswordHashingBusyError extends Error {
  override readonly name = 'PasswordHashingBusyError';
  readonly retryAfterSeconds = HASHING_BUSY_RETRY_AFTER_SECONDS;
  constructor() {
    super('Password hashing queue is full');
  }
}

/** Counts every scrypt computation started (tests use it to prove a refused attempt cost none). */
export const hashingStats = { computations: 0 };

const scrypt = async (password: string, salt: Buffer, keylen: number, options: ScryptOptions) => {
  try {
    return await hashing.run(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          hashingStats.computations++;
          scryptCallback(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key)));
        }),
    );
  } catch (error) {
    if (error instanceof SemaphoreFullError) throw new PasswordHashingBusyError();
    throw error;
  }
};

// OWASP's scrypt minimum is N=2^17 with r=8, p=1; 2^15 with r=8 uses 32 MiB and ~50 ms here.
// Parameters are stored in the hash, so they can be raised later without a migration.
const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

/** `scrypt$N$r$p$salt$hash` (base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LENGTH, { ...PARAMS, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 256 * 1024 * 1024,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A valid hash of a random password: verifying against it costs the same as a real one. */
let dummyHash: Promise<string> | undefined;
export function timingDummyHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
}
