/**
 * Zendesk as the generic sandbox plays it: one Zendesk instance (`{subdomain}.zendesk.com`)
 * per sandbox, so two sandboxes stand in for two tenants' instances and a token works only on
 * the instance that issued it. From the pages cited in ./definition.ts: the consent page at
 * `/oauth/authorizations/new` (space-separated scopes, PKCE S256), the token endpoint at
 * `/oauth/tokens` (client secret in the body; form or JSON), access tokens of 30 minutes and
 * refresh tokens of 30 days unless the request asks otherwise (`expires_in` 5 minutes to
 * 48 hours, `refresh_token_expires_in` 7 to 90 days), a refresh that rotates the refresh token
 * and deletes the previous access token, `GET /api/v2/users/me.json`, and
 * `DELETE /api/v2/oauth/tokens/current.json` revoking the bearer token (204).
 * Loaded only by the sandbox hook, the sandbox CLI and tests.
 */
import type { SandboxProfile } from '../../sandbox/profile.js';

export interface ZendeskSandboxOptions {
  /** The instance's subdomain, shown on the consent page and in user URLs. Default `sandbox`. */
  readonly subdomain?: string;
  /** The signed-in user who approves. */
  readonly user?: { readonly id: number; readonly name: string; readonly email: string };
  /**
   * An OAuth client created before 2026-04-30: its tokens never expire and it gets no refresh
   * token unless the token request sends `expires_in`. Default false (a client created since,
   * whose tokens expire by default).
   */
  readonly legacyClient?: boolean;
}

export const ZENDESK_SANDBOX_USER = { id: 35436, name: 'Sandbox Agent', email: 'agent@sandbox.example' } as const;

export function zendeskSandboxProfile(options: ZendeskSandboxOptions = {}): SandboxProfile {
  const subdomain = options.subdomain ?? 'sandbox';
  const user = options.user ?? ZENDESK_SANDBOX_USER;
  return {
    provider: 'Zendesk',
    accountName: `${subdomain}.zendesk.com`,
    authorizePath: '/oauth/authorizations/new',
    scopeSeparator: ' ',
    tokenPath: '/oauth/tokens',
    clientAuthentication: 'client_secret_post',
    tokenRequestBodies: ['form', 'json'],
    ...(options.legacyClient ? {} : { accessTokenTtlSeconds: 30 * 60, refreshTokenTtlSeconds: 30 * 24 * 3600 }),
    requestedLifetimes: { access: [5 * 60, 48 * 3600], refresh: [7 * 24 * 3600, 90 * 24 * 3600] },
    refreshTokens: { rotate: true, onlyWithExpiry: true, endsPreviousAccess: true },
    answerScope: true,
    tokenPrefix: 'zdsbx_',
    revocation: { path: '/api/v2/oauth/tokens/current.json', style: 'bearer', method: 'DELETE', noContent: true, alreadyRevoked: 401 },
    identity: {
      path: '/api/v2/users/me.json',
      method: 'GET',
      answer: {
        user: {
          id: user.id,
          url: `https://${subdomain}.zendesk.com/api/v2/users/${user.id}.json`,
          name: user.name,
          email: user.email,
          role: 'agent',
          active: true,
          verified: true,
          locale: 'en-US',
          time_zone: 'Eastern Time (US & Canada)',
        },
      },
    },
  };
}
