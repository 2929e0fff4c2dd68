import { describe, expect, it } from 'vitest';
import { parseConnectionSettings, templateValues } from '../settings.js';
import { fillTemplate } from '../../oauth/templates.js';
import { instanceUrlSchema, myDomainLoginHost, salesforce } from './definition.js';

const parse = (raw: unknown) => parseConnectionSettings(salesforce, raw);
const endpoints = (settings: Record<string, string>) => {
  const values = templateValues(salesforce, settings);
  return {
    authorize: fillTemplate(salesforce.oauth!.endpoints.authorize, values),
    token: fillTemplate(salesforce.oauth!.endpoints.token, values),
    revoke: fillTemplate(salesforce.oauth!.endpoints.revoke!, values),
    api: fillTemplate(salesforce.oauth!.apiBase, values),
  };
};

describe('Salesforce login settings', () => {
  it('defaults to production at login.salesforce.com', () => {
    expect(parse({})).toEqual({ success: true, settings: { login: 'production' } });
    expect(endpoints({ login: 'production' })).toEqual({
      authorize: 'https://login.salesforce.com/services/oauth2/authorize',
      token: 'https://login.salesforce.com/services/oauth2/token',
      revoke: 'https://login.salesforce.com/services/oauth2/revoke',
      api: 'https://login.salesforce.com',
    });
  });

  it('sandbox uses test.salesforce.com; an empty My Domain box is no value', () => {
    expect(parse({ login: 'sandbox', myDomain: '  ' })).toEqual({ success: true, settings: { login: 'sandbox' } });
    expect(endpoints({ login: 'sandbox' }).token).toBe('https://test.salesforce.com/services/oauth2/token');
  });

  it.each([
    ['acme', 'acme.my'],
    ['Acme-Corp', 'acme-corp.my'],
    ['acme--uat', 'acme--uat.sandbox.my'],
    ['acme-dev-ed', 'acme-dev-ed.develop.my'],
  ])('My Domain %s logs in at %s.salesforce.com', (typed, host) => {
    const parsed = parse({ login: 'my_domain', myDomain: typed });
    expect(parsed.success).toBe(true);
    if (!parsed.success) return;
    expect(myDomainLoginHost(parsed.settings.myDomain!)).toBe(host);
    expect(endpoints(parsed.settings).authorize).toBe(`https://${host}.salesforce.com/services/oauth2/authorize`);
  });

  it.each(['', 'evil.com', 'evil.com/', 'acme.my.salesforce.com', 'https://acme', 'a@b', 'acme:443', '-acme', 'acme-', 'acme---uat', 'acme--', '1acme', 'ac me', 'açme', 'a'.repeat(64)])(
    'refuses the My Domain name %j on its field',
    (typed) => {
      const parsed = parse({ login: 'my_domain', myDomain: typed });
      expect(parsed.success).toBe(false);
      if (parsed.success) return;
      expect(parsed.error.issues.map((i) => i.path.join('.'))).toEqual(['myDomain']);
    },
  );

  it('refuses unknown settings and choices', () => {
    expect(parse({ login: 'staging' }).success).toBe(false);
    expect(parse({ login: 'production', host: 'evil.com' }).success).toBe(false);
    expect(parse({ login: 'production', myDomain: 'acme' }).success).toBe(false);
  });

  it('once instance_url is learned, the API base is the instance', () => {
    expect(endpoints({ login: 'sandbox', instanceUrl: 'https://acme--uat.sandbox.my.salesforce.com' }).api).toBe('https://acme--uat.sandbox.my.salesforce.com');
    expect(endpoints({ login: 'sandbox', instanceUrl: 'https://acme--uat.sandbox.my.salesforce.com' }).token).toBe('https://test.salesforce.com/services/oauth2/token');
  });
});

describe('instance_url', () => {
  it.each([
    ['https://acme.my.salesforce.com', 'https://acme.my.salesforce.com'],
    ['https://na1.salesforce.com/', 'https://na1.salesforce.com'],
    ['https://Acme--UAT.sandbox.my.salesforce.com', 'https://acme--uat.sandbox.my.salesforce.com'],
  ])('accepts %s', (raw, value) => {
    expect(instanceUrlSchema.parse(raw)).toBe(value);
  });

  it.each([
    'http://acme.my.salesforce.com',
    'https://salesforce.com',
    'https://acme.my.salesforce.com.evil.example',
    'https://evilsalesforce.com',
    'https://acme.my.salesforce.com:8443',
    'https://user:pass@acme.my.salesforce.com',
    'https://acme.my.salesforce.com/services',
    'https://acme.my.salesforce.com?x=1',
    'acme.my.salesforce.com',
    '',
  ])('refuses %s', (raw) => {
    expect(instanceUrlSchema.safeParse(raw).success).toBe(false);
  });
});

describe('Salesforce identity and revocation hooks', () => {
  const ctx = (answer: Response, seen: { url?: string; init?: RequestInit } = {}) => ({
    apiUrl: 'https://acme.my.salesforce.com',
    settings: {},
    accessToken: { reveal: () => 'AT' } as never,
    refreshToken: { reveal: () => 'RT' } as never,
    revokeUrl: 'https://login.salesforce.com/services/oauth2/revoke',
    fetch: async (url: string, init?: RequestInit) => {
      seen.url = url;
      seen.init = init;
      return answer;
    },
  });

  it('names the account after the org id and the user who approved', async () => {
    const seen: { url?: string } = {};
    const body = { organization_id: '00Dxx0000001gPFEAY', user_id: '005xx000001Sv6AAAS', preferred_username: 'ada@acme.example', name: 'Ada' };
    const account = await salesforce.oauth!.identify(ctx(Response.json(body), seen));
    expect(seen.url).toBe('https://acme.my.salesforce.com/services/oauth2/userinfo');
    expect(account).toEqual({ id: '00Dxx0000001gPFEAY', name: '00Dxx0000001gPFEAY — ada@acme.example', approvedBy: 'ada@acme.example' });
  });

  it('identity without an org id is a malformed answer', async () => {
    await expect(salesforce.oauth!.identify(ctx(Response.json({ user_id: '005' })))).rejects.toThrow();
  });

  it('revokes the refresh token with token= and no client authentication; 400 invalid_token is already revoked', async () => {
    const revoke = salesforce.oauth!.revoke as Exclude<NonNullable<typeof salesforce.oauth>['revoke'], 'rfc7009' | undefined>;
    const seen: { url?: string; init?: RequestInit } = {};
    expect(await revoke(ctx(new Response('', { status: 200 }), seen))).toBe('revoked');
    expect(seen.url).toBe('https://login.salesforce.com/services/oauth2/revoke');
    expect(String(seen.init?.body)).toBe('token=RT');
    expect(JSON.stringify(seen.init?.headers)).not.toMatch(/authorization/i);
    expect(await revoke(ctx(Response.json({ error: 'invalid_token' }, { status: 400 })))).toBe('already_revoked');
    await expect(revoke(ctx(Response.json({ error: 'unsupported_token_type' }, { status: 400 })))).rejects.toThrow();
  });
});
