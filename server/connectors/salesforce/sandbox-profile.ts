/**
 * Salesforce as the generic sandbox plays it, from the pages the definition cites: the Web
 * Server Flow's form token requests with the client in the body, PKCE, an answer without
 * `expires_in` but with `instance_url`, `id`, `issued_at` and `signature`; a refresh answer
 * without a refresh token unless the connected app rotates them; revocation with `token=` and
 * no client authentication (400 `invalid_token` for a dead token); and the UserInfo endpoint.
 * Loaded only by the sandbox hook.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { SandboxProfile } from '../../sandbox/profile.js';

export interface SalesforceSandboxOptions {
  /** The org's API base the token answers name (an https `*.salesforce.com` host). */
  readonly instanceUrl?: string;
  /** The host of the identity URL (`id`): login.salesforce.com, test.salesforce.com or the My Domain. */
  readonly loginHost?: string;
  readonly org?: { readonly id: string; readonly name: string };
  readonly user?: { readonly id: string; readonly username: string; readonly name: string };
  /** The connected app's "Enable Refresh Token Rotation" setting (off by default). */
  readonly rotateRefreshTokens?: boolean;
  /**
   * The org's session timeout: access tokens stop working after it, and no answer says so
   * (never `expires_in`). Default: they work until revoked.
   */
  readonly sessionSeconds?: number;
}

export const SALESFORCE_SANDBOX_ORG = { id: '00DSB0000000001EAA', name: 'Sandbox Org' } as const;
export const SALESFORCE_SANDBOX_USER = { id: '005SB0000000001AAA', username: 'admin@sandbox-org.example', name: 'Sandbox Admin' } as const;

export function salesforceSandboxProfile(options: SalesforceSandboxOptions = {}): SandboxProfile {
  const instanceUrl = options.instanceUrl ?? 'https://sandbox-org.my.salesforce.com';
  const loginHost = options.loginHost ?? 'login.salesforce.com';
  const org = options.org ?? SALESFORCE_SANDBOX_ORG;
  const user = options.user ?? SALESFORCE_SANDBOX_USER;
  const identityUrl = `https://${loginHost}/id/${org.id}/${user.id}`;
  const signingKey = randomBytes(32);
  return {
    provider: 'Salesforce',
    accountName: org.name,
    authorizePath: '/services/oauth2/authorize',
    scopeSeparator: ' ',
    tokenPath: '/services/oauth2/token',
    clientAuthentication: 'client_secret_post',
    // The session policy ends access tokens; the answer never says when (`expires_in` is removed below).
    ...(options.sessionSeconds === undefined ? {} : { accessTokenTtlSeconds: options.sessionSeconds }),
    refreshTokens: { rotate: options.rotateRefreshTokens ?? false },
    answerScope: true,
    // Salesforce access tokens are session ids that begin with the org id and `!`.
    tokenPrefix: `${org.id}!sbx`,
    refreshTokenPrefix: '5Aep861sbx',
    tokenAnswer: (standard) => {
      const issuedAt = String(Date.now());
      // The documented signature: HMAC-SHA256 of the identity URL and issued_at, base64.
      const signature = createHmac('sha256', signingKey).update(`${identityUrl}${issuedAt}`).digest('base64');
      const { expires_in: _none, ...rest } = standard;
      return { ...rest, instance_url: instanceUrl, id: identityUrl, issued_at: issuedAt, signature };
    },
    // REVOKE: `token=` in a form, no client authentication; a dead token is 400 invalid_token.
    revocation: { path: '/services/oauth2/revoke', style: 'token' },
    identity: {
      path: '/services/oauth2/userinfo',
      method: 'GET',
      answer: {
        sub: identityUrl,
        user_id: user.id,
        organization_id: org.id,
        preferred_username: user.username,
        nickname: user.username.split('@')[0],
        name: user.name,
        email: user.username,
        email_verified: true,
        zoneinfo: 'Europe/Dublin',
        active: true,
        user_type: 'STANDARD',
        urls: { rest: `${instanceUrl}/services/data/v{version}/` },
      },
    },
  };
}
