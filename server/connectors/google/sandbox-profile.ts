/**
 * Google as the generic sandbox plays it, for Drive and Gmail alike (the definition's facts,
 * from https://developers.google.com/identity/protocols/oauth2/web-server): hour-long access
 * tokens; a refresh token only with `access_type=offline`, on the first consent or with
 * `prompt=consent`, never in a refresh answer; a consent screen where the product's scope can be
 * unticked; `email` answered by its long name; an ID token; userinfo; revocation by `token`
 * without client authentication, 400 `invalid_token` for a token already revoked.
 * Loaded only by the sandbox hooks.
 */
import type { SandboxProfile } from '../../sandbox/profile.js';
import { USERINFO_EMAIL } from './oauth.js';

export const GOOGLE_SANDBOX_USER = { sub: '100000000000000000001', email: 'ada@sandbox.example' } as const;

/** Google's ID token issuer (the discovery document's `issuer`). */
export const GOOGLE_ISSUER = 'https://accounts.google.com';

/**
 * `options.asGoogle`: the sandbox stands in behind PROVIDER_ORIGIN_OVERRIDES (./cli.ts), where
 * the app still expects Google's issuer in ID tokens; started by the definition's hook, the app
 * expects the sandbox's own URL, which is the default.
 */
export function googleSandboxProfile(product: 'Google Drive' | 'Gmail', options: { asGoogle?: boolean } = {}): SandboxProfile {
  return {
    provider: product,
    accountName: GOOGLE_SANDBOX_USER.email,
    authorizePath: '/o/oauth2/v2/auth',
    scopeSeparator: ' ',
    tokenPath: '/token',
    clientAuthentication: 'client_secret_post',
    accessTokenTtlSeconds: 3599,
    refreshTokens: { rotate: false, offlineConsent: true },
    answerScope: true,
    tokenAnswer: (answer) => ({
      ...answer,
      scope: (answer.scope ?? '')
        .split(' ')
        .map((scope) => (scope === 'email' ? USERINFO_EMAIL : scope))
        .join(' '),
    }),
    // Sign-in scopes cannot be unticked; the product's can (granular consent).
    scopeChoice: { fixed: ['openid', 'email', 'profile'] },
    idToken: {
      claims: { sub: GOOGLE_SANDBOX_USER.sub, email: GOOGLE_SANDBOX_USER.email, email_verified: true, ...(options.asGoogle ? { iss: GOOGLE_ISSUER } : {}) },
    },
    tokenPrefix: 'goog_sbx_',
    revocation: { path: '/revoke', style: 'token' },
    identity: { path: '/v1/userinfo', method: 'GET', answer: { ...GOOGLE_SANDBOX_USER, email_verified: true } },
  };
}
