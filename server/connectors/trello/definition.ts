import { siTrello } from 'simple-icons';
import { z } from 'zod';
import { ProviderError } from '../../oauth/provider-error.js';
import { defineConnector, simpleIcon } from '../types.js';

/** Every fact below comes from this page (its "Using Basic OAuth" section) unless another is named. */
const DOCS = 'https://developer.atlassian.com/cloud/trello/guides/rest-api/authorization/';
/** GET /1/members/{id}: `me` is the token's member. */
const MEMBERS_DOCS = 'https://developer.atlassian.com/cloud/trello/rest/api-group-members/#api-members-id-get';
/** DELETE /1/tokens/{token}: deletes the token (the app's access ends). */
const TOKENS_DOCS = 'https://developer.atlassian.com/cloud/trello/rest/api-group-tokens/#api-tokens-token-delete';
/** OAuth 1.0a itself: temporary credentials, authorization, token credentials, HMAC-SHA1. */
const RFC5849 = 'https://www.rfc-editor.org/rfc/rfc5849';

const memberAnswer = z.object({ id: z.string().min(1).max(64), username: z.string().max(255).optional(), fullName: z.string().max(255).optional() });

export const trello = defineConnector({
  id: 'trello',
  name: 'Trello',
  tagline: 'Boards, lists and cards',
  brandColor: '#0052CC',
  icon: simpleIcon(siTrello),
  category: 'engineering',
  // DOCS: the `read` scope reads the member's boards and Workspaces (with their lists and cards).
  accessItems: ['Read your name and username', 'Read your boards, lists and cards'],
  availability: 'available',
  keys: {
    TRELLO_TOKEN: { sensitive: true, description: 'OAuth 1.0a token for the Trello member (used with the API key)' },
    TRELLO_TOKEN_SECRET: { sensitive: true, description: 'OAuth 1.0a token secret that signs requests made with the token' },
    TRELLO_TOKEN_TYPE: { sensitive: false, description: 'How requests are authorized (OAuth1: signed with HMAC-SHA1)' },
  },
  // RFC5849 §2.1 and DOCS: temporary credentials from POST trello.com/1/OAuthGetRequestToken,
  // signed HMAC-SHA1 with the API key (consumer key) and the API secret.
  oauth1: { requestTokenUrl: 'https://trello.com/1/OAuthGetRequestToken', signatureMethod: 'HMAC-SHA1' },
  oauth: {
    // DOCS: the user authorizes at trello.com/1/OAuthAuthorizeToken (RFC5849 §2.2); the request
    // token is traded with the verifier at POST trello.com/1/OAuthGetAccessToken (§2.3).
    endpoints: { authorize: 'https://trello.com/1/OAuthAuthorizeToken', token: 'https://trello.com/1/OAuthGetAccessToken' },
    // DOCS: REST calls go to api.trello.com/1.
    apiBase: 'https://api.trello.com',
    scopes: ['read'],
    scopeSeparator: ',',
    // DOCS: `name` is shown on the authorization page, `scope` is comma separated (read only
    // here), and `expiration` (1hour, 1day, 30days, never; default 30days) sets the token's life:
    // `never`, so the connection does not die silently (Trello offers no refresh).
    authorizeParams: { name: 'Plugboard', scope: 'read', expiration: 'never' },
    // OAuth 1.0a has no PKCE or client authentication of OAuth 2.0's kind: every request is
    // signed (server/oauth1/). These two fields are unused in that mode.
    pkce: false,
    clientAuthentication: 'client_secret_post',
    // The token secret is kept as the grant's second secret (types.ts, OAuth1Spec): it never
    // refreshes anything; it signs requests together with the token.
    storage: { accessToken: 'TRELLO_TOKEN', refreshToken: 'TRELLO_TOKEN_SECRET', tokenType: 'TRELLO_TOKEN_TYPE' },
    // MEMBERS_DOCS: GET /1/members/me, signed with the token credentials; the account is the
    // member (full name, else username). A deleted or revoked token answers 401.
    identify: async ({ apiUrl, oauth1, fetch }) => {
      if (!oauth1) throw new ProviderError('identify', null, 'malformed_response');
      const url = `${apiUrl}/1/members/me?fields=id,username,fullName`;
      const response = await fetch(url, { headers: { authorization: oauth1.authorization('GET', url), accept: 'application/json' } });
      if (!response.ok) throw new ProviderError('identify', response.status);
      const member = memberAnswer.safeParse(await response.json().catch(() => null));
      if (!member.success) throw new ProviderError('identify', response.status, 'malformed_response');
      const { id, username, fullName } = member.data;
      return { id, name: fullName?.trim() || username || id, approvedBy: username };
    },
    // TOKENS_DOCS: DELETE /1/tokens/{token}, signed with the same token. 401 (the token no
    // longer authenticates: revoked in Trello's settings) and 404 (unknown) mean it is gone.
    revoke: async ({ apiUrl, accessToken, oauth1, fetch }) => {
      if (!oauth1) throw new ProviderError('revoke', null, 'malformed_response');
      const url = `${apiUrl}/1/tokens/${encodeURIComponent(accessToken.reveal())}`;
      const response = await fetch(url, { method: 'DELETE', headers: { authorization: oauth1.authorization('DELETE', url) } });
      if (response.status === 401 || response.status === 404) return 'already_revoked';
      if (!response.ok) throw new ProviderError('revoke', response.status);
      return 'revoked';
    },
    docsUrl: DOCS,
    sandbox: async (client) => {
      // Imported lazily so production never loads the sandbox.
      const { startTrelloSandbox } = await import('./sandbox.js');
      return startTrelloSandbox(client);
    },
  },
});

export const TRELLO_DOCS = { DOCS, MEMBERS_DOCS, TOKENS_DOCS, RFC5849 } as const;
