/**
 * Gong as the generic sandbox plays it, from https://help.gong.io/docs/create-an-app-for-gong:
 * HTTP Basic client authentication at generate-customer-token, a day-long access token, single-use
 * refresh tokens, no revocation endpoint, and the customer's own API base in every token answer.
 * Identity (GET /v2/users) is answered at that base: the app reaches it only through the learned
 * value (point its origin at the sandbox with PROVIDER_ORIGIN_OVERRIDES).
 */
import type { SandboxProfile } from '../../sandbox/profile.js';

export const GONG_SANDBOX_API_BASE = 'https://us-60061.api.gong.io';

export const GONG_SANDBOX_USERS = [
  { id: '234599484848423', emailAddress: 'ada@sandbox.example', firstName: 'Ada', lastName: 'Sandbox', active: true },
];

export function gongSandboxProfile(apiBase: unknown = GONG_SANDBOX_API_BASE): SandboxProfile {
  return {
    provider: 'Gong',
    accountName: 'your Gong company',
    authorizePath: '/oauth2/authorize',
    scopeSeparator: ' ',
    tokenPath: '/oauth2/generate-customer-token',
    clientAuthentication: 'client_secret_basic',
    accessTokenTtlSeconds: 86_400,
    refreshTokens: { rotate: true },
    answerScope: true,
    tokenPrefix: 'gong_sbx_',
    tokenAnswer: (standard) => ({ ...standard, api_base_url_for_customer: apiBase }),
    identity: {
      path: '/v2/users',
      method: 'GET',
      answer: { requestId: 'sbx-request-1', records: { totalRecords: GONG_SANDBOX_USERS.length, currentPageSize: 100, currentPageNumber: 0 }, users: GONG_SANDBOX_USERS },
    },
  };
}
