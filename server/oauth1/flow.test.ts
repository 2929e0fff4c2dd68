import { describe, expect, it } from 'vitest';
import { SecretValue } from '../secrets/secret-value.js';
import { openRequestToken, PENDING_REQUEST_FIELD, sealRequestToken, splitPendingRequest } from './flow.js';

describe('the sealed request token of an OAuth 1.0a attempt', () => {
  const secret = new SecretValue('request-token-secret-value');

  it('opens only with the same server secret and the same binding (connector and state)', () => {
    const sealed = sealRequestToken('session-secret', 'trello:state-a', 'request-token', secret);
    expect(sealed).not.toContain('request-token-secret-value');
    expect(openRequestToken('session-secret', 'trello:state-a', sealed)).toMatchObject({ token: 'request-token' });
    expect(openRequestToken('session-secret', 'trello:state-a', sealed)?.secret.reveal()).toBe('request-token-secret-value');
    expect(openRequestToken('session-secret', 'trello:state-b', sealed)).toBeNull();
    expect(openRequestToken('other-secret', 'trello:state-a', sealed)).toBeNull();
    expect(openRequestToken('session-secret', 'trello:state-a', `${sealed.slice(0, -2)}AA`)).toBeNull();
    expect(openRequestToken('session-secret', 'trello:state-a', 'garbage')).toBeNull();
  });

  it('is taken apart from the connection settings the state carried', () => {
    expect(splitPendingRequest(null)).toEqual({ settings: null, sealed: null });
    expect(splitPendingRequest({ region: 'eu' })).toEqual({ settings: { region: 'eu' }, sealed: null });
    expect(splitPendingRequest({ [PENDING_REQUEST_FIELD]: 'x' })).toEqual({ settings: null, sealed: 'x' });
    expect(splitPendingRequest({ region: 'eu', [PENDING_REQUEST_FIELD]: 'x' })).toEqual({ settings: { region: 'eu' }, sealed: 'x' });
  });
});
