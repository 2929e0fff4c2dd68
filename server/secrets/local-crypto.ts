/** AES-256-GCM as the local secret backend uses it, and the associated data it binds. */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface Sealed {
  nonce: Buffer;
  /** Ciphertext followed by the 16-byte authentication tag. */
  ciphertext: Buffer;
}

/** AES-256-GCM with a fresh random 12-byte nonce and the given associated data. */
export function seal(key: Buffer, plaintext: Buffer, associatedData: Buffer): Sealed {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(associatedData);
  return { nonce, ciphertext: Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]) };
}

/** The plaintext, or null when authentication fails (wrong key, altered or moved data). */
export function open(key: Buffer, sealed: Sealed, associatedData: Buffer): Buffer | null {
  if (sealed.ciphertext.length < TAG_BYTES || sealed.nonce.length !== NONCE_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.nonce);
    decipher.setAAD(associatedData);
    decipher.setAuthTag(sealed.ciphertext.subarray(sealed.ciphertext.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.ciphertext.subarray(0, sealed.ciphertext.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return null;
  }
}

/** A `secret_values` row is bound to its tenant and key, so a copied or renamed row fails to open. */
export function secretAssociatedData(tenantId: string, key: string): Buffer {
  return Buffer.from(`plugboard:v1:${tenantId}/${key}`, 'utf8');
}

/** A key check value is bound to its version, so one version's check cannot vouch for another. */
export function keyCheckAssociatedData(version: number): Buffer {
  return Buffer.from(`plugboard-key-check/${version}`, 'utf8');
}

/** The fixed constant a key check value encrypts. Not secret: only the key that sealed it can open it. */
export const KEY_CHECK_PLAINTEXT = Buffer.from('plugboard master key check v1', 'utf8');
