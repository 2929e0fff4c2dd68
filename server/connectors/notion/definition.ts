import { siNotion } from 'simple-icons';
import { z } from 'zod';
import { ProviderError } from '../../oauth/provider-error.js';
import { defineConnector, simpleIcon } from '../types.js';

/** The flow: the authorization URL with `owner=user`, the callback, storing the token answer. */
const GUIDE = 'https://developers.notion.com/guides/get-started/authorization';
// The other pages the facts below name:
//   CREATE_TOKEN   https://developers.notion.com/reference/create-a-token
//                  POST /v1/oauth/token (authorization_code): HTTP Basic, a JSON body, the answer's fields
//   REFRESH_TOKEN  https://developers.notion.com/reference/refresh-a-token
//                  POST /v1/oauth/token (refresh_token): "generating a new access token and new refresh token"
//   REVOKE_TOKEN   https://developers.notion.com/reference/revoke-token
//                  POST /v1/oauth/revoke: HTTP Basic, Notion-Version, `{"token": <the access token>}`
//   VERSIONING     https://developers.notion.com/reference/versioning
//                  the Notion-Version header: required on every request; versions are release dates
//   BOT_USER       https://developers.notion.com/changelog/retrieve-information-about-your-token
//                  GET /v1/users/me: the token's bot user, with the owner who authorized it

/**
 * VERSIONING: the latest version, pinned so a change on Notion's side cannot reshape an answer
 * under us. CREATE_TOKEN, REFRESH_TOKEN and REVOKE_TOKEN list the header as required on the
 * OAuth endpoints too (as does https://developers.notion.com/reference/introspect-token).
 */
export const NOTION_API_VERSION = '2026-03-11';

/** Notion's ids (workspace, bot, user) are UUIDs in their dashed form. */
const notionId = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
/** Shown on the page and as the account's name: printable text of a sensible length. */
const workspaceName = z.string().trim().min(1).max(255).regex(/^[^\p{Cc}]+$/u);
/** CREATE_TOKEN: an image URL or an emoji. Anything else (markup, a `javascript:` URL) is refused. */
const workspaceIcon = z.union([z.string().max(2048).regex(/^https:\/\/[^\s"'<>\\]+$/), z.string().regex(/^[^\s\p{Cc}:<>"'&\\/]{1,8}$/u)]);
/**
 * CREATE_TOKEN: `owner` is `{type: "user", user: {...}}` (owner=user) or `{type: "workspace", workspace: true}`;
 * workspace-level grants from before user-level tokens answer `{workspace: true}` without a type
 * (https://developers.notion.com/changelog/space-level-integrations-will-be-deprecated-soon-migrate-your-oauth-flows).
 */
const ownerType = z.union([
  z.object({ type: z.enum(['user', 'workspace']) }).transform((owner) => owner.type),
  z.object({ workspace: z.literal(true) }).transform(() => 'workspace'),
]);

// BOT_USER: `{object: "user", id: <bot id>, type: "bot", bot: {owner, workspace_name}}`.
const botUser = z.object({
  object: z.literal('user'),
  id: z.string(),
  type: z.literal('bot'),
  bot: z.object({
    owner: z
      .object({ type: z.string(), user: z.object({ person: z.object({ email: z.string().max(320).optional() }).optional() }).optional() })
      .optional(),
    workspace_name: z.string().nullish(),
  }),
});

export const notion = defineConnector({
  id: 'notion',
  name: 'Notion',
  tagline: 'Pages and databases shared with the integration',
  brandColor: '#000000',
  icon: simpleIcon(siNotion),
  category: 'documents',
  // Notion has no scopes: what the connection may do is set once on the integration
  // (capabilities: read content, no user information), and the admin picks the pages on
  // Notion's consent screen (GUIDE).
  accessItems: [
    'See the workspace name and icon, and who installed the connection',
    'Read the pages and databases you pick on Notion’s consent screen',
  ],
  availability: 'available',
  keys: {
    NOTION_ACCESS_TOKEN: { sensitive: true, description: 'OAuth access token for the Notion workspace' },
    NOTION_REFRESH_TOKEN: { sensitive: true, description: 'OAuth refresh token (single use: Notion rotates it)' },
    NOTION_TOKEN_TYPE: { sensitive: false, description: 'Token type Notion issued (bearer)' },
    NOTION_EXPIRES_AT: { sensitive: false, description: 'When the access token expires, if Notion ever says (its answer has no expires_in)' },
    NOTION_WORKSPACE_ID: { sensitive: false, description: 'Id of the Notion workspace the connection is installed in' },
    NOTION_WORKSPACE_NAME: { sensitive: false, description: 'Name of the Notion workspace' },
    NOTION_WORKSPACE_ICON: { sensitive: false, description: 'Icon of the Notion workspace (an image URL or an emoji)' },
    NOTION_BOT_ID: { sensitive: false, description: 'Id of the bot user Notion created for the connection' },
    NOTION_OWNER_TYPE: { sensitive: false, description: 'Who the connection is installed for: user or workspace' },
  },
  oauth: {
    // GUIDE, "Step 1": the authorization URL is on the API host.
    endpoints: {
      authorize: 'https://api.notion.com/v1/oauth/authorize',
      token: 'https://api.notion.com/v1/oauth/token',
      revoke: 'https://api.notion.com/v1/oauth/revoke',
    },
    apiBase: 'https://api.notion.com',
    // GUIDE: `owner=user` is required (with `response_type=code`); there is no scope parameter.
    authorizeParams: { owner: 'user' },
    // PKCE is not part of Notion's documented flow: no challenge is sent, no verifier expected.
    pkce: false,
    // CREATE_TOKEN and REFRESH_TOKEN: "Basic authentication header ... username:password" (the
    // client id is a UUID, its hyphens sent as they are) and an `application/json` body.
    clientAuthentication: 'client_secret_basic',
    requestBody: 'json',
    // VERSIONING: "Setting this header is required", on the token, revocation and API calls alike.
    requestHeaders: { 'Notion-Version': NOTION_API_VERSION },
    // CREATE_TOKEN: `refresh_token` is "string | null" (a connection without one answers null),
    // which RFC 6749 §5.1 (and oauth4webapi) do not accept: null is no refresh token.
    normalizeTokenAnswer: (body) => {
      if (body.refresh_token !== null) return body;
      const { refresh_token: _none, ...rest } = body;
      return rest;
    },
    // CREATE_TOKEN: the answer has no `expires_in`; REFRESH_TOKEN: a refresh answers a new
    // access token and a new refresh token, and the old refresh token is spent. Without an
    // expiry the token is checked daily (identify) and refreshed when Notion rejects it.
    // GUIDE, storing the token: every authorization, a re-authorization included, may answer a
    // new pair; store each (public connections created since 2026-06-08 always get a new one).
    // Older connections got the existing token back on re-authorization
    // (https://developers.notion.com/changelog/initial-users-may-reauthorize-a-public-integration-using-oauth).
    storage: {
      accessToken: 'NOTION_ACCESS_TOKEN',
      refreshToken: 'NOTION_REFRESH_TOKEN',
      tokenType: 'NOTION_TOKEN_TYPE',
      expiresAt: 'NOTION_EXPIRES_AT',
    },
    // CREATE_TOKEN: the token answer itself tells which workspace and bot the grant is for.
    learned: {
      workspaceId: { key: 'NOTION_WORKSPACE_ID', label: 'Notion workspace id', from: 'token', field: 'workspace_id', schema: notionId },
      workspaceName: { key: 'NOTION_WORKSPACE_NAME', label: 'Notion workspace name', from: 'token', field: 'workspace_name', schema: workspaceName, optional: true },
      workspaceIcon: { key: 'NOTION_WORKSPACE_ICON', label: 'Workspace icon', from: 'token', field: 'workspace_icon', schema: workspaceIcon, optional: true },
      botId: { key: 'NOTION_BOT_ID', label: 'Bot id', from: 'token', field: 'bot_id', schema: notionId },
      ownerType: { key: 'NOTION_OWNER_TYPE', label: 'Installed for', from: 'token', field: 'owner', schema: ownerType },
    },
    // The account is the workspace the token answer named (its values arrive as settings). The
    // call proves the token works and is the bot that answer named, and tells who approved;
    // the Notion-Version header comes from `requestHeaders`.
    identify: async ({ apiUrl, accessToken, settings, fetch }) => {
      const response = await fetch(`${apiUrl}/v1/users/me`, {
        headers: { authorization: `Bearer ${accessToken.reveal()}`, accept: 'application/json' },
      });
      if (!response.ok) throw new ProviderError('identify', response.status);
      const me = botUser.safeParse(await response.json().catch(() => null));
      if (!me.success) throw new ProviderError('identify', response.status, 'malformed_response');
      const workspaceId = settings.workspaceId;
      if (!workspaceId || (settings.botId !== undefined && me.data.id !== settings.botId)) {
        throw new ProviderError('identify', response.status, 'malformed_response');
      }
      const name = settings.workspaceName ?? me.data.bot.workspace_name ?? workspaceId;
      return { id: workspaceId, name, approvedBy: me.data.bot.owner?.user?.person?.email };
    },
    // REVOKE_TOKEN: RFC 7009's shape (Basic, `token`, 200) as JSON, with the access token as the
    // page's example names it; revoking removes the connection, its refresh token included.
    revoke: 'rfc7009',
    revokeToken: 'access_token',
    docsUrl: GUIDE,
    sandbox: async (client) => {
      // Imported lazily so production never loads the sandbox.
      const [{ startOAuthSandbox }, { notionSandboxProfile }] = await Promise.all([
        import('../../sandbox/oauth-sandbox.js'),
        import('./sandbox-profile.js'),
      ]);
      return startOAuthSandbox(notionSandboxProfile, client);
    },
  },
});
