import { siAsana } from 'simple-icons';
import { z } from 'zod';
import { ProviderError } from '../../oauth/provider-error.js';
import { defineConnector, simpleIcon } from '../types.js';

/** Every fact below comes from this page unless another is named. */
const DOCS = 'https://developers.asana.com/docs/oauth';
// SCOPES: https://developers.asana.com/docs/oauth-scopes
// ME: https://developers.asana.com/reference/getuser (GET /users/{user_gid}; `me` is the token's user)

/**
 * Granular read scopes (DOCS, "OAuth scopes"; SCOPES), the fewest that cover the access items:
 * the user (identify), projects and tasks. The user's workspaces come with `users/me` as related
 * objects (gid and name need no further scope: DOCS, "Related object fields in responses").
 * Nothing that writes or deletes. The alternative, `default` ("Full permissions"), grants
 * everything the app may do, read and write; an app registered with scopes must name them.
 */
export const ASANA_SCOPES = ['users:read', 'projects:read', 'tasks:read'];

/** Workspace names shown in the account name; the rest are counted. */
const NAMED_WORKSPACES = 3;

// ME: the answer is wrapped in `data`; the user's `workspaces` are compact records.
const meAnswer = z.object({
  data: z.object({
    gid: z.string().min(1),
    name: z.string().min(1),
    email: z.string().optional(),
    workspaces: z.array(z.object({ gid: z.string(), name: z.string() })).default([]),
  }),
});

/** "Ada Lovelace (Acme, Acme Labs, Personal and 2 more)": the user, then the workspaces the token reaches. */
export function asanaAccountName(user: string, workspaces: readonly string[]): string {
  if (workspaces.length === 0) return user;
  const named = workspaces.slice(0, NAMED_WORKSPACES).join(', ');
  const more = workspaces.length - NAMED_WORKSPACES;
  return `${user} (${more > 0 ? `${named} and ${more} more` : named})`;
}

export const asana = defineConnector({
  id: 'asana',
  name: 'Asana',
  tagline: 'Projects and tasks',
  brandColor: '#F06A6A',
  icon: simpleIcon(siAsana),
  category: 'engineering',
  accessItems: ['Read your Asana name, email and the names of your workspaces', 'Read projects', 'Read tasks'],
  availability: 'available',
  keys: {
    ASANA_ACCESS_TOKEN: { sensitive: true, description: 'OAuth access token for the Asana user (one hour)' },
    ASANA_REFRESH_TOKEN: { sensitive: true, description: 'OAuth refresh token (long-lived, not rotated)' },
    ASANA_TOKEN_TYPE: { sensitive: false, description: 'Token type Asana issued (Bearer)' },
    ASANA_EXPIRES_AT: { sensitive: false, description: 'When the access token expires' },
  },
  oauth: {
    // DOCS, "Quick reference": GET app.asana.com/-/oauth_authorize, POST app.asana.com/-/oauth_token.
    endpoints: {
      authorize: 'https://app.asana.com/-/oauth_authorize',
      token: 'https://app.asana.com/-/oauth_token',
      revoke: 'https://app.asana.com/-/oauth_revoke',
    },
    // ME: the API is app.asana.com/api/1.0, with the access token as a bearer token (DOCS).
    apiBase: 'https://app.asana.com/api/1.0',
    // DOCS, "User authorization endpoint": `scope` is space-delimited; an app registered with
    // scopes must send it (without it Asana falls back to `default`, Full permissions only).
    scopes: ASANA_SCOPES,
    scopeSeparator: ' ',
    // DOCS, "PKCE OAuth extension": `code_challenge` with `code_challenge_method=S256`, and
    // `code_verifier` at the token endpoint; the engine sends them by default.
    pkce: true,
    // DOCS, "Token exchange endpoint": a form carrying `client_id` and `client_secret`, and
    // `code_verifier` for PKCE.
    clientAuthentication: 'client_secret_post',
    // DOCS, "Token exchange endpoint", "Response": RFC 6749 shaped apart from `token_type:
    // "bearer"` (lower case; the engine stores Bearer) and a `data` object naming the user
    // (identify reads the user again, with the workspaces). `expires_in` is typically 3600 (one
    // hour). `refresh_token` comes only when exchanging a code: a refresh answers a new access
    // token alone, so the refresh token is not rotated and the stored one is kept. No `scope`.
    storage: {
      accessToken: 'ASANA_ACCESS_TOKEN',
      refreshToken: 'ASANA_REFRESH_TOKEN',
      tokenType: 'ASANA_TOKEN_TYPE',
      expiresAt: 'ASANA_EXPIRES_AT',
    },
    // ME: one grant is the user's and reaches every workspace they belong to, so the account is
    // the user, named with all their workspaces (picking the first would name an arbitrary one,
    // and no choice is needed since the token is the same for all).
    identify: async ({ apiUrl, accessToken, fetch }) => {
      const response = await fetch(`${apiUrl}/users/me`, {
        headers: { authorization: `Bearer ${accessToken.reveal()}`, accept: 'application/json' },
      });
      if (!response.ok) throw new ProviderError('identify', response.status);
      const answer = meAnswer.safeParse(await response.json().catch(() => null));
      if (!answer.success) throw new ProviderError('identify', response.status, 'malformed_response');
      const user = answer.data.data;
      return {
        id: user.gid,
        name: asanaAccountName(user.name, user.workspaces.map((w) => w.name)),
        approvedBy: user.email,
      };
    },
    // DOCS, "Token deauthorization endpoint": POST app.asana.com/-/oauth_revoke, a form with
    // `client_id`, `client_secret` and `token`: RFC 7009 shaped. The token must be the refresh
    // token (access tokens are refused with 400), which the engine sends; it deauthorizes the
    // refresh token and its access tokens. 200 means revoked or not found.
    revoke: 'rfc7009',
    docsUrl: DOCS,
    sandbox: async (client) => {
      // Imported lazily so production never loads the sandbox.
      const [{ startOAuthSandbox }, { asanaSandboxProfile }] = await Promise.all([
        import('../../sandbox/oauth-sandbox.js'),
        import('./sandbox-profile.js'),
      ]);
      return startOAuthSandbox(asanaSandboxProfile, client);
    },
  },
});
