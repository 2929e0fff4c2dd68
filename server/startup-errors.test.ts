import { describe, expect, it } from 'vitest';
import { DatabaseConnectionError, EmbeddedDatabaseStartError } from '../db/connection-errors.js';
import { EnvError } from './env.js';
import { SecretBackendError } from './secrets/backend.js';
import { startupFailureMessage } from './startup-errors.js';

describe('startupFailureMessage', () => {
  it('prints a master key mismatch found at start as its own line', () => {
    const error = new SecretBackendError(
      'SECRETS_MASTER_KEY does not match the key check stored in the database\n(was the key rotated?)',
      'configure',
      null,
    );
    expect(startupFailureMessage(error)).toBe(
      'SECRETS_MASTER_KEY does not match the key check stored in the database (was the key rotated?)',
    );
  });

  it('recognises database and environment failures', () => {
    const target = { host: 'db.example', port: 5432, user: 'app', database: 'plugboard' };
    expect(startupFailureMessage(new DatabaseConnectionError(target, 'refused', 'connection refused (ECONNREFUSED)'))).toBe(
      'Cannot connect to PostgreSQL at db.example:5432: connection refused (ECONNREFUSED). Check DATABASE_URL.',
    );
    const embedded = new EmbeddedDatabaseStartError('Embedded PostgreSQL did not start on port 54329 (is the port in use?)');
    expect(startupFailureMessage(embedded)).toBe(embedded.message);
    expect(startupFailureMessage(new EnvError('Invalid environment:\n  PORT: too big'))).toBe('Invalid environment:\n  PORT: too big');
  });

  it('leaves everything else to the stack trace: a secret backend failing at run time, a bug', () => {
    expect(startupFailureMessage(new SecretBackendError('SSM put failed at /t/api-key/X', 'put', '/t/api-key/X'))).toBeNull();
    expect(startupFailureMessage(new TypeError('undefined is not a function'))).toBeNull();
    expect(startupFailureMessage('a string')).toBeNull();
  });
});
