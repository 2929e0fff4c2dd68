import { z } from 'zod';
import { ProviderError } from '../../oauth/provider-error.js';
import { defineConnector } from '../types.js';

/** The v2 OAuth flow: the consent page, bot scopes, the answer's shape. The pages named below are cited by their tag. */
const DOCS = 'https://docs.slack.dev/authentication/installing-with-oauth';
// ACCESS: https://docs.slack.dev/reference/methods/oauth.v2.access (arguments, client authentication, errors, refresh)
// ROTATION: https://docs.slack.dev/authentication/using-token-rotation (12-hour tokens, single-use refresh tokens)
// PKCE: https://docs.slack.dev/authentication/using-pkce
// WEB_API: https://docs.slack.dev/apis/web-api/ ("Evaluating responses": `ok`, and `error` on failure)
// TEAM_INFO: https://docs.slack.dev/reference/methods/team.info
// REVOKE: https://docs.slack.dev/reference/methods/auth.revoke

/** Bot scopes, read only: the public channels and their messages, the members, the workspace. */
export const SLACK_BOT_SCOPES = ['channels:read', 'channels:history', 'users:read', 'team:read'];

/**
 * oauth.v2.access's answer once `ok` has been checked: the bot token at the top level with
 * `token_type: "bot"` (DOCS: "the shape of the OAuth access response now puts bot access
 * tokens first"), the granted scopes comma separated, and with token rotation `expires_in` and
 * an `xoxe-` refresh token (ROTATION). A refresh answers the same shape.
 */
const tokenAnswer = z.object({
  access_token: z.string().min(1),
  token_type: z.literal('bot'),
  scope: z.string().optional(),
  expires_in: z.number().int().positive().optional(),
  refresh_token: z.string().min(1).optional(),
});

/**
 * The answer as RFC 6749 §5.1 has it, and nothing else. `token_type: "bot"` names the kind of
 * token, not an HTTP scheme: Slack's tokens are sent as `Authorization: Bearer` (WEB_API), so
 * that is what services are told. Everything else is dropped here, `authed_user` first: it
 * carries the installing user's own token when user scopes are asked, and Plugboard asks for
 * bot scopes only, so a user token is never stored, logged or handed out.
 */
export function normalizeSlackTokenAnswer(body: Record<string, unknown>): Record<string, unknown> {
  const parsed = tokenAnswer.safeParse(body);
  if (!parsed.success) throw new ProviderError('token', 200, 'malformed_response');
  const { access_token, scope, expires_in, refresh_token } = parsed.data;
  return {
    access_token,
    token_type: 'Bearer',
    ...(scope === undefined ? {} : { scope: scope.split(',').filter(Boolean).join(' ') }),
    ...(expires_in === undefined ? {} : { expires_in }),
    ...(refresh_token === undefined ? {} : { refresh_token }),
  };
}

/**
 * Web API errors that mean the token itself no longer works (WEB_API and the methods' error
 * tables): the connection needs the admin. Any other `ok: false` (`internal_error`,
 * `fatal_error`, `service_unavailable`, `ratelimited`, ...) may pass.
 */
const TOKEN_REJECTED = new Set(['not_authed', 'invalid_auth', 'account_inactive', 'token_revoked', 'token_expired', 'no_permission', 'missing_scope', 'team_access_not_granted']);

/**
 * A Web API answer: HTTP 200 with `ok: true`, or `ok: false` and an `error` code (a 429 is
 * `ratelimited` with a Retry-After). A refusal of the token becomes a 401 and anything else a
 * 503, each with Slack's code, so the connection's health reads them as HTTP statuses.
 */
async function webApiAnswer<T>(step: 'identify' | 'revoke', response: Response, schema: z.ZodType<T>): Promise<T> {
  if (!response.ok) throw new ProviderError(step, response.status);
  const body: unknown = await response.json().catch(() => null);
  const failure = z.object({ ok: z.literal(false), error: z.string() }).safeParse(body);
  if (failure.success) {
    const code = /^[a-z_]{1,64}$/.test(failure.data.error) ? failure.data.error : null;
    throw new ProviderError(step, code !== null && TOKEN_REJECTED.has(code) ? 401 : 503, 'http_status', code);
  }
  const answer = schema.safeParse(body);
  if (!answer.success) throw new ProviderError(step, response.status, 'malformed_response');
  return answer.data;
}

const teamInfoAnswer = z.object({ ok: z.literal(true), team: z.object({ id: z.string().min(1), name: z.string().min(1) }) });
const revokeAnswer = z.object({ ok: z.literal(true), revoked: z.boolean() });

export const slack = defineConnector({
  id: 'slack',
  name: 'Slack',
  tagline: 'Messages and channels from your workspace',
  brandColor: '#4A154B',
  icon: null, // not in simple-icons: the catalog shows a monogram
  monogram: 'Sl',
  category: 'communication',
  // What the four bot scopes let the app do, in the admin's words (read only: no posting).
  accessItems: [
    'Read the workspace name',
    'Read the list of public channels',
    'Read messages in public channels the app is added to',
    'Read the list of members',
  ],
  availability: 'available',
  keys: {
    SLACK_ACCESS_TOKEN: { sensitive: true, description: 'Bot token for the Slack workspace (xoxb-, or xoxe.xoxb- with token rotation)' },
    SLACK_REFRESH_TOKEN: { sensitive: true, description: 'Refresh token when the Slack app rotates tokens (xoxe-, single use)' },
    SLACK_TOKEN_TYPE: { sensitive: false, description: 'How the bot token is sent (Bearer)' },
    SLACK_EXPIRES_AT: { sensitive: false, description: 'When the bot token expires (only with token rotation)' },
    SLACK_SCOPES: { sensitive: false, description: 'Bot scopes Slack granted' },
  },
  oauth: {
    // DOCS: the consent page is slack.com/oauth/v2/authorize; ACCESS: the code (and a refresh
    // token) is exchanged at the Web API method oauth.v2.access.
    endpoints: { authorize: 'https://slack.com/oauth/v2/authorize', token: 'https://slack.com/api/oauth.v2.access' },
    apiBase: 'https://slack.com/api',
    // DOCS: bot scopes go in `scope`, comma separated; user scopes would go in `user_scope`,
    // which is never sent (no user token is wanted).
    scopes: SLACK_BOT_SCOPES,
    scopeSeparator: ',',
    // PKCE: Slack takes PKCE only from an app switched to a public client (one way, and then
    // refresh tokens expire after 30 days and localhost redirects may not ask for bot scopes).
    // Plugboard is a confidential client with a secret: no PKCE.
    pkce: false,
    // ACCESS: "We strongly recommend supplying the Client ID and Client Secret using the HTTP
    // Basic authentication scheme" (the form body is accepted but discouraged). A form body.
    clientAuthentication: 'client_secret_basic',
    // ACCESS and WEB_API: an error is HTTP 200 with `ok: false` and a code (`invalid_code`,
    // `invalid_refresh_token`, `bad_redirect_uri`, `invalid_client_id`, ...).
    okField: 'ok',
    // ACCESS: `invalid_client_id` and `bad_client_secret` mean our app's credentials are wrong:
    // no reconnect helps, so they count as `invalid_client` (retried, not "needs reconnect").
    clientErrorCodes: ['invalid_client_id', 'bad_client_secret'],
    normalizeTokenAnswer: normalizeSlackTokenAnswer,
    // ROTATION: without token rotation the bot token never expires and there is no refresh
    // token (nothing to store or refresh); with it the token lasts 12 hours (`expires_in:
    // 43200`) and is refreshed through oauth.v2.access with `grant_type=refresh_token`, which
    // answers a new refresh token: the old one is revoked, so each is used once.
    storage: {
      accessToken: 'SLACK_ACCESS_TOKEN',
      refreshToken: 'SLACK_REFRESH_TOKEN',
      tokenType: 'SLACK_TOKEN_TYPE',
      expiresAt: 'SLACK_EXPIRES_AT',
      scopes: 'SLACK_SCOPES',
    },
    // TEAM_INFO: the workspace the bot token belongs to, with the `team:read` bot scope asked
    // above (the token answer's `team` says the same, but only this call proves the token
    // works, and the daily check reuses it). GET with `Authorization: Bearer`.
    identify: async ({ apiUrl, accessToken, fetch }) => {
      const response = await fetch(`${apiUrl}/team.info`, {
        headers: { authorization: `Bearer ${accessToken.reveal()}`, accept: 'application/json' },
      });
      const { team } = await webApiAnswer('identify', response, teamInfoAnswer);
      return { id: team.id, name: team.name };
    },
    // REVOKE: auth.revoke revokes the token that authenticates the call (`{ok: true, revoked:
    // true}`). A token that no longer authenticates (`invalid_auth`, `token_revoked`,
    // `account_inactive`: the app was removed) is already revoked. An expired rotating token
    // (`token_expired`) cannot revoke itself: that fails, and the job retries.
    revoke: async ({ apiUrl, accessToken, fetch }) => {
      const response = await fetch(`${apiUrl}/auth.revoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken.reveal()}`, accept: 'application/json' },
      });
      try {
        const answer = await webApiAnswer('revoke', response, revokeAnswer);
        if (!answer.revoked) throw new ProviderError('revoke', response.status, 'malformed_response');
        return 'revoked';
      } catch (error) {
        const gone = error instanceof ProviderError && ['invalid_auth', 'token_revoked', 'account_inactive'].includes(error.oauthError ?? '');
        if (gone) return 'already_revoked';
        throw error;
      }
    },
    docsUrl: DOCS,
    sandbox: async (client) => {
      // Imported lazily so production never loads the sandbox. It plays an app with token
      // rotation on, so the page shows an expiring token; tests play both.
      const [{ startOAuthSandbox }, { slackSandboxProfile }] = await Promise.all([
        import('../../sandbox/oauth-sandbox.js'),
        import('./sandbox-profile.js'),
      ]);
      return startOAuthSandbox(slackSandboxProfile({ tokenRotation: true }), client);
    },
  },
});
