/** HubSpot's definition, the pure parts: the token answer, the account details, the learned values, the revoke setting. */
import { describe, expect, it } from 'vitest';
import { SecretValue } from '../../secrets/secret-value.js';
import { defaultConnectionSettings, parseConnectionSettings } from '../settings.js';
import type { ConnectorDefinition, OAuthSpec, ProviderCallContext } from '../types.js';
import { hubspot } from './definition.js';

const definition = hubspot as ConnectorDefinition & { oauth: OAuthSpec<string> };
const spec = definition.oauth;
const failure = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error);

/** A hook context whose fetch answers `body` with `status`, recording the URL asked. */
function answering(status: number, body: unknown): ProviderCallContext & { urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    apiUrl: 'https://api.hubapi.com',
    settings: {},
    accessToken: new SecretValue('hs-access'),
    fetch: (url) => {
      urls.push(url);
      return Promise.resolve(Response.json(body, { status }));
    },
  };
}

describe('HubSpot definition', () => {
  it('joins the `scopes` array of the token answer into `scope`, and leaves an RFC 6749 answer alone', () => {
    const normalize = spec.normalizeTokenAnswer!;
    expect(normalize({ access_token: 'a', token_type: 'bearer', hub_id: 1, scopes: ['oauth', 'crm.objects.contacts.read'] })).toMatchObject({
      scope: 'oauth crm.objects.contacts.read',
    });
    expect(normalize({ access_token: 'a', token_type: 'bearer', scope: 'oauth', scopes: ['x'] })).toMatchObject({ scope: 'oauth' });
    expect(normalize({ access_token: 'a', token_type: 'bearer' })).not.toHaveProperty('scope');
  });

  it('names the account from account details: the portal id, and the UI domain as a learned value', async () => {
    const ctx = answering(200, { portalId: 12345678, uiDomain: 'app-eu1.hubspot.com', accountType: 'STANDARD', dataHostingLocation: 'eu1' });
    expect(await spec.identify(ctx)).toEqual({
      id: '12345678',
      name: 'HubSpot portal 12345678 (app-eu1.hubspot.com)',
      settings: { portalId: '12345678', uiDomain: 'app-eu1.hubspot.com' },
    });
    expect(ctx.urls).toEqual(['https://api.hubapi.com/account-info/2026-03/details']);
    expect(await failure(spec.identify(answering(200, { portalId: '12345678' })))).toMatchObject({ step: 'identify', failure: 'malformed_response' });
    expect(await failure(spec.identify(answering(401, { status: 'error' })))).toMatchObject({ step: 'identify', status: 401 });
  });

  it('learns only a HubSpot UI host and a numeric portal id', () => {
    const { uiDomain, portalId } = spec.learned!;
    for (const ok of ['app.hubspot.com', 'app-eu1.hubspot.com', 'app-na2.hubspot.com']) expect(uiDomain!.schema.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['evil.example', 'app.hubspot.com.evil.example', 'https://app.hubspot.com', 'app-eu1.hubspot.com/x']) {
      expect(uiDomain!.schema.safeParse(bad).success, bad).toBe(false);
    }
    expect(portalId!.schema.safeParse('2519445').success).toBe(true);
    expect(portalId!.schema.safeParse('25x').success).toBe(false);
  });

  it('revokes on disconnect unless the connection says No; Yes is the default', () => {
    expect(defaultConnectionSettings(definition)).toEqual({ revokeOnDisconnect: 'yes' });
    expect(parseConnectionSettings(definition, { revokeOnDisconnect: 'no' })).toEqual({ success: true, settings: { revokeOnDisconnect: 'no' } });
    expect(parseConnectionSettings(definition, { revokeOnDisconnect: 'sometimes' }).success).toBe(false);
    expect(spec.revoke).toBe('rfc7009');
    expect(spec.revokeWhen?.({ revokeOnDisconnect: 'yes' })).toBe(true);
    expect(spec.revokeWhen?.({ revokeOnDisconnect: 'no' })).toBe(false);
    // A grant recorded without the setting is revoked, as before the setting existed.
    expect(spec.revokeWhen?.({})).toBe(true);
  });
});
