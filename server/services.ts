import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Orm } from '../db/orm.js';
import type { Env } from './env.js';
import type { Logger } from './logger.js';
import type { OAuthConfigs } from './oauth/config.js';
import type { SecretStore } from './secrets/secret-store.js';

/** The environment after start-up: secrets that development may generate are now present. */
export type RuntimeEnv = Env & { SESSION_SECRET: string };

/** Everything a procedure may use. Built once per process (server/main.ts, the CLI, tests). */
export interface AppServices {
  env: RuntimeEnv;
  logger: Logger;
  orm: Orm;
  secrets: SecretStore;
  /** Each OAuth connector's client configuration (or its sandbox's). */
  oauth: OAuthConfigs;
}

/** A generated secret kept in a file only its owner can read; made on first use. */
export function readOrCreateSecretFile(file: string, make: () => string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const value = make();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

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
