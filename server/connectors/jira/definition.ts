import { siJira } from 'simple-icons';
import { atlassianOAuth } from '../atlassian/oauth.js';
import { defineConnector, simpleIcon } from '../types.js';

/** Classic Jira scopes; `offline_access` asks for a refresh token. */
export const JIRA_SCOPES = ['read:jira-work', 'read:jira-user', 'offline_access'];

export const jira = defineConnector({
  id: 'jira',
  name: 'Jira',
  tagline: 'Issues and projects',
  brandColor: '#0052CC',
  icon: simpleIcon(siJira),
  category: 'engineering',
  accessItems: ['Read the Jira sites you pick and your Atlassian account', 'Read projects and issues'],
  availability: 'available',
  keys: {
    JIRA_ACCESS_TOKEN: { sensitive: true, description: 'OAuth access token for the Atlassian account' },
    JIRA_REFRESH_TOKEN: { sensitive: true, description: 'OAuth refresh token (rotating: each is used once)' },
    JIRA_TOKEN_TYPE: { sensitive: false, description: 'Token type Atlassian issued (Bearer)' },
    JIRA_EXPIRES_AT: { sensitive: false, description: 'When the access token expires' },
    JIRA_SCOPES: { sensitive: false, description: 'Scopes Atlassian granted' },
    JIRA_CLOUD_ID: { sensitive: false, description: 'Cloud id of the Jira site picked after consent' },
    JIRA_SITE_URL: { sensitive: false, description: 'Address of the Jira site picked after consent' },
  },
  oauth: atlassianOAuth({
    scopes: JIRA_SCOPES,
    // Sites where the grant holds Jira scopes (a Confluence-only site is of no use here).
    siteHasProduct: (scope) => scope.includes('jira'),
    keys: {
      accessToken: 'JIRA_ACCESS_TOKEN',
      refreshToken: 'JIRA_REFRESH_TOKEN',
      tokenType: 'JIRA_TOKEN_TYPE',
      expiresAt: 'JIRA_EXPIRES_AT',
      scopes: 'JIRA_SCOPES',
      cloudId: 'JIRA_CLOUD_ID',
      siteUrl: 'JIRA_SITE_URL',
    },
    sandboxProfile: async () => (await import('./sandbox-profile.js')).jiraSandboxProfile,
  }),
});
