import { describe, expect, it } from 'vitest';
import { mediaType } from './body-limits.js';
import { isOAuthCallbackPath } from './security.js';

describe('isOAuthCallbackPath', () => {
  it.each([
    '/integrations/intercom/callback',
    '/integrations/intercom/callback/',
    '/integrations/google-drive/callback',
    '/integrations/google_email/callback/',
    '/Integrations/INTERCOM/Callback',
    '/integrations/intercom/%63allback',
    '/integrations/intercom%2Fcallback',
    '/integrations/intercom%252Fcallback',
    '//integrations/intercom//callback',
  ])('matches %s', (path) => expect(isOAuthCallbackPath(path)).toBe(true));

  it.each(['/integrations', '/integrations/intercom', '/login', '/callback', '/integrations/%E0%A4%A', '/api/trpc/intercom.exchange'])(
    'does not match %s',
    (path) => expect(isOAuthCallbackPath(path)).toBe(false),
  );
});

describe('mediaType', () => {
  it('reads the type without parameters, in lower case', () => {
    expect(mediaType('Application/JSON; charset=utf-8')).toBe('application/json');
    expect(mediaType('application/x-www-form-urlencoded')).toBe('application/x-www-form-urlencoded');
    expect(mediaType('')).toBeUndefined();
    expect(mediaType(undefined)).toBeUndefined();
  });
});
