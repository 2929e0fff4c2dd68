import { describe, expect, it } from 'vitest';
import { clientCredentials, clientEnvNames, clientEnvVariables, connectorEnvPrefix } from './client-env.js';
import { connectorIds } from './registry.js';

describe('connector client credential variables', () => {
  it('upper-cases the id and turns every other character into _', () => {
    expect(clientEnvNames('intercom')).toEqual({ clientId: 'INTERCOM_CLIENT_ID', clientSecret: 'INTERCOM_CLIENT_SECRET' });
    expect(clientEnvNames('google_drive')).toEqual({
      clientId: 'GOOGLE_DRIVE_CLIENT_ID',
      clientSecret: 'GOOGLE_DRIVE_CLIENT_SECRET',
    });
    expect(connectorEnvPrefix('acme-crm.v2')).toBe('ACME_CRM_V2');
    expect(connectorEnvPrefix('o365')).toBe('O365');
    expect(() => connectorEnvPrefix('')).toThrow(/empty/);
  });

  it('gives every registry connector its own pair of variables', () => {
    const variables = clientEnvVariables(connectorIds);
    expect(variables.map((v) => v.connector)).toEqual([...connectorIds]);
    const names = variables.flatMap((v) => [v.clientId, v.clientSecret]);
    expect(new Set(names).size).toBe(connectorIds.length * 2);
    for (const name of names) expect(name).toMatch(/^[A-Z][A-Z0-9_]*_CLIENT_(ID|SECRET)$/);
    expect(names).toContain('GOOGLE_EMAIL_CLIENT_SECRET');
  });

  it('refuses two ids that would read the same variables', () => {
    expect(() => clientEnvVariables(['google_drive', 'slack', 'google-drive'])).toThrow(
      'Connectors google_drive and google-drive would both read GOOGLE_DRIVE_CLIENT_ID and GOOGLE_DRIVE_CLIENT_SECRET',
    );
  });

  it('reads the credentials trimmed, with blank or missing values absent', () => {
    const env = {
      INTERCOM_CLIENT_ID: '  abc123 ',
      INTERCOM_CLIENT_SECRET: 's3cret',
      GOOGLE_DRIVE_CLIENT_ID: '   ',
      SLACK_CLIENT_ID: 42,
    };
    expect(clientCredentials(env, 'intercom')).toEqual({ clientId: 'abc123', clientSecret: 's3cret' });
    const drive = clientCredentials(env, 'google_drive');
    expect(drive).toEqual({});
    expect('clientId' in drive).toBe(false);
    expect(clientCredentials(env, 'slack')).toEqual({});
    expect(clientCredentials({ LINEAR_CLIENT_SECRET: 'x' }, 'linear')).toEqual({ clientSecret: 'x' });
  });
});
