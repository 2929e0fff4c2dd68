import { siHubspot } from 'simple-icons';
import { z } from 'zod';
import { ProviderError } from '../../oauth/provider-error.js';
import { defineConnector, simpleIcon } from '../types.js';

/**
 * Every fact below comes from this page unless another is named: the 2026-03 OAuth API, which
 * replaces the v1 endpoints (sunset on 2027-02-16: MIGRATION).
 */
const DOCS = 'https://developers.hubspot.com/docs/api-reference/latest/authentication/manage-oauth-tokens';
// The older guide for the same endpoints (published as "v3"):
// https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide
// MIGRATION: https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/migration-guide
// TOKEN: https://developers.hubspot.com/docs/api-reference/2026-03/authentication/oauth-tokens/refresh-oauth-token
// REVOKE: https://developers.hubspot.com/docs/api-reference/latest/authentication/oauth-tokens/revoke-token
// ANSWER: https://developers.hubspot.com/changelog/additional-details-returned-when-generating-oauth-access-tokens
// ACCOUNT: https://developers.hubspot.com/docs/api-reference/latest/account/account-information/guide
// SCOPES: https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/scopes

/** `oauth` (the scope account details need: the account is named from them) and read-only contacts. */
export const HUBSPOT_SCOPES = ['oauth', 'crm.objects.contacts.read'];

/** The portal (hub) id: digits. */
const portalId = z.string().regex(/^\d{1,20}$/);
/** The address of the account's HubSpot UI (`app.hubspot.com`, `app-eu1.hubspot.com`): a HubSpot host, nothing else. */
const uiDomain = z.string().regex(/^app(?:-[a-z0-9]{1,20})?\.hubspot\.com$/);

// ACCOUNT: GET /account-info/2026-03/details (scope `oauth`) answers the account's settings,
// `portalId` and `uiDomain` among them.
const accountDetails = z.object({
  portalId: z.number().int().nonnegative(),
  uiDomain: z.string(),
  dataHostingLocation: z.string().optional(),
});

export const HUBSPOT_REVOKE_OPTIONS = {
  yes: 'Yes: revoke the refresh token at HubSpot',
  no: 'No: only forget the tokens here',
} as const;
type RevokeOption = keyof typeof HUBSPOT_REVOKE_OPTIONS;
const REVOKE_OPTIONS = Object.keys(HUBSPOT_REVOKE_OPTIONS) as [RevokeOption, ...RevokeOption[]];

export const hubspot = defineConnector({
  id: 'hubspot',
  name: 'HubSpot',
  tagline: 'Contacts, companies and deals',
  brandColor: '#FF7A59',
  icon: simpleIcon(siHubspot),
  category: 'crm',
  accessItems: ["Read the HubSpot account's id, address and settings", 'Read contacts'],
  availability: 'available',
  keys: {
    HUBSPOT_ACCESS_TOKEN: { sensitive: true, description: 'OAuth access token for the HubSpot account (30 minutes)' },
    HUBSPOT_REFRESH_TOKEN: { sensitive: true, description: 'OAuth refresh token (long-lived, not rotated)' },
    HUBSPOT_TOKEN_TYPE: { sensitive: false, description: 'Token type HubSpot issued (Bearer)' },
    HUBSPOT_EXPIRES_AT: { sensitive: false, description: 'When the access token expires' },
    HUBSPOT_SCOPES: { sensitive: false, description: 'Scopes HubSpot granted' },
    HUBSPOT_PORTAL_ID: { sensitive: false, description: 'Portal (hub) id of the connected HubSpot account' },
    HUBSPOT_UI_DOMAIN: { sensitive: false, description: "Address of the account's HubSpot UI (its data hosting region)" },
    HUBSPOT_REVOKE_ON_DISCONNECT: { sensitive: false, description: 'Whether Disconnect revokes the refresh token at HubSpot (yes or no)' },
  },
  settings: {
    schema: z.strictObject({ revokeOnDisconnect: z.enum(REVOKE_OPTIONS).default('yes') }),
    fields: {
      revokeOnDisconnect: {
        key: 'HUBSPOT_REVOKE_ON_DISCONNECT',
        label: 'Revoke at HubSpot on Disconnect',
        help:
          'Revoking a HubSpot refresh token ends every install that holds it. If this HubSpot account is also connected ' +
          'to another app or environment with the same app (and so may share the refresh token), choose No: ' +
          'Disconnect then only forgets the tokens here.',
        options: REVOKE_OPTIONS.map((value) => ({ value, label: HUBSPOT_REVOKE_OPTIONS[value] })),
      },
    },
  },
  oauth: {
    // DOCS, "Initiate OAuth access": the install URL on app.hubspot.com with client_id, scope,
    // redirect_uri and state. TOKEN: POST api.hubapi.com/oauth/2026-03/token. REVOKE: POST
    // /oauth/2026-03/token/revoke. (Introspection, /oauth/2026-03/token/introspect, needs the
    // client secret, which hooks never get: the account is read from account details instead.)
    endpoints: {
      authorize: 'https://app.hubspot.com/oauth/authorize',
      token: 'https://api.hubapi.com/oauth/2026-03/token',
      revoke: 'https://api.hubapi.com/oauth/2026-03/token/revoke',
    },
    apiBase: 'https://api.hubapi.com',
    // DOCS: `scope` is space separated; SCOPES: every scope in it must be one the app requires.
    // `oauth` is the scope of account details (ACCOUNT), which name the account;
    // `crm.objects.contacts.read` is the narrowest CRM scope, read only.
    scopes: HUBSPOT_SCOPES,
    scopeSeparator: ' ',
    // TOKEN: the token request takes `code_verifier` (PKCE); the engine sends S256 by default.
    pkce: true,
    // DOCS and MIGRATION: every parameter in a form body, the client secret included, never in
    // the query string (which v1 allowed).
    clientAuthentication: 'client_secret_post',
    // ANSWER: the token answer is v1-shaped (MIGRATION: "identical response"): `token_type:
    // "bearer"` in lower case, `hub_id`, and the granted scopes as a `scopes` array rather than
    // RFC 6749's space-separated `scope`. Joined here so the granted scopes are recorded.
    normalizeTokenAnswer: (body) =>
      Array.isArray(body.scopes) && body.scope === undefined
        ? { ...body, scope: body.scopes.filter((s): s is string => typeof s === 'string').join(' ') }
        : body,
    // DOCS, "Token types": access tokens expire after 30 minutes (`expires_in` 1800); the refresh
    // token is the long-term credential and is not rotated: a refresh answers the same one.
    storage: {
      accessToken: 'HUBSPOT_ACCESS_TOKEN',
      refreshToken: 'HUBSPOT_REFRESH_TOKEN',
      tokenType: 'HUBSPOT_TOKEN_TYPE',
      expiresAt: 'HUBSPOT_EXPIRES_AT',
      scopes: 'HUBSPOT_SCOPES',
    },
    learned: {
      portalId: { key: 'HUBSPOT_PORTAL_ID', label: 'Portal id', from: 'identity', schema: portalId },
      uiDomain: { key: 'HUBSPOT_UI_DOMAIN', label: 'HubSpot address', from: 'identity', schema: uiDomain },
    },
    // ACCOUNT: the portal id is the account; the UI domain names its data hosting region
    // (`app-eu1.hubspot.com`). A portal name is only in a beta version of this API.
    identify: async ({ apiUrl, accessToken, fetch }) => {
      const response = await fetch(`${apiUrl}/account-info/2026-03/details`, {
        headers: { authorization: `Bearer ${accessToken.reveal()}`, accept: 'application/json' },
      });
      if (!response.ok) throw new ProviderError('identify', response.status);
      const answer = accountDetails.safeParse(await response.json().catch(() => null));
      if (!answer.success) throw new ProviderError('identify', response.status, 'malformed_response');
      const id = String(answer.data.portalId);
      return {
        id,
        name: `HubSpot portal ${id} (${answer.data.uiDomain})`,
        settings: { portalId: id, uiDomain: answer.data.uiDomain },
      };
    },
    // REVOKE: RFC 7009 shaped (form with client_id, client_secret, token, token_type_hint); it
    // deletes the refresh token, which the engine sends. A HubSpot refresh token may be held by
    // another install as well, so the `revokeOnDisconnect` setting can turn revocation off.
    revoke: 'rfc7009',
    revokeWhen: (settings) => settings.revokeOnDisconnect !== 'no',
    docsUrl: DOCS,
    sandbox: async (client) => {
      // Imported lazily so production never loads the sandbox.
      const [{ startOAuthSandbox }, { hubspotSandboxProfile }] = await Promise.all([
        import('../../sandbox/oauth-sandbox.js'),
        import('./sandbox-profile.js'),
      ]);
      return startOAuthSandbox(hubspotSandboxProfile, client);
    },
  },
});
