/**
 * Atlassian as the generic sandbox plays it for Jira and Confluence: a JSON token endpoint with
 * the client secret in the body, one-hour access tokens, rotating refresh tokens, no revocation
 * endpoint, and accessible-resources answering the given sites with the scopes the grant holds on
 * each. From https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/ and
 * https://developer.atlassian.com/cloud/oauth/getting-started/making-calls-to-api/.
 */
import type { SandboxProfile } from '../../sandbox/profile.js';

export interface AtlassianSandboxSite {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly scopes: readonly string[];
}

export function atlassianSandboxProfile(sites: readonly AtlassianSandboxSite[]): SandboxProfile {
  return {
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
      answer: sites.map((site) => ({
        ...site,
        avatarUrl: 'https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/flag.png',
      })),
    },
  };
}
