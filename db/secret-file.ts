import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A generated secret kept in a file only its owner can read; made on first use. The lowest
 * layer's helper: the embedded database keeps its password this way, and the server its
 * development secrets (server/runtime-env.ts).
 */
export function readOrCreateSecretFile(file: string, make: () => string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const value = make();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}
