import pg from 'pg';

/** How long a connection attempt may take before start-up gives up on the host. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** Where a connection URL points, without its password. */
export interface DatabaseTarget {
  host: string;
  port: number;
  user: string;
  database: string;
}

export type ConnectionFailure =
  | 'refused'
  | 'host-not-found'
  | 'unreachable'
  | 'timeout'
  | 'reset'
  | 'authentication'
  | 'missing-database'
  | 'other';

/**
 * The database could not be reached or refused us at start. The message is one line meant for
 * an operator: host and port, the cause, and what to check. It never holds the password.
 */
export class DatabaseConnectionError extends Error {
  override readonly name = 'DatabaseConnectionError';
  constructor(
    readonly target: DatabaseTarget,
    readonly failure: ConnectionFailure,
    cause: string,
  ) {
    super(`Cannot connect to PostgreSQL at ${formatHostPort(target)}: ${cause}. Check DATABASE_URL.`);
  }
}

/** The embedded PostgreSQL could not be started; the message says what to change. */
export class EmbeddedDatabaseStartError extends Error {
  override readonly name = 'EmbeddedDatabaseStartError';
}

export function describeTarget(url: string): DatabaseTarget {
  const u = new URL(url);
  return {
    host: decodeURIComponent(u.hostname).replace(/^\[(.*)\]$/, '$1') || 'localhost',
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')),
  };
}

function formatHostPort(target: DatabaseTarget): string {
  return `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
}

const NETWORK_CAUSES: Record<string, [ConnectionFailure, string]> = {
  ECONNREFUSED: ['refused', 'connection refused'],
  ENOTFOUND: ['host-not-found', 'host not found'],
  EAI_AGAIN: ['host-not-found', 'host name lookup failed'],
  EAI_FAIL: ['host-not-found', 'host name lookup failed'],
  EHOSTUNREACH: ['unreachable', 'host unreachable'],
  ENETUNREACH: ['unreachable', 'network unreachable'],
  EADDRNOTAVAIL: ['unreachable', 'address not available'],
  ETIMEDOUT: ['timeout', 'connection timed out'],
  ECONNRESET: ['reset', 'connection reset by the server'],
  EPIPE: ['reset', 'connection closed by the server'],
};

/**
 * Turns what `pg` throws while connecting into a DatabaseConnectionError: network errors by
 * their errno code, server refusals by SQL state (28xxx authentication, 3D000 missing
 * database). The server's own text for those names the user or database, never a password;
 * any text we pass on is still scrubbed of the URL's password in case a driver echoes it.
 */
export function toConnectionError(error: unknown, url: string, timeoutMs = CONNECT_TIMEOUT_MS): DatabaseConnectionError {
  const target = describeTarget(url);
  const password = safeDecode(new URL(url).password);
  const scrub = (text: string) => (password ? text.split(password).join('*****') : text);
  const e = (error ?? {}) as Partial<Error> & { code?: unknown; errors?: unknown };
  // Node reports a host with several addresses (localhost: ::1 and 127.0.0.1) as an AggregateError.
  const first = Array.isArray(e.errors) && e.errors.length > 0 ? (e.errors[0] as typeof e) : e;
  const code = typeof e.code === 'string' ? e.code : typeof first.code === 'string' ? first.code : '';
  const message = scrub(oneLine(typeof e.message === 'string' && e.message ? e.message : String(first.message ?? error)));

  const network = NETWORK_CAUSES[code];
  if (network) return new DatabaseConnectionError(target, network[0], `${network[1]} (${code})`);
  if (/timeout expired|connection timeout/i.test(message)) {
    return new DatabaseConnectionError(target, 'timeout', `no answer within ${timeoutMs / 1000} s (timeout)`);
  }
  if (code.startsWith('28')) return new DatabaseConnectionError(target, 'authentication', message);
  if (code === '3D000') return new DatabaseConnectionError(target, 'missing-database', message);
  return new DatabaseConnectionError(target, 'other', code ? `${message} (${code})` : message);
}

/**
 * Opens one connection and runs `select 1`, so a bad DATABASE_URL fails at start with a clear
 * DatabaseConnectionError rather than inside the ORM or a migration.
 */
export async function checkDatabaseConnection(url: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  // A connection that fails after connect() has settled emits 'error'; without a listener
  // that would crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw toConnectionError(error, url, timeoutMs);
  } finally {
    await client.end().catch(() => {});
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
