import { siLinear } from 'simple-icons';
import { z } from 'zod';
import { ProviderError } from '../../oauth/provider-error.js';
import { defineConnector, simpleIcon } from '../types.js';

/** Every fact below comes from this page unless another is named. */
const DOCS = 'https://linear.app/developers/oauth-2-0-authentication';

const organizationAnswer = z.object({
  data: z.object({ organization: z.object({ id: z.string().min(1), name: z.string().min(1) }) }),
});

export const linear = defineConnector({
  id: 'linear',
  name: 'Linear',
  tagline: 'Issues, projects and cycles',
  brandColor: '#5E6AD2',
  icon: simpleIcon(siLinear),
  category: 'engineering',
  accessItems: ['Read the organization name', 'Read issues, projects and cycles'],
  availability: 'available',
  keys: {
    LINEAR_ACCESS_TOKEN: { sensitive: true, description: 'OAuth access token for the Linear organization' },
    LINEAR_REFRESH_TOKEN: { sensitive: true, description: 'OAuth refresh token (single use: Linear rotates it)' },
    LINEAR_TOKEN_TYPE: { sensitive: false, description: 'Token type Linear issued (Bearer)' },
    LINEAR_EXPIRES_AT: { sensitive: false, description: 'When the access token expires' },
    LINEAR_SCOPES: { sensitive: false, description: 'Scopes Linear granted' },
  },
  oauth: {
    // DOCS, "Redirect user access requests to Linear" (GET linear.app/oauth/authorize) and
    // "Exchange code for an access token" (POST api.linear.app/oauth/token).
    endpoints: { authorize: 'https://linear.app/oauth/authorize', token: 'https://api.linear.app/oauth/token' },
    apiBase: 'https://api.linear.app',
    // DOCS: `scope` is a comma-separated list; `read` is the default and always present.
    scopes: ['read'],
    scopeSeparator: ',',
    // DOCS: `prompt=consent` shows the consent screen every time, so a reconnect lets the
    // admin pick the organization instead of silently reusing the last one.
    authorizeParams: { prompt: 'consent' },
    // DOCS: Linear supports PKCE (S256); the engine sends it by default.
    pkce: true,
    // DOCS: the token request is a form (`application/x-www-form-urlencoded`) carrying
    // `client_id` and `client_secret` in the body.
    clientAuthentication: 'client_secret_post',
    // DOCS: apps created before 2023-12-01 get `scope` as an array of strings, which RFC 6749
    // §5.1 (and oauth4webapi) do not accept; joined here, otherwise the answer is standard.
    normalizeTokenAnswer: (body) => (Array.isArray(body.scope) ? { ...body, scope: body.scope.join(' ') } : body),
    // DOCS: every app uses expiring access tokens (about 24 h) with refresh tokens since
    // 2026-04-01: the refresh token, expiry and granted scopes are kept with the connection.
    storage: {
      accessToken: 'LINEAR_ACCESS_TOKEN',
      refreshToken: 'LINEAR_REFRESH_TOKEN',
      tokenType: 'LINEAR_TOKEN_TYPE',
      expiresAt: 'LINEAR_EXPIRES_AT',
      scopes: 'LINEAR_SCOPES',
    },
    // DOCS, "Make an API request": GraphQL at api.linear.app/graphql with `Authorization: Bearer`.
    identify: async ({ apiUrl, accessToken, fetch }) => {
      const response = await fetch(`${apiUrl}/graphql`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${accessToken.reveal()}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify({ query: '{ organization { id name } }' }),
      });
      if (!response.ok) throw new ProviderError('identify', response.status);
      const answer = organizationAnswer.safeParse(await response.json().catch(() => null));
      if (!answer.success) throw new ProviderError('identify', response.status, 'malformed_response');
      return { id: answer.data.data.organization.id, name: answer.data.data.organization.name };
    },
    // DOCS, "Revoke an access token": POST api.linear.app/oauth/revoke with the token as a Bearer
    // header (or an `access_token` form field), not RFC 7009's `token` parameter with client
    // authentication. 200 revoked; 400 could not revoke (already revoked); 401 the token does
    // not authenticate (revoked or expired). Revoking ends the app's access for that user.
    revoke: async ({ apiUrl, accessToken, fetch }) => {
      const response = await fetch(`${apiUrl}/oauth/revoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken.reveal()}`, accept: 'application/json' },
      });
      if (response.status === 400 || response.status === 401) return 'already_revoked';
      if (!response.ok) throw new ProviderError('revoke', response.status);
      return 'revoked';
    },
    docsUrl: DOCS,
    sandbox: async (client) => {
      // Imported lazily so production never loads the sandbox.
      const [{ startOAuthSandbox }, { linearSandboxProfile }] = await Promise.all([
        import('../../sandbox/oauth-sandbox.js'),
        import('./sandbox-profile.js'),
      ]);
      return startOAuthSandbox(linearSandboxProfile, client);
    },
  },
});
