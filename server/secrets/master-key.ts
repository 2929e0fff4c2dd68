/**
 * Parsing of the local backend's master keys, shared by the environment schema (server/env.ts)
 * and the backend itself, so a key is judged the same way wherever it is read. Messages
 * describe what is wrong with a key, never its material.
 */

/** A master key and the version recorded on the rows it encrypts. */
export interface MasterKey {
  version: number;
  key: Buffer;
}

export const MASTER_KEY_BYTES = 32;

// Standard alphabet, padded to a multiple of 4. `Buffer.from(v, 'base64')` would instead skip
// any character it does not know ('!!!!' + a valid key decodes to that key) and accept the
// URL-safe alphabet and missing padding, so a mistyped key could still "work".
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export type KeyDecoding = { ok: true; key: Buffer } | { ok: false; problem: string };

/** Decodes one base64 master key strictly: canonical base64, 32 bytes, not all zero. */
export function decodeMasterKey(value: string): KeyDecoding {
  if (value === '' || !CANONICAL_BASE64.test(value)) {
    return {
      ok: false,
      problem: 'must be standard base64 (A-Z, a-z, 0-9, +, / and = padding), e.g. `openssl rand -base64 32`',
    };
  }
  const key = Buffer.from(value, 'base64');
  // Unused low bits in the last character must be zero, or two spellings decode to one key.
  if (key.toString('base64') !== value) return { ok: false, problem: 'is not canonical base64 (non-zero padding bits)' };
  if (key.length !== MASTER_KEY_BYTES) {
    return { ok: false, problem: `must decode to exactly ${MASTER_KEY_BYTES} bytes (it decodes to ${key.length})` };
  }
  if (key.every((byte) => byte === 0)) return { ok: false, problem: 'must not be all zero bytes' };
  return { ok: true, key };
}

export type PreviousKeysDecoding = { ok: true; keys: MasterKey[] } | { ok: false; problems: string[] };

/**
 * `SECRETS_PREVIOUS_MASTER_KEYS`: `version:base64` pairs separated by commas. Each key is
 * decoded like the current one; versions are positive integers, unique, and (when the current
 * version is given) different from `SECRETS_MASTER_KEY_VERSION`.
 */
export function decodePreviousKeys(value: string, currentVersion?: number): PreviousKeysDecoding {
  const problems: string[] = [];
  const keys: MasterKey[] = [];
  const seen = new Set<number>();
  value.split(',').forEach((raw, index) => {
    const entry = raw.trim();
    const where = `entry ${index + 1}`;
    const match = /^(\d+):(.*)$/s.exec(entry);
    if (!match) {
      problems.push(`${where} must be version:base64 (e.g. 1:<key>)`);
      return;
    }
    const version = Number(match[1]);
    if (!Number.isSafeInteger(version) || version < 1) {
      problems.push(`${where}: the version must be a positive integer`);
      return;
    }
    const label = `${where} (version ${version})`;
    if (seen.has(version)) problems.push(`${label}: version ${version} appears more than once`);
    if (version === currentVersion) {
      problems.push(`${label}: version ${version} is SECRETS_MASTER_KEY_VERSION; a previous key needs its own version`);
    }
    seen.add(version);
    const decoded = decodeMasterKey(match[2] ?? '');
    if (!decoded.ok) problems.push(`${label}: the key ${decoded.problem}`);
    else keys.push({ version, key: decoded.key });
  });
  return problems.length ? { ok: false, problems } : { ok: true, keys };
}
