import { z } from 'zod';
import { ProviderError } from '../../oauth/provider-error.js';
import { defineConnector } from '../types.js';

/** Every fact below comes from this page unless another is named. */
const DOCS = 'https://help.gong.io/docs/create-an-app-for-gong';
// API below: https://gong.app.gong.io/settings/api/documentation ("List all users", GET /v2/users,
// scope api:users:read).

/** Minimal read scopes: basic call data, and the users (identity reads them). */
export const GONG_SCOPES = ['api:calls:read:basic', 'api:users:read'];

/**
 * DOCS: the token answer's `api_base_url_for_customer` is the base of this customer's API (data
 * residency: it differs per customer). Every API call and the identity call go there, so only an
 * https origin on a gong.io host is accepted: no path, port, credentials or other domain.
 */
export const gongApiBaseUrl = z
  .string()
  .max(200)
  .regex(/^https:\/\/(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+gong\.io\/?$/i)
  .transform((url) => url.replace(/\/$/, '').toLowerCase());

// API, "List all users": `{ requestId, records: { totalRecords, ... }, users: [...] }`.
const usersAnswer = z.object({ users: z.array(z.object({ id: z.string() }).loose()) }).loose();

export const gong = defineConnector({
  id: 'gong',
  name: 'Gong',
  tagline: 'Calls and transcripts',
  brandColor: '#8039DF',
  icon: null, // not in simple-icons: the catalog shows a monogram
  monogram: 'Go',
  category: 'crm',
  accessItems: ['Read basic call data: titles, times and participants', 'Read the list of your Gong users'],
  availability: 'available',
  keys: {
    GONG_ACCESS_TOKEN: { sensitive: true, description: 'OAuth access token for the Gong company' },
    GONG_REFRESH_TOKEN: { sensitive: true, description: 'OAuth refresh token (rotating: each is used once)' },
    GONG_TOKEN_TYPE: { sensitive: false, description: 'Token type Gong issued (Bearer)' },
    GONG_EXPIRES_AT: { sensitive: false, description: 'When the access token expires' },
    GONG_SCOPES: { sensitive: false, description: 'Scopes Gong granted' },
    GONG_API_BASE_URL: { sensitive: false, description: "The customer's own Gong API base (api_base_url_for_customer)" },
  },
  oauth: {
    // DOCS, "Set up OAuth access": authorize at app.gong.io/oauth2/authorize; the code is
    // exchanged (and tokens refreshed) at app.gong.io/oauth2/generate-customer-token.
    endpoints: { authorize: 'https://app.gong.io/oauth2/authorize', token: 'https://app.gong.io/oauth2/generate-customer-token' },
    // The generic API host; each connection's calls go to its own learned base instead.
    apiBase: 'https://api.gong.io',
    // DOCS: scopes space separated (`scope=api:calls:create%20api:calls:read:basic`).
    scopes: GONG_SCOPES,
    scopeSeparator: ' ',
    // DOCS: `access_type=offline` asks for a refresh token.
    authorizeParams: { access_type: 'offline' },
    // DOCS names no PKCE parameters, and an open-source connector platform's Gong entry turns
    // PKCE off: the authorize request carries no code_challenge.
    pkce: false,
    // DOCS: the token request authenticates the app with HTTP Basic (client id and secret).
    clientAuthentication: 'client_secret_basic',
    // DOCS: access tokens expire (`expires_in`); a refresh answer carries a new refresh token and
    // the old one stops working (single use).
    storage: {
      accessToken: 'GONG_ACCESS_TOKEN',
      refreshToken: 'GONG_REFRESH_TOKEN',
      tokenType: 'GONG_TOKEN_TYPE',
      expiresAt: 'GONG_EXPIRES_AT',
      scopes: 'GONG_SCOPES',
    },
    learned: {
      apiBaseUrl: { key: 'GONG_API_BASE_URL', label: 'API base', from: 'token', field: 'api_base_url_for_customer', schema: gongApiBaseUrl },
    },
    // API: Gong has no "who am I" call; listing users at the customer's own base proves the
    // token and the base belong together. The base names the connection.
    identify: async ({ settings, accessToken, fetch }) => {
      const base = gongApiBaseUrl.safeParse(settings.apiBaseUrl);
      if (!base.success) throw new ProviderError('identify', null, 'malformed_response');
      const response = await fetch(`${base.data}/v2/users`, {
        headers: { authorization: `Bearer ${accessToken.reveal()}`, accept: 'application/json' },
      });
      if (!response.ok) throw new ProviderError('identify', response.status);
      const answer = usersAnswer.safeParse(await response.json().catch(() => null));
      if (!answer.success) throw new ProviderError('identify', response.status, 'malformed_response');
      const host = new URL(base.data).hostname;
      return { id: host, name: `Gong (${host.replace(/\.api\.gong\.io$|\.gong\.io$/, '')})` };
    },
    // No revocation endpoint is documented: the customer's technical admin removes the app in
    // Gong's integrations settings. Disconnect forgets the tokens.
    docsUrl: DOCS,
    sandbox: async (client) => {
      // Imported lazily so production never loads the sandbox.
      const [{ startOAuthSandbox }, { gongSandboxProfile, GONG_SANDBOX_API_BASE }] = await Promise.all([
        import('../../sandbox/oauth-sandbox.js'),
        import('./sandbox-profile.js'),
      ]);
      // Identity goes to the API base the token answer names: the sandbox answers there too.
      return Object.assign(await startOAuthSandbox(gongSandboxProfile(), client), { standsInFor: [GONG_SANDBOX_API_BASE] });
    },
  },
});
