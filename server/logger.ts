import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * Paths that may carry secrets anywhere in a log object. pino replaces them with
 * `[redacted]`; SecretValue also serialises as `[redacted]`, so this is the second fence.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'code',
  '*.code',
  'client_secret',
  '*.client_secret',
  'clientSecret',
  '*.clientSecret',
  'value',
  '*.value',
  'privateKey',
  '*.privateKey',
  'jwt',
  '*.jwt',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

const SAFE_FIELDS = ['step', 'status', 'failure', 'reason', 'operation', 'location', 'attempts'] as const;

/**
 * How every `err` is logged. A database driver's message and stack repeat the failed statement
 * with its parameters (emails, names, ids), so driver errors are reduced to their name, SQL
 * state and constraint. Other errors keep message and stack (ours never hold values), and a
 * `cause` goes through the same rules, so a wrapped driver error cannot leak either.
 */
function isDriverError(e: Error & Record<string, unknown>): boolean {
  const sqlState = typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
  return sqlState || (e.name.endsWith('Exception') && ('sql' in e || 'sqlState' in e));
}

export function serializeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const e = error as Error & Record<string, unknown>;
  if (isDriverError(e)) {
    return {
      type: e.name,
      sqlState: typeof e.code === 'string' ? e.code : undefined,
      constraint: typeof e.constraint === 'string' ? e.constraint : undefined,
    };
  }
  // A wrapper that took its cause's message (tRPC does) would repeat the statement too.
  const cause = e.cause instanceof Error ? (e.cause as Error & Record<string, unknown>) : null;
  const inherited = cause !== null && isDriverError(cause) && e.message === cause.message;
  const out: Record<string, unknown> = inherited
    ? { type: e.name, message: `(${cause.name})` }
    : { type: e.name, message: e.message, stack: e.stack };
  for (const field of SAFE_FIELDS) if (field in e) out[field] = e[field];
  if (e.cause !== undefined && depth < 3) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

export interface LoggerOptions {
  level?: string;
  /** Where lines go; stdout by default. */
  destination?: pino.DestinationStream | NodeJS.WritableStream;
  /**
   * Human-readable lines (development) instead of JSON (production, test). Formatting happens
   * after redaction and serializers, so both still apply.
   */
  pretty?: boolean;
  /** Colours for pretty lines; defaults to whether the destination is a terminal. */
  colorize?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const pinoOptions: pino.LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'plugboard' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: (error: unknown) => serializeError(error) },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (!options.pretty) return pino(pinoOptions, options.destination as pino.DestinationStream | undefined);
  const destination = options.destination ?? process.stdout;
  // pino-pretty as a stream in this thread, written synchronously (not a worker transport):
  // nothing is left to flush when SIGTERM exits the process.
  const stream = pretty({
    destination,
    sync: true,
    colorize: options.colorize ?? (destination as { isTTY?: boolean }).isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    singleLine: false,
  });
  return pino(pinoOptions, stream);
}

/**
 * For the one line each request (and each token API answer) writes: fields the code sets from
 * values it checked (request id, method, path without its query, status, timing, ids and names
 * of its own), never a body, a header or a query string. Redaction, which walks and copies every
 * line for each of REDACT_PATHS, has nothing to find there and was the largest allocation of a
 * request, so this child of `logger` skips it. Every other line keeps it.
 */
export function accessLogger(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: [] } });
}

export type { Logger };
