import type { Orm } from '../../db/orm.js';
import { SecretBackendError } from './backend.js';
import { KEY_CHECK_PLAINTEXT, keyCheckAssociatedData, open, seal, secretAssociatedData, type Sealed } from './local-crypto.js';
import type { MasterKey } from './master-key.js';

type Connection = ReturnType<Orm['em']['getConnection']>;

/** How many rows a key is tried on when its version has rows but no key check value yet. */
const TRIAL_ROWS = 20;

/**
 * Start-up check of the local backend's master keys against `secret_key_checks`, so a process
 * given the wrong key refuses to run instead of serving "connected" for tokens it cannot read
 * (and deleting them unrevoked on Disconnect). See docs/decisions/007-master-key-rotation.md.
 *
 * - The current key must open the check value stored for its version. On the version's first
 *   use the check value is written (insert-or-ignore, then read back and verified, so two
 *   instances starting together on an empty table agree or one of them refuses).
 * - Each previous key must open its own version's check value.
 * - Rows under a version with no configured key refuse the start too.
 * - A version with rows but no check value (rows written before checks existed) is first tried
 *   on its rows: only a key that decrypts one of them gets its check value recorded.
 *
 * Every problem found goes into one SecretBackendError (operation 'configure').
 */
export async function verifyMasterKeys(orm: Orm, current: MasterKey, previous: readonly MasterKey[]): Promise<void> {
  const connection = orm.em.fork().getConnection();
  let problems: string[];
  try {
    problems = await findProblems(connection, current, previous);
  } catch (error) {
    throw new SecretBackendError(
      `Cannot check the master keys against secret_key_checks: ${(error as { code?: string }).code ?? 'database error'}`,
      'configure',
      null,
    );
  }
  if (problems.length) throw new SecretBackendError(problems.join(' Also: '), 'configure', null);
}

async function findProblems(connection: Connection, current: MasterKey, previous: readonly MasterKey[]): Promise<string[]> {
  const problems: string[] = [];
  const configured = new Set([current.version, ...previous.map((k) => k.version)]);
  const stored = (await connection.execute('select distinct key_version from secret_values order by key_version')) as {
    key_version: number;
  }[];
  const missing = stored.map((r) => r.key_version).filter((v) => !configured.has(v));
  if (missing.length) {
    problems.push(
      `secret_values has rows encrypted with master key version ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} ` +
        `not configured: add ${missing.length > 1 ? 'them' : 'it'} to SECRETS_PREVIOUS_MASTER_KEYS as version:base64 ` +
        '(keep old keys until `npm run cli -- secrets:reencrypt` has moved every row to the current key).',
    );
  }

  const currentResult = await checkKey(connection, current, true);
  if (currentResult === 'mismatch') {
    problems.push(
      `SECRETS_MASTER_KEY is not the key master key version ${current.version} was first used with ` +
        '(it does not match the key check value stored in secret_key_checks, or does not decrypt the stored secrets). ' +
        'Restore the original key; to rotate, give the new key a new SECRETS_MASTER_KEY_VERSION and move the old one ' +
        'to SECRETS_PREVIOUS_MASTER_KEYS.',
    );
  }
  for (const key of previous) {
    if ((await checkKey(connection, key, false)) === 'mismatch') {
      problems.push(
        `SECRETS_PREVIOUS_MASTER_KEYS: the key for version ${key.version} is not the key that version was used with ` +
          '(it does not match its key check value in secret_key_checks, or does not decrypt the stored secrets).',
      );
    }
  }
  return problems;
}

/**
 * 'ok' when the key opens its version's check value (writing one on first use), 'mismatch' when
 * it does not, 'unused' for a previous key whose version has neither a check value nor rows.
 */
async function checkKey(connection: Connection, masterKey: MasterKey, isCurrent: boolean): Promise<'ok' | 'mismatch' | 'unused'> {
  let check = await readCheck(connection, masterKey.version);
  if (!check) {
    const rows = (await connection.execute(
      'select tenant_id, key, nonce, ciphertext from secret_values where key_version = ? limit ?',
      [masterKey.version, TRIAL_ROWS],
    )) as { tenant_id: string; key: string; nonce: Buffer; ciphertext: Buffer }[];
    if (rows.length) {
      // GCM authentication makes a successful decryption under a wrong key practically impossible,
      // so one row that opens is proof; trying several tolerates a single damaged row.
      const opens = rows.some((row) => {
        const plaintext = open(masterKey.key, row, secretAssociatedData(row.tenant_id, row.key));
        plaintext?.fill(0);
        return plaintext !== null;
      });
      if (!opens) return 'mismatch';
    } else if (!isCurrent) {
      return 'unused'; // nothing to decrypt and nothing will be written under it: nothing to vouch for
    }
    const sealed = seal(masterKey.key, KEY_CHECK_PLAINTEXT, keyCheckAssociatedData(masterKey.version));
    await connection.execute(
      `insert into secret_key_checks (key_version, nonce, ciphertext, created_at) values (?, ?, ?, now())
       on conflict (key_version) do nothing`,
      [masterKey.version, sealed.nonce, sealed.ciphertext],
    );
    // Another instance may have won the insert with its own key: verify what is stored.
    check = await readCheck(connection, masterKey.version);
    if (!check) return 'mismatch';
  }
  const plaintext = open(masterKey.key, check, keyCheckAssociatedData(masterKey.version));
  return plaintext?.equals(KEY_CHECK_PLAINTEXT) ? 'ok' : 'mismatch';
}

async function readCheck(connection: Connection, version: number): Promise<Sealed | null> {
  const rows = (await connection.execute('select nonce, ciphertext from secret_key_checks where key_version = ?', [version])) as Sealed[];
  return rows[0] ?? null;
}
