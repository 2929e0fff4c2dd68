/**
 * Linear as the generic sandbox plays it: the same paths, client authentication, expiring
 * tokens and rotated refresh tokens, revocation and GraphQL identity as the definition, from
 * https://linear.app/developers/oauth-2-0-authentication. Loaded only by the sandbox hook.
 */
import type { SandboxProfile } from '../../sandbox/profile.js';

export const LINEAR_SANDBOX_ORGANIZATION = { id: 'sbx-linear-org-0001', name: 'Sandbox Linear Org' } as const;

export const linearSandboxProfile: SandboxProfile = {
  provider: 'Linear',
  accountName: LINEAR_SANDBOX_ORGANIZATION.name,
  authorizePath: '/oauth/authorize',
  scopeSeparator: ',',
  tokenPath: '/oauth/token',
  clientAuthentication: 'client_secret_post',
  // Access tokens last about a day (86399 s) and refresh tokens rotate.
  accessTokenTtlSeconds: 86_399,
  refreshTokens: { rotate: true },
  answerScope: true,
  tokenPrefix: 'lin_sbx_',
  revocation: { path: '/oauth/revoke', style: 'bearer' },
  identity: { path: '/graphql', method: 'POST', answer: { data: { organization: LINEAR_SANDBOX_ORGANIZATION } } },
};
