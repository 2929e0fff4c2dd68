/**
 * Atlassian as the generic sandbox plays it for Jira: a JSON token endpoint with the client
 * secret in the body, one-hour access tokens, rotating refresh tokens, no revocation endpoint,
 * and accessible-resources answering two sites, so `npm start` shows the choice after consent.
 * From https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/ and
 * https://developer.atlassian.com/cloud/oauth/getting-started/making-calls-to-api/.
 */
import type { SandboxProfile } from '../../sandbox/profile.js';

export const JIRA_SANDBOX_SITES = [
  { id: '11111111-aaaa-4bbb-8ccc-000000000001', name: 'Sandbox Engineering', url: 'https://sandbox-engineering.atlassian.net' },
  { id: '22222222-aaaa-4bbb-8ccc-000000000002', name: 'Sandbox Support', url: 'https://sandbox-support.atlassian.net' },
] as const;

export const jiraSandboxProfile: SandboxProfile = {
  provider: 'Atlassian',
  accountName: 'your Atlassian sites',
  authorizePath: '/authorize',
  scopeSeparator: ' ',
  tokenPath: '/oauth/token',
  clientAuthentication: 'client_secret_post',
  tokenRequestBodies: ['json'],
  accessTokenTtlSeconds: 3600,
  refreshTokens: { rotate: true },
  answerScope: true,
  tokenPrefix: 'atl_sbx_',
  identity: {
    path: '/oauth/token/accessible-resources',
    method: 'GET',
    answer: JIRA_SANDBOX_SITES.map((site) => ({
      ...site,
      scopes: ['read:jira-work', 'read:jira-user'],
      avatarUrl: 'https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/flag.png',
    })),
  },
};
