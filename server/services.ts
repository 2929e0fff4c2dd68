import type { Orm } from '../db/orm.js';
import type { Logger } from './logger.js';
import type { OAuthConfigs } from './oauth/config.js';
import type { RuntimeEnv } from './runtime-env.js';
import type { SecretStore } from './secrets/secret-store.js';

export type { RuntimeEnv } from './runtime-env.js';

/** Everything a procedure may use. Built once per process (server/main.ts, the CLI, tests). */
export interface AppServices {
  env: RuntimeEnv;
  logger: Logger;
  orm: Orm;
  secrets: SecretStore;
  /** Each OAuth connector's client configuration (or its sandbox's). */
  oauth: OAuthConfigs;
}
