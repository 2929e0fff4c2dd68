/**
 * Slack as the generic sandbox plays it, with or without token rotation (a setting of the
 * Slack app): the v2 consent page at `/oauth/v2/authorize` (bot scopes, comma separated), the
 * Web API's `oauth.v2.access` (HTTP Basic client authentication, a form; errors as HTTP 200
 * `{ok: false, error}`), `team.info` for the workspace and `auth.revoke` for the bot token.
 *
 * - https://docs.slack.dev/reference/methods/oauth.v2.access
 * - https://docs.slack.dev/authentication/using-token-rotation
 * - https://docs.slack.dev/reference/methods/team.info
 * - https://docs.slack.dev/reference/methods/auth.revoke
 *
 * Loaded only by the sandbox hook, the sandbox CLI and tests.
 */
import type { SandboxError, SandboxProfile, TokenAnswer } from '../../sandbox/profile.js';

export const SLACK_SANDBOX_TEAM = { id: 'T0SBXPLUG1', name: 'Sandbox Slack Workspace', domain: 'sandbox-plugboard' } as const;
/** The bot user and the app the sandbox's tokens belong to (fields of the token answer). */
export const SLACK_SANDBOX_APP = { appId: 'A0SBXPLUG1', botUserId: 'U0SBXBOT01', installerId: 'U0SBXADMIN' } as const;
/** The user token every sandbox answer carries under `authed_user`: Plugboard must never keep or log it. */
export const SLACK_SANDBOX_USER_TOKEN = 'xoxp-sbx-user-token-never-stored';

/** With rotation, access tokens last 12 hours (oauth.v2.access answers `expires_in: 43200`). */
export const SLACK_ROTATING_TOKEN_TTL_SECONDS = 43_200;

export interface SlackSandboxOptions {
  /** The app has token rotation turned on: expiring `xoxe.xoxb-` tokens and single-use `xoxe-` refresh tokens. */
  readonly tokenRotation: boolean;
  /** Default 12 hours; tests shorten it. */
  readonly accessTokenTtlSeconds?: number;
}

/**
 * Slack's Web API answers errors with HTTP 200 and `{ok: false, error}` (a 429 keeps its status,
 * and so does a 5xx the tests inject). The generic sandbox's RFC 6749 codes, in Slack's words.
 */
export function slackErrorAnswer({ endpoint, status, error, grantType }: SandboxError): { status: number; body: unknown } {
  return { status: status === 429 || status >= 500 ? status : 200, body: { ok: false, error: slackErrorCode(endpoint, error, grantType) } };
}

function slackErrorCode(endpoint: SandboxError['endpoint'], error: string, grantType: string | undefined): string {
  switch (error) {
    // oauth.v2.access: a used, expired or unknown code, or a spent refresh token.
    case 'invalid_grant':
      return grantType === 'refresh_token' ? 'invalid_refresh_token' : 'invalid_code';
    case 'invalid_client':
      return 'invalid_client_id';
    case 'unsupported_grant_type':
      return 'invalid_grant_type';
    case 'invalid_request':
      // auth.revoke with a token already revoked; elsewhere a missing or malformed argument.
      return endpoint === 'revoke' ? 'token_revoked' : 'invalid_arguments';
    // A token that does not authenticate the call (team.info, auth.revoke).
    case 'invalid_token':
      return 'invalid_auth';
    case 'not_found':
      return 'unknown_method';
    case 'server_error':
      return 'internal_error';
    default:
      return error;
  }
}

export function slackSandboxProfile(options: SlackSandboxOptions): SandboxProfile {
  const rotation = options.tokenRotation;
  return {
    provider: 'Slack',
    accountName: SLACK_SANDBOX_TEAM.name,
    authorizePath: '/oauth/v2/authorize',
    scopeSeparator: ',',
    tokenPath: '/api/oauth.v2.access',
    // "We strongly recommend supplying the Client ID and Client Secret using the HTTP Basic
    // authentication scheme": the definition does, and the sandbox accepts only that.
    clientAuthentication: 'client_secret_basic',
    tokenRequestBodies: ['form'],
    // Without rotation the bot token never expires and there is no refresh token.
    ...(rotation ? { accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? SLACK_ROTATING_TOKEN_TTL_SECONDS, refreshTokens: { rotate: true } } : {}),
    answerScope: true,
    tokenPrefix: rotation ? 'xoxe.xoxb-sbx-' : 'xoxb-sbx-',
    refreshTokenPrefix: 'xoxe-1-sbx-',
    tokenAnswer: slackTokenAnswer,
    errorAnswer: slackErrorAnswer,
    revocation: { path: '/api/auth.revoke', style: 'bearer', answer: { ok: true, revoked: true } },
    identity: {
      path: '/api/team.info',
      method: 'GET',
      answer: {
        ok: true,
        team: {
          ...SLACK_SANDBOX_TEAM,
          email_domain: 'sandbox.example',
          icon: { image_default: true },
        },
      },
    },
  };
}

/**
 * oauth.v2.access's answer: `ok: true`, the bot token at the top level with `token_type: "bot"`
 * and the granted bot scopes comma separated, the workspace under `team`, and the installing
 * user under `authed_user` (with a user token of its own when user scopes were asked; here the
 * sandbox adds one, so the tests can prove it is never stored or logged).
 */
function slackTokenAnswer(standard: TokenAnswer): Record<string, unknown> {
  return {
    ok: true,
    app_id: SLACK_SANDBOX_APP.appId,
    authed_user: {
      id: SLACK_SANDBOX_APP.installerId,
      scope: 'search:read',
      access_token: SLACK_SANDBOX_USER_TOKEN,
      token_type: 'user',
    },
    scope: (standard.scope ?? '').split(' ').filter(Boolean).join(','),
    token_type: 'bot',
    access_token: standard.access_token,
    bot_user_id: SLACK_SANDBOX_APP.botUserId,
    ...(standard.expires_in === undefined ? {} : { expires_in: standard.expires_in }),
    ...(standard.refresh_token === undefined ? {} : { refresh_token: standard.refresh_token }),
    team: { id: SLACK_SANDBOX_TEAM.id, name: SLACK_SANDBOX_TEAM.name },
    enterprise: null,
    is_enterprise_install: false,
  };
}
