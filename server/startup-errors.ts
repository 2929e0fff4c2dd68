import { DatabaseConnectionError, EmbeddedDatabaseStartError } from '../db/connection-errors.js';
import { EnvError } from './env.js';
import { SecretBackendError } from './secrets/backend.js';

/**
 * The failures an operator can fix from configuration: a bad environment, a database that
 * cannot be reached or refuses us, a master key that does not match the stored key check, a
 * port already taken. For these the server and the CLI print the returned text on stderr
 * (one line, except the environment report which lists every problem) and exit 1, without a
 * stack trace. Anything else is a bug and keeps its stack: the caller gets null.
 */
export function startupFailureMessage(error: unknown): string | null {
  if (error instanceof EnvError) return error.message;
  if (error instanceof DatabaseConnectionError || error instanceof EmbeddedDatabaseStartError) return error.message;
  if (error instanceof SecretBackendError && error.operation === 'configure') return oneLine(error.message);
  if (isListenError(error)) {
    return error.code === 'EADDRINUSE'
      ? `Cannot listen on port ${error.port}: the port is already in use (EADDRINUSE). Set PORT to another port.`
      : `Cannot listen on port ${error.port}: ${error.code}.`;
  }
  return null;
}

function isListenError(error: unknown): error is NodeJS.ErrnoException & { code: string; port: number } {
  const e = error as NodeJS.ErrnoException & { port?: unknown };
  return (
    error instanceof Error &&
    e.syscall === 'listen' &&
    typeof e.code === 'string' &&
    typeof e.port === 'number'
  );
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
