/** The missing-scope rule behind `status.missingScopes`, for any connector. */
import { describe, expect, it } from 'vitest';
import { missingScopes } from './connector-status.js';

describe('missingScopes', () => {
  const spec = { scopes: ['openid', 'email', 'drive.readonly', 'offline_access'], scopeLabels: { 'drive.readonly': 'See your Drive files' } };

  it('names each requested scope that was not granted, with its plain words or else the scope', () => {
    expect(missingScopes(spec, ['openid'])).toEqual([
      { scope: 'email', label: 'email' },
      { scope: 'drive.readonly', label: 'See your Drive files' },
    ]);
    expect(missingScopes(spec, ['openid', 'email', 'drive.readonly', 'extra'])).toEqual([]);
  });

  it('says nothing when the provider does not report what it granted, or nothing was asked', () => {
    expect(missingScopes(spec, null)).toEqual([]);
    expect(missingScopes({}, ['read'])).toEqual([]);
  });

  it('never reports offline_access, which asks for a refresh token rather than access', () => {
    expect(missingScopes(spec, ['openid', 'email', 'drive.readonly'])).toEqual([]);
  });
});
