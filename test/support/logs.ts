import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../server/logger.js';

/** A real pino logger (with the production redaction) whose lines are kept for assertions. */
export function captureLogs(level = 'debug'): { logger: Logger; lines: string[]; text(): string } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  return { logger: createLogger({ level, destination }), lines, text: () => lines.join('\n') };
}
