import { siConfluence } from 'simple-icons';
import { atlassianOAuth } from '../atlassian/oauth.js';
import { defineConnector, simpleIcon } from '../types.js';

/**
 * Classic Confluence read scopes, the smallest that let a service list spaces and pages:
 * https://developer.atlassian.com/cloud/confluence/scopes-for-oauth-2-3LO-and-forge-apps/
 * recommends classic scopes where they exist. `read:confluence-space.summary` reads a space's
 * summary, `read:confluence-content.summary` a page's or blog post's summary (not its body,
 * which would need `read:confluence-content.all`). `offline_access` asks for a refresh token.
 */
export const CONFLUENCE_SCOPES = ['read:confluence-space.summary', 'read:confluence-content.summary', 'offline_access'];

export const confluence = defineConnector({
  id: 'confluence',
  name: 'Confluence',
  tagline: 'Spaces and pages',
  brandColor: '#172B4D',
  icon: simpleIcon(siConfluence),
  category: 'documents',
  accessItems: ['Read the Confluence site you pick', 'Read summaries of its spaces', 'Read summaries of its pages and blog posts'],
  availability: 'available',
  keys: {
    CONFLUENCE_ACCESS_TOKEN: { sensitive: true, description: 'OAuth access token for the Atlassian account' },
    CONFLUENCE_REFRESH_TOKEN: { sensitive: true, description: 'OAuth refresh token (rotating: each is used once)' },
    CONFLUENCE_TOKEN_TYPE: { sensitive: false, description: 'Token type Atlassian issued (Bearer)' },
    CONFLUENCE_EXPIRES_AT: { sensitive: false, description: 'When the access token expires' },
    CONFLUENCE_SCOPES: { sensitive: false, description: 'Scopes Atlassian granted' },
    CONFLUENCE_CLOUD_ID: { sensitive: false, description: 'Cloud id of the Confluence site picked after consent' },
    CONFLUENCE_SITE_URL: { sensitive: false, description: 'Address of the Confluence site picked after consent' },
  },
  oauth: atlassianOAuth({
    scopes: CONFLUENCE_SCOPES,
    // accessible-resources lists, per site, the scopes the grant holds there: only sites with a
    // Confluence scope are offered (a Jira-only site reached by the same account is of no use).
    siteHasProduct: (scope) => scope.includes('confluence'),
    keys: {
      accessToken: 'CONFLUENCE_ACCESS_TOKEN',
      refreshToken: 'CONFLUENCE_REFRESH_TOKEN',
      tokenType: 'CONFLUENCE_TOKEN_TYPE',
      expiresAt: 'CONFLUENCE_EXPIRES_AT',
      scopes: 'CONFLUENCE_SCOPES',
      cloudId: 'CONFLUENCE_CLOUD_ID',
      siteUrl: 'CONFLUENCE_SITE_URL',
    },
    sandboxProfile: async () => (await import('./sandbox-profile.js')).confluenceSandboxProfile,
  }),
});
