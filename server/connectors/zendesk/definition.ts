import { siZendesk } from 'simple-icons';
import { z } from 'zod';
import { ProviderError } from '../../oauth/provider-error.js';
import { defineConnector, simpleIcon } from '../types.js';

/**
 * Zendesk's OAuth pages; every fact below comes from the one named beside it.
 * - OAUTH: "Using OAuth authentication with your application" (endpoints, scopes, client secret).
 * - GRANT_TYPES: the "OAuth Tokens for Grant Types" API (the code exchange and refresh at /oauth/tokens).
 * - REFRESH: "Working with OAuth refresh tokens".
 * - EXPIRY: the announcements of refresh tokens and token expiration (lifetimes, `expires_in`).
 * - REVOKE: "Revoking an OAuth access token".
 */
const OAUTH = 'https://support.zendesk.com/hc/en-us/articles/4408845965210-Using-OAuth-authentication-with-your-application';
const GRANT_TYPES = 'https://developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/';
const REFRESH = 'https://developer.zendesk.com/documentation/api-basics/authentication/refresh-token';
const EXPIRY = [
  'https://support.zendesk.com/hc/en-us/articles/9182123625370-Announcing-support-for-OAuth-refresh-token-grant-type-and-OAuth-access-and-refresh-token-expirations',
  'https://support.zendesk.com/hc/en-us/articles/10212201463962-Announcing-the-required-expiration-of-global-OAuth-access-and-refresh-tokens',
] as const;
const REVOKE = 'https://developer.zendesk.com/documentation/api-basics/authentication/revoking-oauth-token';
export const ZENDESK_DOCS = { OAUTH, GRANT_TYPES, REFRESH, EXPIRY, REVOKE } as const;

/**
 * Lifetimes asked for in every token request (EXPIRY: access 5 minutes to 48 hours, refresh 7 to
 * 90 days; the defaults are 30 minutes and 30 days). Asking explicitly matters: a client created
 * before 2026-04-30 gets tokens that never expire, and no refresh token, unless the request
 * sends `expires_in`. We ask for the defaults, so every client behaves alike.
 */
export const ZENDESK_ACCESS_TOKEN_SECONDS = 30 * 60;
export const ZENDESK_REFRESH_TOKEN_SECONDS = 30 * 24 * 3600;

/**
 * A Zendesk subdomain, the `acme` of acme.zendesk.com: letters, digits and inner hyphens. It
 * becomes part of a host name, so nothing else passes (docs/decisions/012-connection-settings.md).
 */
export const zendeskSubdomain = z
  .string({ error: 'Enter your Zendesk subdomain.' })
  .trim()
  .toLowerCase()
  .min(1, 'Enter your Zendesk subdomain.')
  .max(63, 'A Zendesk subdomain is at most 63 characters.')
  .regex(
    /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/,
    'Enter only the subdomain, the part before .zendesk.com: letters, digits and hyphens (not at the start or end).',
  );

const meAnswer = z.object({
  user: z.object({
    // A numeric id: an answer without one names no user (an anonymous caller).
    id: z.number().int().positive(),
    name: z.string().min(1),
    email: z.string().nullish(),
  }),
});

export const zendesk = defineConnector({
  id: 'zendesk',
  name: 'Zendesk',
  tagline: 'Tickets and help-center articles',
  brandColor: '#03363D',
  icon: simpleIcon(siZendesk),
  category: 'support',
  // OAUTH: `read` gives read access to every resource the approving user can see (no writes).
  accessItems: [
    'Read your Zendesk profile (name and email)',
    'Read tickets, users and organizations you can see',
    'Read help-center articles',
  ],
  availability: 'available',
  keys: {
    ZENDESK_ACCESS_TOKEN: { sensitive: true, description: 'OAuth access token for the Zendesk instance' },
    ZENDESK_REFRESH_TOKEN: { sensitive: true, description: 'OAuth refresh token (single use: Zendesk rotates it)' },
    ZENDESK_TOKEN_TYPE: { sensitive: false, description: 'Token type Zendesk issued (Bearer)' },
    ZENDESK_EXPIRES_AT: { sensitive: false, description: 'When the access token expires' },
    ZENDESK_SCOPES: { sensitive: false, description: 'Scopes Zendesk granted' },
    ZENDESK_SUBDOMAIN: { sensitive: false, description: 'Subdomain of the Zendesk instance (acme for acme.zendesk.com)' },
  },
  settings: {
    schema: z.strictObject({ subdomain: zendeskSubdomain }),
    fields: {
      subdomain: {
        key: 'ZENDESK_SUBDOMAIN',
        label: 'Zendesk subdomain',
        help: 'The part before .zendesk.com in the address you sign in to Zendesk at: acme for acme.zendesk.com.',
      },
    },
  },
  oauth: {
    // OAUTH, "Implementing an OAuth authorization flow": everything lives on the instance's own host.
    endpoints: {
      authorize: 'https://{subdomain}.zendesk.com/oauth/authorizations/new',
      token: 'https://{subdomain}.zendesk.com/oauth/tokens',
    },
    apiBase: 'https://{subdomain}.zendesk.com',
    // OAUTH: `scope` is space separated; `read` is read access to all resources.
    scopes: ['read'],
    scopeSeparator: ' ',
    // OAUTH and GRANT_TYPES: PKCE with S256 (required of public clients, accepted from confidential ones).
    pkce: true,
    // OAUTH and GRANT_TYPES: a confidential client sends `client_id` and `client_secret` in the
    // body of the token request. The pages' examples post JSON; Zendesk's token endpoint also takes
    // RFC 6749's form, which is what we send.
    clientAuthentication: 'client_secret_post',
    // EXPIRY and GRANT_TYPES: `expires_in` and `refresh_token_expires_in` in both the code
    // exchange and the refresh ask for these lifetimes (see ZENDESK_ACCESS_TOKEN_SECONDS).
    tokenRequestParams: {
      expires_in: String(ZENDESK_ACCESS_TOKEN_SECONDS),
      refresh_token_expires_in: String(ZENDESK_REFRESH_TOKEN_SECONDS),
    },
    // REFRESH and EXPIRY: a refresh returns a new refresh token and deletes the previous access
    // and refresh tokens (rotation): the lifecycle stores the new pair at once.
    storage: {
      accessToken: 'ZENDESK_ACCESS_TOKEN',
      refreshToken: 'ZENDESK_REFRESH_TOKEN',
      tokenType: 'ZENDESK_TOKEN_TYPE',
      expiresAt: 'ZENDESK_EXPIRES_AT',
      scopes: 'ZENDESK_SCOPES',
    },
    // https://developer.zendesk.com/api-reference/ticketing/users/users/#show-self: the user the
    // token acts as. The account is the instance (the subdomain: tokens work on it alone); its
    // name adds the user, since the token reads only what that user may see.
    identify: async ({ apiUrl, accessToken, settings, fetch }) => {
      const response = await fetch(`${apiUrl}/api/v2/users/me.json`, {
        headers: { authorization: `Bearer ${accessToken.reveal()}`, accept: 'application/json' },
      });
      if (!response.ok) throw new ProviderError('identify', response.status);
      const me = meAnswer.safeParse(await response.json().catch(() => null));
      const subdomain = settings.subdomain;
      if (!me.success || !subdomain) throw new ProviderError('identify', response.status, 'malformed_response');
      return { id: subdomain, name: `${subdomain}.zendesk.com (${me.data.user.name})`, approvedBy: me.data.user.email ?? me.data.user.name };
    },
    // REVOKE, "Revoking a known access token": DELETE /api/v2/oauth/tokens/current.json with the
    // token itself as the Bearer credential; 204 when revoked. A token that no longer
    // authenticates (revoked, or expired) is answered 401.
    revoke: async ({ apiUrl, accessToken, fetch }) => {
      const response = await fetch(`${apiUrl}/api/v2/oauth/tokens/current.json`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${accessToken.reveal()}`, accept: 'application/json' },
      });
      if (response.status === 401) return 'already_revoked';
      if (!response.ok) throw new ProviderError('revoke', response.status);
      return 'revoked';
    },
    docsUrl: OAUTH,
    sandbox: async (client) => {
      // Imported lazily so production never loads the sandbox.
      const [{ startOAuthSandbox }, { zendeskSandboxProfile }] = await Promise.all([
        import('../../sandbox/oauth-sandbox.js'),
        import('./sandbox-profile.js'),
      ]);
      return startOAuthSandbox(zendeskSandboxProfile(), client);
    },
  },
});
