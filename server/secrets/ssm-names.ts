/**
 * SSM parameter names for the secret backend: `${prefix}/${tenantId}/api-key/${KEY}`, checked
 * against SSM's naming rules before any call (characters, levels, length with the ARN prefix).
 */
import { SsmSecretBackendError } from './ssm-errors.js';

const TENANT_ID = /^[a-zA-Z0-9_.-]+$/;
export const KEY = /^[A-Z][A-Z0-9_]*$/;
export const NAME_SEGMENT = /^[a-zA-Z0-9_.-]+$/;
/** SSM refuses names whose first level starts with these, case-insensitively. */
const RESERVED_FIRST_LEVEL = /^(aws|ssm)/i;
export const MAX_LEVELS = 15;
export const MAX_ARN_LENGTH = 1011;
/**
 * Room kept for `arn:<partition>:ssm:<region>:<account>:parameter`, which counts toward the 1,011.
 * The longest today is 57 characters (`aws-us-gov` or `aws-iso-f` partition, a 15-character region);
 * 64 leaves margin for new regions. `us-east-1` in the `aws` partition needs 44.
 */
export const ARN_PREFIX_RESERVE = 64;
export const SSM_MAX_NAME_LENGTH = MAX_ARN_LENGTH - ARN_PREFIX_RESERVE;
export const SSM_MAX_VALUE_BYTES = 4096;
/** SSM's limit for the `Names` of GetParameters and DeleteParameters. */
export const BATCH_SIZE = 10;
/** Levels this backend adds below the prefix: tenant, `api-key`, key. */
const OWN_LEVELS = 3;

type NameCheck = { ok: true; name: string } | { ok: false; problem: string };

/** Quotes untrusted input for a message, short enough to keep a log line readable. */
function quote(input: string): string {
  return JSON.stringify(input.length > 64 ? `${input.slice(0, 64)}…` : input);
}

export function normalisePrefix(prefix: string): NameCheck {
  const trimmed = prefix.trim().replace(/\/+$/, '');
  if (trimmed === '') return { ok: true, name: '' };
  const normalised = trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
  const levels = normalised.slice(1).split('/');
  if (!levels.every((level) => NAME_SEGMENT.test(level))) {
    return { ok: false, problem: `SSM prefix ${quote(prefix)} must be levels of a-zA-Z0-9_.- separated by "/"` };
  }
  if (RESERVED_FIRST_LEVEL.test(levels[0] ?? '')) {
    return { ok: false, problem: `SSM prefix ${quote(prefix)} must not start with "aws" or "ssm" (reserved by SSM)` };
  }
  if (levels.length + OWN_LEVELS > MAX_LEVELS) {
    return {
      ok: false,
      problem: `SSM prefix ${quote(prefix)} has ${levels.length} levels; at most ${MAX_LEVELS - OWN_LEVELS} leave room for tenant/api-key/KEY`,
    };
  }
  return { ok: true, name: normalised };
}

/** `normalisedPrefix` must come from `normalisePrefix`. */
export function buildName(normalisedPrefix: string, tenantId: string, key: string): NameCheck {
  if (typeof tenantId !== 'string' || !TENANT_ID.test(tenantId) || tenantId === '.' || tenantId === '..') {
    return { ok: false, problem: `invalid tenant id ${quote(tenantId)}: must match ${TENANT_ID.source}` };
  }
  if (typeof key !== 'string' || !KEY.test(key)) {
    return { ok: false, problem: `invalid secret key ${quote(key)}: must match ${KEY.source}` };
  }
  if (normalisedPrefix === '' && RESERVED_FIRST_LEVEL.test(tenantId)) {
    // Without a prefix the tenant id is the first level, where SSM reserves these.
    return { ok: false, problem: `tenant id ${quote(tenantId)} cannot start a parameter name: SSM reserves "aws" and "ssm"` };
  }
  const name = `${normalisedPrefix}/${tenantId}/api-key/${key}`;
  if (name.length > SSM_MAX_NAME_LENGTH) {
    return {
      ok: false,
      problem:
        `parameter name for tenant ${quote(tenantId)} and key ${quote(key)} is ${name.length} characters; ` +
        `at most ${SSM_MAX_NAME_LENGTH} (SSM allows ${MAX_ARN_LENGTH} including the ARN prefix)`,
    };
  }
  return { ok: true, name };
}

/**
 * The SSM parameter name for a tenant's key: `${prefix}/${tenantId}/api-key/${key}`, the prefix
 * normalised (leading `/`, no trailing `/`). Throws a SecretBackendError when SSM would refuse it.
 */
export function ssmParameterName(prefix: string, tenantId: string, key: string): string {
  const normalised = normalisePrefix(prefix);
  if (!normalised.ok) throw new SsmSecretBackendError(normalised.problem, 'configure', null, null, 0);
  const built = buildName(normalised.name, tenantId, key);
  if (!built.ok) throw new SsmSecretBackendError(`SSM parameter name refused: ${built.problem}`, 'name', null, null, 0);
  return built.name;
}
