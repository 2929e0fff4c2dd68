import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv } from './env.js';

describe('environment schema', () => {
  it('applies defaults for a bare development environment', () => {
    const env = parseEnv({});
    expect(env.NODE_ENV).toBe('development');
    expect(env.PORT).toBe(3000);
    expect(env.APP_URL).toBe('http://localhost:3000');
    expect(env.SECRETS_BACKEND).toBeUndefined();
  });

  it('derives APP_URL from PORT and strips a trailing slash', () => {
    expect(parseEnv({ PORT: '4000' }).APP_URL).toBe('http://localhost:4000');
    expect(parseEnv({ APP_URL: 'https://plugboard.example.com/' }).APP_URL).toBe('https://plugboard.example.com');
  });

  it('names every missing production variable in one error', () => {
    expect(() => parseEnv({ NODE_ENV: 'production' })).toThrow(EnvError);
    try {
      parseEnv({ NODE_ENV: 'production' });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('SESSION_SECRET: is required in production');
      expect(message).toContain('APP_URL: is required in production');
      expect(message).toContain('SECRETS_BACKEND: is required in production');
    }
  });

  it('names each malformed variable', () => {
    try {
      parseEnv({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        SESSION_SECRET: 'short',
        SECRETS_MASTER_KEY: 'bm90IDMyIGJ5dGVz',
        SSM_PARAMETER_PREFIX: 'no-leading-slash/',
        INTERCOM_API_URL: 'ftp://api.intercom.io',
      });
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(/PORT: /);
      expect(message).toContain('DATABASE_URL: must be a postgres:// or postgresql:// URL');
      expect(message).toContain('SESSION_SECRET: must be at least 32 characters');
      expect(message).toContain('SECRETS_MASTER_KEY: must decode to exactly 32 bytes (it decodes to 12)');
      expect(message).toContain('SSM_PARAMETER_PREFIX: must be empty or a path');
      expect(message).toContain('INTERCOM_API_URL: must be an http(s) URL');
    }
  });

  it('requires the master key in production when the local backend is chosen', () => {
    expect(() =>
      parseEnv({
        NODE_ENV: 'production',
        SESSION_SECRET: 'x'.repeat(32),
        APP_URL: 'https://a.example',
        SECRETS_BACKEND: 'local',
      }),
    ).toThrow(/SECRETS_MASTER_KEY: is required in production when SECRETS_BACKEND=local/);
  });

  it('has a 12-hour session idle timeout by default, configurable in whole hours', () => {
    expect(parseEnv({}).SESSION_IDLE_HOURS).toBe(12);
    expect(parseEnv({ SESSION_IDLE_HOURS: '2' }).SESSION_IDLE_HOURS).toBe(2);
    expect(() => parseEnv({ SESSION_IDLE_HOURS: '0' })).toThrow(/SESSION_IDLE_HOURS: /);
    expect(() => parseEnv({ SESSION_IDLE_HOURS: '1.5' })).toThrow(/SESSION_IDLE_HOURS: /);
  });

  it('treats empty strings as unset', () => {
    const env = parseEnv({ DATABASE_URL: '', SECRETS_BACKEND: '', INTERCOM_CLIENT_ID: '' });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.SECRETS_BACKEND).toBeUndefined();
    expect(env.INTERCOM_CLIENT_ID).toBeUndefined();
  });
});
