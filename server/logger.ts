import { pino, type Logger } from 'pino';

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
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'plugboard' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

export type { Logger };
