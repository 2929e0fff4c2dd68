import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { readOrCreateSecretFile } from '../db/secret-file.js';
import type { Env } from './env.js';

/** The environment after start-up: secrets that development may generate are now present. */
export type RuntimeEnv = Env & { SESSION_SECRET: string };

/**
 * Outside production a missing secret is generated once into DATA_DIR (owner-only), so a
 * restart keeps sessions valid. In production the env schema has already required it.
 */
export function readOrCreateDevSecret(env: Env, file: string, make: () => string): string {
  if (env.NODE_ENV === 'production') throw new Error(`${file} must be configured in production`);
  return readOrCreateSecretFile(path.resolve(env.DATA_DIR, file), make);
}

export function toRuntimeEnv(env: Env): RuntimeEnv {
  const SESSION_SECRET =
    env.SESSION_SECRET ?? readOrCreateDevSecret(env, 'session-secret', () => randomBytes(32).toString('base64url'));
  return { ...env, SESSION_SECRET };
}
