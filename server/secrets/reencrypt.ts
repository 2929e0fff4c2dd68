import type { Orm } from '../../db/orm.js';
import { open, seal, secretAssociatedData } from './local-crypto.js';
import type { MasterKey } from './master-key.js';

export interface ReencryptFailure {
  tenantId: string;
  key: string;
  /** Why the row could not be decrypted. Never a value. */
  reason: string;
}

export interface ReencryptReport {
  /** The version every row should end up under. */
  keyVersion: number;
  /** Rows seen. total = reencrypted + alreadyCurrent + failed + changed. */
  total: number;
  reencrypted: number;
  alreadyCurrent: number;
  failed: number;
  /** Rows deleted, or rewritten again and again, by concurrent writers while this ran. */
  changed: number;
  failures: ReencryptFailure[];
  /** Rows still under another version when the run ended (failed ones, or written meanwhile by an old process). */
  remaining: number;
}

interface Row {
  id: string;
  tenant_id: string;
  key: string;
  nonce: Buffer;
  ciphertext: Buffer;
  key_version: number;
  version: number;
}

const COLUMNS = 'id, tenant_id, key, nonce, ciphertext, key_version, version';
const ATTEMPTS = 3;

/**
 * Re-encrypts every `secret_values` row not under the current master key, in batches. Each
 * update applies only if the row is unchanged since it was read (same id, write count and key
 * version), so a concurrent write is never overwritten with the older value; such a row is read
 * again and retried. The write count and updated_at stay as they are: the value did not change.
 */
export async function reencryptSecrets(
  orm: Orm,
  current: MasterKey,
  keys: ReadonlyMap<number, Buffer>,
  options: { batchSize?: number } = {},
): Promise<ReencryptReport> {
  const batchSize = options.batchSize ?? 200;
  const connection = orm.em.fork().getConnection();
  const report: ReencryptReport = {
    keyVersion: current.version,
    total: 0,
    reencrypted: 0,
    alreadyCurrent: 0,
    failed: 0,
    changed: 0,
    failures: [],
    remaining: 0,
  };
  let after: string | null = null;
  for (;;) {
    const batch = (await (after === null
      ? connection.execute(`select ${COLUMNS} from secret_values order by id limit ?`, [batchSize])
      : connection.execute(`select ${COLUMNS} from secret_values where id > ? order by id limit ?`, [after, batchSize]))) as Row[];
    if (batch.length === 0) break;
    after = batch[batch.length - 1]!.id;
    for (const first of batch) {
      report.total += 1;
      let row: Row | undefined = first;
      let outcome: 'reencrypted' | 'alreadyCurrent' | 'failed' | 'changed' = 'changed';
      for (let attempt = 0; attempt < ATTEMPTS && row; attempt += 1) {
        if (row.key_version === current.version) {
          outcome = 'alreadyCurrent';
          break;
        }
        const plaintext = decrypt(row, keys);
        if (typeof plaintext === 'string') {
          outcome = 'failed';
          report.failures.push({ tenantId: row.tenant_id, key: row.key, reason: plaintext });
          break;
        }
        const sealed = seal(current.key, plaintext, secretAssociatedData(row.tenant_id, row.key));
        plaintext.fill(0);
        const updated = (await connection.execute(
          `update secret_values set nonce = ?, ciphertext = ?, key_version = ?
           where id = ? and version = ? and key_version = ? returning id`,
          [sealed.nonce, sealed.ciphertext, current.version, row.id, row.version, row.key_version],
        )) as { id: string }[];
        if (updated.length === 1) {
          outcome = 'reencrypted';
          break;
        }
        // Written or deleted since it was read: look again.
        row = ((await connection.execute(`select ${COLUMNS} from secret_values where id = ?`, [row.id])) as Row[])[0];
      }
      report[outcome] += 1;
    }
  }
  const [left] = (await connection.execute('select count(*)::int as n from secret_values where key_version <> ?', [
    current.version,
  ])) as { n: number }[];
  report.remaining = left?.n ?? 0;
  return report;
}

/** The plaintext, or why it cannot be had. */
function decrypt(row: Row, keys: ReadonlyMap<number, Buffer>): Buffer | string {
  const key = keys.get(row.key_version);
  if (!key) return `master key version ${row.key_version} is not configured`;
  const plaintext = open(key, row, secretAssociatedData(row.tenant_id, row.key));
  return plaintext ?? `authentication failed under master key version ${row.key_version} (wrong key, or the row was altered or moved)`;
}
