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

export const intercom = defineConnector({
  id: 'intercom',
  name: 'Intercom',
  tagline: 'Conversations, contacts and help-center content',
  brandColor: '#6AFDEF',
  icon: simpleIcon(siIntercom),
  accessItems: [
    'Read the workspace name and your admin identity',
    'Read conversations and contacts',
    'Read help-center articles',
  ],
  availability: 'available',
  keys: {
    INTERCOM_ACCESS_TOKEN: { sensitive: true, description: 'OAuth access token for the workspace' },
    INTERCOM_TOKEN_TYPE: { sensitive: false, description: 'Token type Intercom issued (Bearer)' },
  },
  oauth: {
    env: {
      clientId: 'INTERCOM_CLIENT_ID',
      clientSecret: 'INTERCOM_CLIENT_SECRET',
      authorizeUrl: 'INTERCOM_OAUTH_URL',
      apiUrl: 'INTERCOM_API_URL',
    },
    // Regional workspaces use api.eu.intercom.io or api.au.intercom.io: set INTERCOM_API_URL.
    defaults: { authorizeUrl: 'https://app.intercom.com/oauth', apiUrl: 'https://api.intercom.io' },
    authorizeParams: { response_type: 'code' },
    token: {
      path: '/auth/eagle/token',
      // Intercom's example posts a form; JSON is accepted too.
      format: 'form',
      parse: (body) => {
        const parsed = tokenResponse.parse(body);
        return { accessToken: (parsed.access_token ?? parsed.token) as string, tokenType: parsed.token_type };
      },
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
    sandbox: async ({ clientId, clientSecret }) => {
      // Imported lazily so production never loads the sandbox module.
      const { startIntercomSandbox } = await import('./sandbox.js');
      return startIntercomSandbox({ clientId, clientSecret, workspace: { idCode: 'sbx4plug', name: 'Sandbox Workspace' } });
    },
  },
});
