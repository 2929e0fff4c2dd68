import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import { clientEnvNames, clientEnvVariables, type ClientIdVariable, type ClientSecretVariable } from './connectors/client-env.js';
import { connectorIds, connectors, type ConnectorId } from './connectors/registry.js';
import type { ConnectorDefinition } from './connectors/types.js';
import { OriginOverridesError, parseOriginOverrides } from './oauth/origin-overrides.js';
import { decodeMasterKey, decodePreviousKeys } from './secrets/master-key.js';

/** An optional variable: set-but-empty (`FOO=` in a .env file) counts as unset. */
const unsetIfEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** Optional free text: blank or whitespace-only counts as unset. */
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/**
 * Every connector's OAuth client id and secret (`INTERCOM_CLIENT_ID`, `GOOGLE_DRIVE_CLIENT_SECRET`),
 * generated from the registry: a connector added there is configurable here with no edit.
 */
const clientVariables = clientEnvVariables(connectorIds);
type ClientCredentialShape = {
  [Id in ConnectorId as ClientIdVariable<Id> | ClientSecretVariable<Id>]: typeof optionalString;
};
const clientCredentialShape = Object.fromEntries(
  clientVariables.flatMap((v) => [
    [v.clientId, optionalString],
    [v.clientSecret, optionalString],
  ]),
) as ClientCredentialShape;

/** Checked with the parser the OAuth code uses, so a bad pair stops the start, named. */
const originOverrides = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .superRefine((v, ctx) => {
    try {
      parseOriginOverrides(v);
    } catch (error) {
      if (!(error instanceof OriginOverridesError)) throw error;
      for (const problem of error.problems) ctx.addIssue({ code: 'custom', message: problem });
    }
  })
  .optional();

/**
 * An app's RSA private key in PEM (PKCS#1 or PKCS#8; literal `\n` escapes accepted, as keys
 * kept in one-line variables have them). The message never repeats the value.
 */
const rsaPrivateKey = z.string().superRefine((value, ctx) => {
  try {
    const key = createPrivateKey(value.includes('\\n') ? value.replace(/\\n/g, '\n') : value);
    if (key.asymmetricKeyType !== 'rsa') ctx.addIssue({ code: 'custom', message: 'must be an RSA private key (PEM)' });
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an RSA private key in PEM format (-----BEGIN RSA PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----)' });
  }
});

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/**
 * The whole environment, validated once at start. A missing or malformed variable stops the
 * process with every problem named (see `formatEnvError`). Connector OAuth credentials are
 * here too (derived from the registry, see server/connectors/client-env.ts), so this schema
 * stays the one reference.
 */
export const envSchema = z
  .object({
    ...clientCredentialShape,
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    APP_URL: unsetIfEmpty(httpUrl),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATA_DIR: z.string().min(1).default('.data'),
    DATABASE_URL: unsetIfEmpty(z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' })),
    EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
    SESSION_SECRET: unsetIfEmpty(z.string().min(32, 'must be at least 32 characters')),
    SESSION_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 90).default(24 * 7),
    /** A session unused for this long is dead, whatever its absolute expiry. */
    SESSION_IDLE_HOURS: z.coerce.number().int().min(1).max(24 * 90).default(12),
    SECRETS_BACKEND: unsetIfEmpty(z.enum(['local', 'ssm'])),
    SECRETS_MASTER_KEY: unsetIfEmpty(
      z.string().superRefine((v, ctx) => {
        const decoded = decodeMasterKey(v);
        if (!decoded.ok) ctx.addIssue({ code: 'custom', message: decoded.problem });
      }),
    ),
    SECRETS_MASTER_KEY_VERSION: z.coerce.number().int().min(1).default(1),
    SECRETS_PREVIOUS_MASTER_KEYS: unsetIfEmpty(
      z.string().superRefine((v, ctx) => {
        const decoded = decodePreviousKeys(v);
        if (!decoded.ok) for (const problem of decoded.problems) ctx.addIssue({ code: 'custom', message: problem });
      }),
    ),
    SSM_PARAMETER_PREFIX: z
      .string()
      .default('')
      .refine(
        (v) => v === '' || /^(\/[a-zA-Z0-9_.-]+)+$/.test(v),
        'must be empty or a path like /plugboard/prod (no trailing slash)',
      ),
    SSM_KMS_KEY_ID: optionalString,
    OAUTH_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    OAUTH_SANDBOX: z.enum(['auto', 'off']).default('auto'),
    // Connection integrity (docs/decisions/009-grant-ledger.md) and the job worker.
    CALLBACK_DEADLINE_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
    JOBS_IN_PROCESS: z.enum(['on', 'off']).default('on'),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
    RECONCILE_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
    PENDING_GRANT_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600),
    REVOKE_RETRY_BASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    REVOKE_RETRY_WINDOW_SECONDS: z.coerce.number().int().min(1).max(30 * 86_400).default(48 * 3600),
    // Token lifecycle (docs/decisions/014-token-lifecycle.md) and the token API.
    TOKEN_REFRESH_MARGIN_SECONDS: z.coerce.number().int().min(0).max(3600).default(300),
    TOKEN_REFRESH_SWEEP_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    TOKEN_REFRESH_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(120),
    TOKEN_REFRESH_RETRY_BASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
    TOKEN_VERIFY_INTERVAL_HOURS: z.coerce.number().min(0.0001).max(24 * 30).default(24),
    TOKEN_API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(1200),
    PROVIDER_ORIGIN_OVERRIDES: originOverrides,
    INTERCOM_OAUTH_URL: unsetIfEmpty(httpUrl),
    INTERCOM_API_URL: unsetIfEmpty(httpUrl),
    // The GitHub App (server/connectors/github/definition.ts): its URL name, its private key for
    // the app's JWTs, and optionally its numeric id (the JWT issuer; the client id otherwise).
    GITHUB_APP_SLUG: unsetIfEmpty(z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,98}[A-Za-z0-9])?$/, "must be the app's URL name (letters, digits and hyphens)")),
    GITHUB_APP_ID: unsetIfEmpty(z.string().regex(/^\d{1,20}$/, 'must be the numeric app id')),
    GITHUB_APP_PRIVATE_KEY: unsetIfEmpty(rsaPrivateKey),
  })
  .superRefine((env, ctx) => {
    // Each key was checked on its own above; whether its version clashes needs both variables.
    if (env.SECRETS_PREVIOUS_MASTER_KEYS) {
      const decoded = decodePreviousKeys(env.SECRETS_PREVIOUS_MASTER_KEYS, env.SECRETS_MASTER_KEY_VERSION);
      if (!decoded.ok) {
        for (const problem of decoded.problems) ctx.addIssue({ code: 'custom', path: ['SECRETS_PREVIOUS_MASTER_KEYS'], message: problem });
      }
    }
    if (env.NODE_ENV !== 'production') return;
    if (!env.SESSION_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['SESSION_SECRET'], message: 'is required in production' });
    }
    if (!env.APP_URL) {
      ctx.addIssue({ code: 'custom', path: ['APP_URL'], message: 'is required in production' });
    }
    if (!env.SECRETS_BACKEND) {
      ctx.addIssue({
        code: 'custom',
        path: ['SECRETS_BACKEND'],
        message: 'is required in production (ssm, or local with SECRETS_MASTER_KEY)',
      });
    }
    const values: Record<string, unknown> = env;
    for (const { clientId, clientSecret } of clientVariables) {
      if (values[clientId] !== undefined && values[clientSecret] === undefined) {
        ctx.addIssue({ code: 'custom', path: [clientSecret], message: `is required when ${clientId} is set` });
      }
    }
    // An app's own credentials (spec.appCredentials) are needed as soon as its client id is set.
    for (const connector of connectors as readonly ConnectorDefinition[]) {
      const app = connector.oauth?.appCredentials;
      if (!app || values[clientEnvNames(connector.id).clientId] === undefined) continue;
      for (const name of [app.privateKey, app.slug]) {
        if (name && values[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: `is required when ${clientEnvNames(connector.id).clientId} is set` });
      }
    }
    if (env.SECRETS_BACKEND === 'local' && !env.SECRETS_MASTER_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['SECRETS_MASTER_KEY'],
        message: 'is required in production when SECRETS_BACKEND=local',
      });
    }
  });

export type Env = z.infer<typeof envSchema> & { APP_URL: string };

export class EnvError extends Error {
  override readonly name = 'EnvError';
}

/** One line per problem, naming the variable: "SESSION_SECRET: is required in production". */
export function formatEnvError(error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
    return `  ${name}: ${message}`;
  });
  return `Invalid environment:\n${lines.join('\n')}`;
}

export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) throw new EnvError(formatEnvError(result.error));
  const env = result.data;
  return { ...env, APP_URL: (env.APP_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '') };
}
