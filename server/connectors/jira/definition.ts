import { siJira } from 'simple-icons';
import { z } from 'zod';
import { ProviderError } from '../../oauth/provider-error.js';
import { defineConnector, simpleIcon, type ExternalAccount } from '../types.js';

/** Every fact below comes from this page unless another is named. */
const DOCS = 'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/';
// CALLS below: https://developer.atlassian.com/cloud/oauth/getting-started/making-calls-to-api/
// ("Making calls to the API": accessible-resources and the cloud id).

/** Classic Jira scopes; `offline_access` asks for a refresh token. */
export const JIRA_SCOPES = ['read:jira-work', 'read:jira-user', 'offline_access'];

// CALLS: `[{ id (the cloud id), name, url, scopes, avatarUrl }]`, one entry per site (and per
// product on it) the token reaches.
const resources = z.array(
  z.object({ id: z.string(), name: z.string(), url: z.string(), scopes: z.array(z.string()).default([]) }),
);

/** A site's cloud id: a UUID. It ends up in API paths (`/ex/jira/{cloudId}`), so nothing else. */
const cloudId = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
/** The site's own address: an Atlassian Cloud host, nothing else. */
const siteUrl = z.string().regex(/^https:\/\/[a-z0-9][a-z0-9-]{0,62}\.(?:atlassian\.net|jira\.com)$/i);

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
  oauth: {
    // DOCS, "Direct the user to the authorization URL" and "Exchange authorization code for
    // access token" (POST auth.atlassian.com/oauth/token).
    endpoints: { authorize: 'https://auth.atlassian.com/authorize', token: 'https://auth.atlassian.com/oauth/token' },
    // CALLS: requests go through api.atlassian.com, not the site's own host.
    apiBase: 'https://api.atlassian.com',
    scopes: JIRA_SCOPES,
    // DOCS: `audience=api.atlassian.com` is required; `prompt=consent` shows the consent screen
    // (and the site picker) every time.
    authorizeParams: { audience: 'api.atlassian.com', prompt: 'consent' },
    // DOCS: the token request is JSON carrying `client_id` and `client_secret`.
    clientAuthentication: 'client_secret_post',
    requestBody: 'json',
    // DOCS, "Use a refresh token to get another access token": access tokens last an hour;
    // refresh tokens rotate (each is used once) and expire after 90 days of inactivity.
    storage: {
      accessToken: 'JIRA_ACCESS_TOKEN',
      refreshToken: 'JIRA_REFRESH_TOKEN',
      tokenType: 'JIRA_TOKEN_TYPE',
      expiresAt: 'JIRA_EXPIRES_AT',
      scopes: 'JIRA_SCOPES',
    },
    // CALLS: the cloud id is what site-specific calls need (`api.atlassian.com/ex/jira/{cloudId}`).
    learned: {
      cloudId: { key: 'JIRA_CLOUD_ID', label: 'Site cloud id', from: 'identity', schema: cloudId },
      siteUrl: { key: 'JIRA_SITE_URL', label: 'Site', from: 'identity', schema: siteUrl },
    },
    // CALLS: one grant can reach several sites: the admin picks the one to connect.
    identify: async ({ apiUrl, accessToken, fetch }) => {
      const response = await fetch(`${apiUrl}/oauth/token/accessible-resources`, {
        headers: { authorization: `Bearer ${accessToken.reveal()}`, accept: 'application/json' },
      });
      if (!response.ok) throw new ProviderError('identify', response.status);
      const answer = resources.safeParse(await response.json().catch(() => null));
      if (!answer.success) throw new ProviderError('identify', response.status, 'malformed_response');
      // Sites where the grant holds Jira scopes (a Confluence-only site is of no use here).
      return answer.data
        .filter((site) => site.scopes.some((scope) => scope.includes('jira')))
        .map((site): ExternalAccount => ({ id: site.id, name: site.name, settings: { cloudId: site.id, siteUrl: site.url } }));
    },
    // No revocation endpoint is documented for OAuth 2.0 (3LO) apps: a user removes the app's
    // access under their Atlassian account's "Connected apps". Disconnect forgets the tokens.
    docsUrl: DOCS,
    sandbox: async (client) => {
      // Imported lazily so production never loads the sandbox.
      const [{ startOAuthSandbox }, { jiraSandboxProfile }] = await Promise.all([
        import('../../sandbox/oauth-sandbox.js'),
        import('./sandbox-profile.js'),
      ]);
      return startOAuthSandbox(jiraSandboxProfile, client);
    },
  },
});
