import { UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { TRPCError } from '@trpc/server';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { captureLogs } from '../test/support/logs.js';
import { accessLogger, createLogger } from './logger.js';
import { SecretValue } from './secrets/secret-value.js';

const driverError = () =>
  new UniqueConstraintViolationException(
    Object.assign(new Error('insert into "users" ("email") values (\'ada@example.test\') - duplicate key value'), {
      code: '23505',
      constraint: 'users_email_unique',
    }),
  );

describe('logger', () => {
  it('logs a database error by name, SQL state and constraint, never its statement', () => {
    const { logger, text } = captureLogs();
    logger.error({ err: driverError() }, 'write failed');
    logger.error({ err: new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: driverError() }) }, 'procedure failed');
    expect(text()).not.toContain('ada@example.test');
    expect(text()).not.toContain('insert into');
    expect(text()).toContain('"sqlState":"23505"');
    expect(text()).toContain('"constraint":"users_email_unique"');
  });

  it('keeps our own errors whole, with their safe fields and cause', () => {
    const { logger, lines } = captureLogs();
    logger.warn({ err: Object.assign(new Error('outer', { cause: new Error('inner') }), { step: 'token', status: 502 }) }, 'x');
    const logged = JSON.parse(lines[0]!) as { err: { message: string; step: string; status: number; cause: { message: string } } };
    expect(logged.err).toMatchObject({ message: 'outer', step: 'token', status: 502, cause: { message: 'inner' } });
  });

  it('redacts secret-bearing fields and SecretValue wherever they appear', () => {
    const { logger, text } = captureLogs();
    logger.info(
      { token: 'tok_plain_1', body: { access_token: 'tok_plain_2', password: 'pw_plain_3' }, value: new SecretValue('tok_plain_4') },
      'x',
    );
    for (const secret of ['tok_plain_1', 'tok_plain_2', 'pw_plain_3', 'tok_plain_4']) expect(text()).not.toContain(secret);
  });

  it('writes access lines through a child without redaction, which leaves every other line redacted', () => {
    const { logger, lines } = captureLogs('info');
    const access = accessLogger(logger);
    access.info({ requestId: 'r1', path: '/api/v1/connections/linear/token', status: 200 }, 'token API answer');
    logger.info({ token: 'tok_plain_5' }, 'x');
    access.debug({ requestId: 'r2' }, 'below the level');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toMatchObject({ service: 'plugboard', requestId: 'r1', status: 200, msg: 'token API answer' });
    expect(lines[1]).not.toContain('tok_plain_5');
  });

  describe('pretty (development) lines', () => {
    function prettyLogger() {
      let out = '';
      const destination = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          out += chunk.toString('utf8');
          callback();
        },
      });
      return { logger: createLogger({ level: 'debug', pretty: true, colorize: false, destination }), text: () => out };
    }

    it('are human-readable, not JSON, and written before the call returns', () => {
      const { logger, text } = prettyLogger();
      logger.info({ backend: 'local' }, 'secret store ready');
      expect(text()).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: secret store ready\n {4}backend: "local"\n$/);
      expect(text()).not.toContain('"level"');
    });

    it('still redact secret fields and SecretValue', () => {
      const { logger, text } = prettyLogger();
      logger.info({ token: 'tok_plain_1', body: { client_secret: 'cs_plain_2' }, value: new SecretValue('tok_plain_3') }, 'x');
      for (const secret of ['tok_plain_1', 'cs_plain_2', 'tok_plain_3']) expect(text()).not.toContain(secret);
      expect(text()).toContain('token: "[redacted]"');
      expect(text()).toContain('"client_secret": "[redacted]"');
    });

    it('still reduce a database error to name, SQL state and constraint', () => {
      const { logger, text } = prettyLogger();
      logger.error({ err: driverError() }, 'write failed');
      expect(text()).toContain('ERROR: write failed');
      expect(text()).toContain('23505');
      expect(text()).toContain('users_email_unique');
      expect(text()).not.toContain('ada@example.test');
      expect(text()).not.toContain('insert into');
    });
  });
});
