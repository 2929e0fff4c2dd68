import { randomBytes, scryptSync } from 'node:crypto';

/**
 * A stored hash in the production format with tiny scrypt parameters. verifyPassword reads the
 * parameters from the hash, so tests that need many failed checks stay fast on a busy machine.
 */
export function cheapPasswordHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 1024, r: 8, p: 1 });
  return ['scrypt', 1024, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
}
