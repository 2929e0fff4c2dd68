/**
 * Notion as the generic sandbox plays it: `owner=user` consent, a token endpoint that takes only
 * HTTP Basic client authentication with a JSON body, Notion's token answer (workspace and bot
 * in it, no `expires_in`, `refresh_token` rotated on every refresh), RFC 7009-shaped revocation
 * of the access token that ends the connection, the bot user at /v1/users/me, and the
 * Notion-Version header required (and logged) on each of them. From the pages cited in
 * ./definition.ts. Loaded only by the sandbox hook, tests and the sandbox CLI.
 */
import { randomUUID } from 'node:crypto';
import type { SandboxProfile } from '../../sandbox/profile.js';
import { NOTION_API_VERSION } from './definition.js';

export const NOTION_SANDBOX_WORKSPACE = {
  id: '5f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b',
  name: 'Sandbox Notion Workspace',
  icon: '📓',
  botId: '0b7e1c9a-2f3d-4e5a-9b6c-7d8e9fa0b1c2',
  owner: {
    type: 'user',
    user: {
      object: 'user',
      id: 'c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f',
      name: 'Ada Sandbox',
      avatar_url: null,
      type: 'person',
      person: { email: 'ada@sandbox.notion.example' },
    },
  },
} as const;

/** CREATE_TOKEN's answer: no `expires_in` or `scope`; `refresh_token` is null when none is issued. */
export function notionTokenAnswer(standard: { access_token: string; refresh_token?: string }): Record<string, unknown> {
  const w = NOTION_SANDBOX_WORKSPACE;
  return {
    access_token: standard.access_token,
    token_type: 'bearer',
    refresh_token: standard.refresh_token ?? null,
    bot_id: w.botId,
    workspace_name: w.name,
    workspace_icon: w.icon,
    workspace_id: w.id,
    owner: w.owner,
    duplicated_template_id: null,
    request_id: randomUUID(),
  };
}

export const notionSandboxProfile: SandboxProfile = {
  provider: 'Notion',
  accountName: NOTION_SANDBOX_WORKSPACE.name,
  authorizePath: '/v1/oauth/authorize',
  scopeSeparator: ' ',
  tokenPath: '/v1/oauth/token',
  clientAuthentication: 'client_secret_basic',
  tokenRequestBodies: ['json'],
  // No expires_in in the answer; each refresh answers a new refresh token and spends the old.
  refreshTokens: { rotate: true },
  tokenAnswer: notionTokenAnswer,
  // The OAuth endpoints answer RFC 6749 errors (`invalid_grant`, `invalid_client`); the API
  // answers Notion's error object (https://developers.notion.com/reference/status-codes).
  errorAnswer: ({ endpoint, status, error, description }) =>
    endpoint === 'token' || endpoint === 'revoke'
      ? { status, body: { error, ...(description ? { error_description: description } : {}) } }
      : {
          status,
          body: {
            object: 'error',
            status,
            code: error === 'invalid_token' ? 'unauthorized' : error,
            message: description ?? (error === 'invalid_token' ? 'API token is invalid.' : error),
            request_id: randomUUID(),
          },
        },
  tokenPrefix: 'ntn_sbx_',
  revocation: { path: '/v1/oauth/revoke', style: 'rfc7009', endsGrant: true },
  identity: {
    path: '/v1/users/me',
    method: 'GET',
    answer: {
      object: 'user',
      id: NOTION_SANDBOX_WORKSPACE.botId,
      name: 'Plugboard',
      avatar_url: null,
      type: 'bot',
      bot: { owner: NOTION_SANDBOX_WORKSPACE.owner, workspace_name: NOTION_SANDBOX_WORKSPACE.name },
    },
  },
  loggedHeaders: ['notion-version'],
  requiredHeaders: [{ name: 'notion-version', value: NOTION_API_VERSION, error: 'missing_version' }],
};
