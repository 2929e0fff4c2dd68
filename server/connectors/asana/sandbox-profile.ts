/**
 * Asana as the generic sandbox plays it, from https://developers.asana.com/docs/oauth: the
 * consent page at `/-/oauth_authorize` (space-delimited scopes, PKCE S256), the token endpoint at
 * `/-/oauth_token` taking a form with the client secret in it, one-hour access tokens, a refresh
 * token that a refresh does not replace (the answer has none), the answer's lower-case `bearer`
 * and `data` user, revocation of the refresh token only at `/-/oauth_revoke`, `GET
 * /api/1.0/users/me` wrapped in `data`, and the API's `errors` array. Loaded only by the sandbox
 * hook, the sandbox CLI and tests.
 */
import type { SandboxError, SandboxProfile } from '../../sandbox/profile.js';

export const ASANA_SANDBOX_USER = {
  gid: '1204837261530001',
  name: 'Sandbox Asana User',
  email: 'user@asana-sandbox.example',
  workspaces: [
    { gid: '1204837261530101', name: 'Sandbox Engineering', resource_type: 'workspace' },
    { gid: '1204837261530102', name: 'Sandbox Marketing', resource_type: 'workspace' },
  ],
} as const;

/**
 * OAuth endpoints answer RFC 6749 errors; the API answers `{ errors: [{ message }] }`
 * (https://developers.asana.com/docs/errors).
 */
export function asanaErrorAnswer({ endpoint, status, error, description }: SandboxError): { status: number; body: unknown } {
  if (endpoint === 'identity' || endpoint === 'other') {
    const message = status === 401 ? 'Not Authorized' : (description ?? error);
    return { status, body: { errors: [{ message, help: 'For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors' }] } };
  }
  return { status, body: { error, ...(description ? { error_description: description } : {}) } };
}

export const asanaSandboxProfile: SandboxProfile = {
  provider: 'Asana',
  accountName: ASANA_SANDBOX_USER.name,
  authorizePath: '/-/oauth_authorize',
  scopeSeparator: ' ',
  tokenPath: '/-/oauth_token',
  clientAuthentication: 'client_secret_post',
  accessTokenTtlSeconds: 3600,
  refreshTokens: { rotate: false },
  tokenPrefix: 'asn_sbx_',
  tokenAnswer: ({ token_type, ...rest }) => ({
    ...rest,
    token_type: token_type.toLowerCase(),
    data: { id: Number(ASANA_SANDBOX_USER.gid), gid: ASANA_SANDBOX_USER.gid, name: ASANA_SANDBOX_USER.name, email: ASANA_SANDBOX_USER.email },
  }),
  errorAnswer: asanaErrorAnswer,
  revocation: { path: '/-/oauth_revoke', style: 'rfc7009', refreshTokensOnly: true },
  identity: {
    path: '/api/1.0/users/me',
    method: 'GET',
    answer: { data: { ...ASANA_SANDBOX_USER, resource_type: 'user', photo: null } },
  },
};
