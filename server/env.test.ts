import { describe, expect, it } from 'vitest';
import { clientEnvNames } from './connectors/client-env.js';
import { connectorIds } from './connectors/registry.js';
import { EnvError, envSchema, parseEnv } from './env.js';

const production = {
  NODE_ENV: 'production',
  SESSION_SECRET: 'x'.repeat(32),
  APP_URL: 'https://a.example',
  SECRETS_BACKEND: 'ssm',
};

const messageOf = (source: Record<string, string>): string => {
  try {
    parseEnv(source);
  } catch (error) {
    if (error instanceof EnvError) return error.message;
    throw error;
  }
  throw new Error('expected the environment to be refused');
};

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

  it('has a client id and secret variable for every connector in the registry', () => {
    const shape = Object.keys(envSchema.shape);
    for (const id of connectorIds) {
      const names = clientEnvNames(id);
      expect(shape, id).toContain(names.clientId);
      expect(shape, id).toContain(names.clientSecret);
    }
    expect(shape).toContain('GOOGLE_DRIVE_CLIENT_ID');
    expect(shape).toContain('INTERCOM_CLIENT_SECRET');
  });

  it('reads connector credentials trimmed, blank as unset', () => {
    const env = parseEnv({
      INTERCOM_CLIENT_ID: ' ic-id ',
      INTERCOM_CLIENT_SECRET: 'ic-secret',
      GOOGLE_DRIVE_CLIENT_ID: 'gd-id',
      GOOGLE_DRIVE_CLIENT_SECRET: '   ',
      SLACK_CLIENT_ID: '',
    });
    expect(env.INTERCOM_CLIENT_ID).toBe('ic-id');
    expect(env.INTERCOM_CLIENT_SECRET).toBe('ic-secret');
    expect(env.GOOGLE_DRIVE_CLIENT_ID).toBe('gd-id');
    expect(env.GOOGLE_DRIVE_CLIENT_SECRET).toBeUndefined();
    expect(env.SLACK_CLIENT_ID).toBeUndefined();
    expect(env.ZENDESK_CLIENT_ID).toBeUndefined();
  });

  it('in production, refuses any connector client id without its secret, naming the secret', () => {
    const message = messageOf({
      ...production,
      INTERCOM_CLIENT_ID: 'ic-id',
      GOOGLE_DRIVE_CLIENT_ID: 'gd-id-value',
      GOOGLE_DRIVE_CLIENT_SECRET: ' ',
      SLACK_CLIENT_ID: 'sl-id',
      SLACK_CLIENT_SECRET: 'sl-secret',
    });
    expect(message).toContain('INTERCOM_CLIENT_SECRET: is required when INTERCOM_CLIENT_ID is set');
    expect(message).toContain('GOOGLE_DRIVE_CLIENT_SECRET: is required when GOOGLE_DRIVE_CLIENT_ID is set');
    expect(message).not.toContain('SLACK');
    expect(message).not.toContain('gd-id-value');
    expect(message.split('\n')).toHaveLength(3);
    // Complete pairs, or a secret alone, are fine; so is a lone id outside production.
    expect(() => parseEnv({ ...production, ASANA_CLIENT_ID: 'a', ASANA_CLIENT_SECRET: 'b', JIRA_CLIENT_SECRET: 'c' })).not.toThrow();
    expect(parseEnv({ GOOGLE_DRIVE_CLIENT_ID: 'gd-id' }).GOOGLE_DRIVE_CLIENT_ID).toBe('gd-id');
  });

  it('accepts PROVIDER_ORIGIN_OVERRIDES pairs, in production too, and blank as unset', () => {
    const value = 'https://api.intercom.io=http://127.0.0.1:4010, https://app.intercom.com=https://fake.example';
    expect(parseEnv({ PROVIDER_ORIGIN_OVERRIDES: value }).PROVIDER_ORIGIN_OVERRIDES).toBe(value);
    expect(parseEnv({ ...production, PROVIDER_ORIGIN_OVERRIDES: value }).PROVIDER_ORIGIN_OVERRIDES).toBe(value);
    expect(parseEnv({ PROVIDER_ORIGIN_OVERRIDES: '  ' }).PROVIDER_ORIGIN_OVERRIDES).toBeUndefined();
    expect(parseEnv({}).PROVIDER_ORIGIN_OVERRIDES).toBeUndefined();
  });

  it('names PROVIDER_ORIGIN_OVERRIDES and each bad pair', () => {
    const message = messageOf({
      PROVIDER_ORIGIN_OVERRIDES: 'https://api.intercom.io/v1=http://127.0.0.1:4010,http://app.intercom.com=http://127.0.0.1:1',
    });
    expect(message).toContain(
      'PROVIDER_ORIGIN_OVERRIDES: "https://api.intercom.io/v1=http://127.0.0.1:4010": the source must be an https origin',
    );
    expect(message).toContain('PROVIDER_ORIGIN_OVERRIDES: "http://app.intercom.com=http://127.0.0.1:1": the source must be');
  });
});
