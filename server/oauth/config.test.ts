import { describe, expect, it } from 'vitest';
import { intercom } from '../connectors/intercom/definition.js';
import { parseEnv } from '../env.js';
import type { RuntimeEnv } from '../runtime-env.js';
import { authorizeOrigins, forConnection, oauthConnectors, resolveOAuthConfig } from './config.js';
import { TemplateError } from './templates.js';

const definition = oauthConnectors.find((c) => c.id === intercom.id)!;
const envOf = (vars: Record<string, string> = {}) =>
  ({ ...parseEnv({ NODE_ENV: 'test', APP_URL: 'http://localhost:3000', INTERCOM_CLIENT_ID: 'id', INTERCOM_CLIENT_SECRET: 'secret', ...vars }), SESSION_SECRET: 'x'.repeat(40) }) as RuntimeEnv;

describe('Intercom endpoints per region', () => {
  const config = resolveOAuthConfig(definition, envOf());

  it.each([
    ['us', 'https://app.intercom.com/oauth', 'https://api.intercom.io'],
    ['eu', 'https://app.eu.intercom.com/oauth', 'https://api.eu.intercom.io'],
    ['au', 'https://app.au.intercom.com/oauth', 'https://api.au.intercom.io'],
  ])('%s: the authorize host and the API host of that region', (region, authorize, api) => {
    const connection = forConnection(config, { region });
    expect(connection).toMatchObject({
      authorizeUrl: authorize,
      tokenUrl: `${api}/auth/eagle/token`,
      apiUrl: api,
      issuer: api,
      revokeUrl: null,
      loopbackHttp: false,
      connectionSettings: { region },
    });
  });

  it('the process-wide configuration is the default region, and the consent page may be in any region', () => {
    expect(config).toMatchObject({ authorizeUrl: 'https://app.intercom.com/oauth', apiUrl: 'https://api.intercom.io', connectionSettings: null });
    expect(authorizeOrigins(new Map([['intercom', config]]))).toEqual(['https://*.intercom.com']);
  });

  it('INTERCOM_OAUTH_URL and INTERCOM_API_URL replace every region', () => {
    const overridden = resolveOAuthConfig(definition, envOf({ INTERCOM_OAUTH_URL: 'http://127.0.0.1:4600/oauth', INTERCOM_API_URL: 'http://127.0.0.1:4600' }));
    for (const region of ['us', 'eu', 'au']) {
      expect(forConnection(overridden, { region })).toMatchObject({
        authorizeUrl: 'http://127.0.0.1:4600/oauth',
        tokenUrl: 'http://127.0.0.1:4600/auth/eagle/token',
        apiUrl: 'http://127.0.0.1:4600',
        loopbackHttp: true,
      });
    }
    expect(authorizeOrigins(new Map([['intercom', overridden]]))).toEqual(['http://127.0.0.1:4600']);
  });

  it('PROVIDER_ORIGIN_OVERRIDES applies after filling, per region', () => {
    const overridden = resolveOAuthConfig(definition, envOf({ PROVIDER_ORIGIN_OVERRIDES: 'https://api.eu.intercom.io=http://127.0.0.1:4601' }));
    expect(forConnection(overridden, { region: 'eu' }).tokenUrl).toBe('http://127.0.0.1:4601/auth/eagle/token');
    expect(forConnection(overridden, { region: 'us' }).tokenUrl).toBe('https://api.intercom.io/auth/eagle/token');
  });

  it('a value the schema would refuse still cannot reach another host', () => {
    // templateValues maps unknown regions to us; a raw template value is checked on its own.
    expect(forConnection(config, { region: 'evil.com/' }).apiUrl).toBe('https://api.intercom.io');
    expect(() => config.endpointsFor({ appHost: 'evil.com/', apiHost: 'api' })).toThrow(TemplateError);
    expect(() => config.endpointsFor({ appHost: 'app', apiHost: 'a@b' })).toThrow(TemplateError);
  });
});

describe('a sandbox stands in for every host of the provider', () => {
  const sandbox = { client: { clientId: 'sbx', clientSecret: 'sbx-secret' }, server: { oauthUrl: 'http://127.0.0.1:4999/oauth', apiUrl: 'http://127.0.0.1:4999', close: async () => {} } };

  it('a templated authorization host (Intercom, any region): each endpoint keeps its path on the sandbox, and only the sandbox may receive the form', () => {
    const config = resolveOAuthConfig(definition, envOf(), sandbox);
    expect(config.authorizeOrigins).toEqual(['http://127.0.0.1:4999']);
    for (const region of ['us', 'eu']) {
      expect(forConnection(config, { region })).toMatchObject({
        authorizeUrl: 'http://127.0.0.1:4999/oauth',
        tokenUrl: 'http://127.0.0.1:4999/auth/eagle/token',
        apiUrl: 'http://127.0.0.1:4999',
        loopbackHttp: true,
      });
    }
  });

  it('an authorization server on another host than the API (Atlassian)', () => {
    const jira = oauthConnectors.find((c) => c.id === 'jira')!;
    const config = resolveOAuthConfig(jira, envOf(), sandbox);
    expect(config).toMatchObject({
      authorizeUrl: 'http://127.0.0.1:4999/authorize',
      tokenUrl: 'http://127.0.0.1:4999/oauth/token',
      apiUrl: 'http://127.0.0.1:4999',
      authorizeOrigins: ['http://127.0.0.1:4999'],
    });
  });
});
