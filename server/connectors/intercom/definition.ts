import { siIntercom } from 'simple-icons';
import { z } from 'zod';
import { ProviderError } from '../../oauth/provider-error.js';
import { defineConnector, simpleIcon } from '../types.js';

/**
 * Pinned so a change on Intercom's side cannot silently reshape `/me`.
 * https://developers.intercom.com/docs/build-an-integration/learn-more/rest-apis/api-versioning
 */
export const INTERCOM_API_VERSION = '2.11';

// https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth
// The answer carries the token twice (`token` and `access_token`); either may be absent in
// older API versions, so accept both. There is no expiry and no refresh token.
const tokenResponse = z
  .object({
    token_type: z.string().min(1).default('Bearer'),
    access_token: z.string().min(1).optional(),
    token: z.string().min(1).optional(),
  })
  .refine((body) => body.access_token ?? body.token, 'no access_token or token in the answer');

const meResponse = z.object({
  type: z.literal('admin'),
  id: z.union([z.string(), z.number()]).transform(String),
  email: z.string().optional(),
  app: z.object({
    id_code: z.string().min(1),
    name: z.string().min(1),
    region: z.string().optional(),
  }),
});

/**
 * An Intercom workspace is hosted in the US, the EU or Australia, and its token works only
 * against its own region's hosts. The API hosts are Intercom's "Regional Hosting" table
 * (https://developers.intercom.com/building-apps/docs/rest-apis); the workspace, and so the
 * consent page, lives on the matching app host (app.intercom.com, app.eu.intercom.com,
 * app.au.intercom.com).
 */
export const INTERCOM_REGIONS = {
  us: { label: 'United States (app.intercom.com)', appHost: 'app', apiHost: 'api' },
  eu: { label: 'Europe (app.eu.intercom.com)', appHost: 'app.eu', apiHost: 'api.eu' },
  au: { label: 'Australia (app.au.intercom.com)', appHost: 'app.au', apiHost: 'api.au' },
} as const;
type IntercomRegion = keyof typeof INTERCOM_REGIONS;
const REGION_IDS = Object.keys(INTERCOM_REGIONS) as [IntercomRegion, ...IntercomRegion[]];

export const intercom = defineConnector({
  id: 'intercom',
  name: 'Intercom',
  tagline: 'Conversations, contacts and help-center content',
  brandColor: '#6AFDEF',
  icon: simpleIcon(siIntercom),
  category: 'support',
  accessItems: [
    'Read the workspace name and your admin identity',
    'Read conversations and contacts',
    'Read help-center articles',
  ],
  availability: 'available',
  keys: {
    INTERCOM_ACCESS_TOKEN: { sensitive: true, description: 'OAuth access token for the workspace' },
    INTERCOM_TOKEN_TYPE: { sensitive: false, description: 'Token type Intercom issued (Bearer)' },
    INTERCOM_REGION: { sensitive: false, description: 'Region the workspace is hosted in (us, eu or au)' },
  },
  settings: {
    schema: z.strictObject({ region: z.enum(REGION_IDS).default('us') }),
    fields: {
      region: {
        key: 'INTERCOM_REGION',
        label: 'Workspace region',
        help: 'Where your Intercom workspace is hosted: look at the address you sign in to Intercom at.',
        options: REGION_IDS.map((id) => ({ value: id, label: INTERCOM_REGIONS[id].label })),
      },
    },
    templateValues: (settings) => {
      const region = INTERCOM_REGIONS[(settings.region ?? 'us') as IntercomRegion] ?? INTERCOM_REGIONS.us;
      return { appHost: region.appHost, apiHost: region.apiHost };
    },
  },
  oauth: {
    // https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth
    // The hosts are the workspace's region (the `region` setting, INTERCOM_REGIONS above).
    endpoints: { authorize: 'https://{appHost}.intercom.com/oauth', token: 'https://{apiHost}.intercom.io/auth/eagle/token' },
    apiBase: 'https://{apiHost}.intercom.io',
    // Replace the hosts of every region at once: a stand-in, or a single-region deployment.
    envOverrides: { authorize: 'INTERCOM_OAUTH_URL', api: 'INTERCOM_API_URL' },
    // No scope parameter: permissions are set on the app. PKCE is not documented.
    pkce: false,
    // Intercom's example posts the code, client id and secret as a form.
    clientAuthentication: 'client_secret_post',
    // The answer carries the token twice (`token` and `access_token`); either may be absent in
    // older API versions, and `token_type` may be missing. There is no expiry and no refresh token.
    normalizeTokenAnswer: (body) => {
      const parsed = tokenResponse.safeParse(body);
      if (!parsed.success) throw new ProviderError('token', 200, 'malformed_response');
      return { ...body, access_token: parsed.data.access_token ?? parsed.data.token, token_type: parsed.data.token_type };
    },
    storage: { accessToken: 'INTERCOM_ACCESS_TOKEN', tokenType: 'INTERCOM_TOKEN_TYPE' },
    identify: async ({ apiUrl, accessToken, fetch }) => {
      const response = await fetch(`${apiUrl}/me`, {
        headers: {
          authorization: `Bearer ${accessToken.reveal()}`,
          accept: 'application/json',
          'intercom-version': INTERCOM_API_VERSION,
        },
      });
      if (!response.ok) throw new ProviderError('identify', response.status);
      const me = meResponse.safeParse(await response.json().catch(() => null));
      if (!me.success) throw new ProviderError('identify', response.status, 'malformed_response');
      return { id: me.data.app.id_code, name: me.data.app.name, approvedBy: me.data.email };
    },
    // https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/uninstalling-an-app
    revoke: async ({ apiUrl, accessToken, fetch }) => {
      const response = await fetch(`${apiUrl}/auth/uninstall`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${accessToken.reveal()}`,
          accept: 'application/json',
          'intercom-version': INTERCOM_API_VERSION,
        },
      });
      if (response.status === 401) return 'already_revoked';
      if (!response.ok) throw new ProviderError('revoke', response.status);
      return 'revoked';
    },
    docsUrl: 'https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth',
    sandbox: async (client) => {
      // Imported lazily so production never loads the sandbox.
      const [{ startOAuthSandbox }, { intercomSandboxProfile }] = await Promise.all([
        import('../../sandbox/oauth-sandbox.js'),
        import('./sandbox-profile.js'),
      ]);
      return startOAuthSandbox(intercomSandboxProfile({ workspace: { idCode: 'sbx4plug', name: 'Sandbox Workspace' } }), client);
    },
  },
});
