import { describe, expect, it } from 'vitest';
import { SecretValue } from '../secrets/secret-value.js';
import { authorizationHeader, parseAuthorizationHeader, verifySignature } from './signature.js';

describe('OAuth 1.0a HMAC-SHA1 signatures (RFC 5849)', () => {
  it('reproduces the example signature of RFC 5849 §1.2 (the request-token request)', () => {
    // RFC 5849 §1.2: consumer dpf43f3p2l4k3l03 / kd94hf93k423kf44, oauth_callback http://printer.example.com/ready.
    const header = authorizationHeader(
      { key: 'dpf43f3p2l4k3l03', secret: new SecretValue('kd94hf93k423kf44') },
      { method: 'POST', url: 'https://photos.example.net/initiate' },
      null,
      { oauth_callback: 'http://printer.example.com/ready' },
      () => ({ timestamp: 137131200, nonce: 'wIjqoS' }),
    );
    const params = parseAuthorizationHeader(header)!;
    // The RFC's example omits oauth_version; with it the value differs, so recompute it the RFC way.
    expect(params.oauth_callback).toBe('http://printer.example.com/ready');
    expect(params.oauth_signature_method).toBe('HMAC-SHA1');
    expect(verifySignature(params, { method: 'POST', url: 'https://photos.example.net/initiate' }, 'kd94hf93k423kf44', '')).toBe(true);
  });

  it('matches the RFC 5849 §1.2 signature exactly when signed with the same parameters', () => {
    // Without oauth_version, as in the RFC: the signature is 74KNZJeDHnMBp0EMJ9ZHt/XKycU=.
    const params = {
      oauth_consumer_key: 'dpf43f3p2l4k3l03',
      oauth_signature_method: 'HMAC-SHA1',
      oauth_timestamp: '137131200',
      oauth_nonce: 'wIjqoS',
      oauth_callback: 'http://printer.example.com/ready',
      oauth_signature: '74KNZJeDHnMBp0EMJ9ZHt/XKycU=',
    };
    expect(verifySignature(params, { method: 'POST', url: 'https://photos.example.net/initiate' }, 'kd94hf93k423kf44', '')).toBe(true);
    expect(verifySignature(params, { method: 'POST', url: 'https://photos.example.net/initiate' }, 'wrong-secret', '')).toBe(false);
  });

  it('binds the token secret, the method, the URL and its query into the signature', () => {
    const consumer = { key: 'key', secret: new SecretValue('consumer-secret') };
    const token = { key: 'tok', secret: new SecretValue('token-secret') };
    const request = { method: 'GET', url: 'https://api.trello.com/1/members/me?fields=fullName,username' };
    const params = parseAuthorizationHeader(authorizationHeader(consumer, request, token))!;
    expect(params.oauth_token).toBe('tok');
    expect(verifySignature(params, request, 'consumer-secret', 'token-secret')).toBe(true);
    expect(verifySignature(params, request, 'consumer-secret', 'other')).toBe(false);
    expect(verifySignature(params, { ...request, method: 'DELETE' }, 'consumer-secret', 'token-secret')).toBe(false);
    expect(verifySignature(params, { ...request, url: 'https://api.trello.com/1/members/me?fields=id' }, 'consumer-secret', 'token-secret')).toBe(false);
  });

  it('never puts a secret in the header', () => {
    const header = authorizationHeader(
      { key: 'key', secret: new SecretValue('consumer-secret-value') },
      { method: 'POST', url: 'https://trello.com/1/OAuthGetAccessToken' },
      { key: 'request-token', secret: new SecretValue('request-secret-value') },
      { oauth_verifier: 'v' },
    );
    expect(header).not.toContain('consumer-secret-value');
    expect(header).not.toContain('request-secret-value');
    expect(parseAuthorizationHeader(header)?.oauth_verifier).toBe('v');
  });

  it('refuses what is not an OAuth header', () => {
    expect(parseAuthorizationHeader('Bearer x')).toBeNull();
    expect(parseAuthorizationHeader(undefined)).toBeNull();
    expect(parseAuthorizationHeader('OAuth broken')).toBeNull();
  });
});
