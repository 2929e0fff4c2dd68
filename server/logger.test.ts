import { UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { captureLogs } from '../test/support/logs.js';
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
});
