import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveOnConsentPage } from '../../../test/support/app-client.js';
import { parseConnectionSettings } from '../settings.js';
import { startOAuthSandbox, type OAuthSandbox } from '../../sandbox/oauth-sandbox.js';
import { zendesk, zendeskSubdomain } from './definition.js';
import { zendeskSandboxProfile } from './sandbox-profile.js';

describe('the Zendesk subdomain', () => {
  it.each(['acme', 'acme-support', 'a', 'x1', 'a'.repeat(63)])('accepts %s', (value) => {
    expect(zendeskSubdomain.parse(value)).toBe(value);
  });

  it('trims and lower-cases what was typed', () => {
    expect(zendeskSubdomain.parse('  Acme-EU ')).toBe('acme-eu');
  });

  it.each(['', ' ', '-acme', 'acme-', 'ac_me', 'acme.zendesk.com', 'https://acme.zendesk.com', 'acme/', 'acme@evil', 'acme:443', 'ácme', 'a'.repeat(64)])(
    'refuses %j with a message that does not repeat it',
    (value) => {
      const parsed = zendeskSubdomain.safeParse(value);
      expect(parsed.success).toBe(false);
      const message = parsed.error?.issues[0]?.message ?? '';
      expect(message).toMatch(/subdomain/i);
      if (value.trim()) expect(message).not.toContain(value.trim());
    },
  );

  it('is the one setting, required: Connect without it is refused', () => {
    expect(parseConnectionSettings(zendesk, {}).success).toBe(false);
    expect(parseConnectionSettings(zendesk, { subdomain: 'acme', region: 'eu' }).success).toBe(false);
    expect(parseConnectionSettings(zendesk, { subdomain: 'Acme' })).toEqual({ success: true, settings: { subdomain: 'acme' } });
  });
});

describe('the Zendesk sandbox token endpoint', () => {
  const client = { clientId: 'zd-unit', clientSecret: randomBytes(12).toString('hex') };
  const redirectUri = 'http://localhost:3000/integrations/zendesk/callback';
  let sandbox: OAuthSandbox;
  beforeAll(async () => {
    sandbox = await startOAuthSandbox(zendeskSandboxProfile({ subdomain: 'acme' }), client);
  });
  afterAll(() => sandbox?.close());

  async function exchange(extra: Record<string, string>) {
    const back = await approveOnConsentPage(`${sandbox.oauthUrl}?${new URLSearchParams({ client_id: client.clientId, redirect_uri: redirectUri, response_type: 'code', state: 's', scope: 'read' })}`);
    return fetch(`${sandbox.url}/oauth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: back.code, redirect_uri: redirectUri, client_id: client.clientId, client_secret: client.clientSecret, ...extra }),
    });
  }

  it('answers the default lifetimes (30 minutes, 30 days) with `refresh_token_expires_in`', async () => {
    expect(await (await exchange({})).json()).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 1800,
      refresh_token: expect.any(String),
      refresh_token_expires_in: 2_592_000,
      scope: 'read',
    });
  });

  it('applies requested lifetimes within Zendesk’s bounds and refuses others', async () => {
    expect(await (await exchange({ expires_in: '300', refresh_token_expires_in: '604800' })).json()).toMatchObject({ expires_in: 300, refresh_token_expires_in: 604_800 });
    expect((await exchange({ expires_in: '299' })).status).toBe(400);
    expect((await exchange({ refresh_token_expires_in: String(91 * 24 * 3600) })).status).toBe(400);
    expect((await exchange({ expires_in: '1e3' })).status).toBe(400);
  });
});
