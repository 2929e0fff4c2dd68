import { siGithub } from 'simple-icons';
import { z } from 'zod';
import { OAuthFlowError } from '../../oauth/errors.js';
import { ProviderError } from '../../oauth/provider-error.js';
import { SecretValue } from '../../secrets/secret-value.js';
import { defineConnector, simpleIcon, type AppAuthentication, type MintedCredential } from '../types.js';

/**
 * A GitHub App, connected through its installation flow (docs/decisions/017-github-app.md). The
 * official pages each fact below comes from:
 */
const DOCS = {
  /** "Sharing your GitHub App": the installation URL, with a `state` returned after install. */
  share: 'https://docs.github.com/en/apps/sharing-github-apps/sharing-your-github-app',
  /** "About the setup URL": never trust `installation_id` alone; check it with a user access token. */
  setupUrl: 'https://docs.github.com/en/apps/creating-github-apps/registering-a-github-app/about-the-setup-url',
  /** "Generating a user access token for a GitHub App": the web flow after installation, and the code exchange. */
  userToken: 'https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app',
  /** "Troubleshooting OAuth app access token request errors": errors of the code exchange. */
  tokenErrors: 'https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors',
  /** "Generating a JSON Web Token (JWT) for a GitHub App": RS256, iat/exp/iss. */
  jwt: 'https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app',
  /** "Generating an installation access token for a GitHub App". */
  installationToken: 'https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-an-installation-access-token-for-a-github-app',
  /** REST "Apps": create an installation access token, get an installation. */
  restApps: 'https://docs.github.com/en/rest/apps/apps',
  /** REST "Installations": installations the user's token can access, revoke an installation access token. */
  restInstallations: 'https://docs.github.com/en/rest/apps/installations',
  /** REST "OAuth authorizations": delete an app token (Basic client authentication). */
  restAppTokens: 'https://docs.github.com/en/rest/apps/oauth-applications',
  /** REST API versions: the `X-GitHub-Api-Version` header. */
  versions: 'https://docs.github.com/en/rest/about-the-rest-api/api-versions',
} as const;

/** DOCS.versions: pinned, so a new version cannot silently reshape the answers read here. */
export const GITHUB_API_VERSION = '2022-11-28';

/** An installation id: a positive integer (it goes into API paths, so nothing else). */
const installationId = z.string().regex(/^[1-9]\d{0,19}$/);
/** DOCS.restApps `html_url`: the installation's settings on github.com, for a user or an organization. */
const installationUrl = z.string().regex(/^https:\/\/github\.com\/(?:organizations\/[A-Za-z0-9-]{1,100}\/)?settings\/installations\/\d{1,20}$/);

// DOCS.installationToken: `{ token, expires_at, permissions, repository_selection }`, HTTP 201.
// Since 2026-04-27 tokens may be the long stateless `ghs_APPID_JWT` format: no length is assumed.
const mintedAnswer = z.object({
  token: z.string().min(1).max(4096),
  expires_at: z.iso.datetime({ offset: true }),
  permissions: z.record(z.string(), z.string()).optional(),
});
// DOCS.restApps "Get an installation for the authenticated app".
const installationAnswer = z.object({
  id: z.number().int(),
  account: z.object({ login: z.string().min(1), id: z.number().int() }),
  html_url: z.string().optional(),
});
// DOCS.restInstallations "List app installations accessible to the user access token".
const userInstallations = z.object({ total_count: z.number().int(), installations: z.array(z.object({ id: z.number().int() })) });

/** 100 per page (the documented maximum), at most 20 pages: 2,000 installations. */
const PER_PAGE = 100;
const MAX_PAGES = 20;

const apiHeaders = (authorization: string): Record<string, string> => ({
  authorization,
  accept: 'application/vnd.github+json',
  'x-github-api-version': GITHUB_API_VERSION,
});

type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * DOCS.installationToken: POST /app/installations/{id}/access_tokens with the app's JWT. 401 is
 * our app's credentials refused (retried, like `invalid_client`); 403 (suspended) and 404 (the
 * app was uninstalled) mean the installation is gone for us: a reconnect is needed.
 */
async function mintInstallationToken(apiUrl: string, app: AppAuthentication, id: string, fetch: Fetch): Promise<MintedCredential> {
  const jwt = await app.jwt();
  const response = await fetch(`${apiUrl}/app/installations/${id}/access_tokens`, {
    method: 'POST',
    headers: apiHeaders(`Bearer ${jwt.reveal()}`),
  });
  if (response.status === 401) throw new ProviderError('token', 401, 'http_status', 'invalid_client');
  if (!response.ok) throw new ProviderError('token', response.status);
  const answer = mintedAnswer.safeParse(await response.json().catch(() => null));
  if (!answer.success) throw new ProviderError('token', response.status, 'malformed_response');
  return {
    accessToken: new SecretValue(answer.data.token),
    tokenType: 'Bearer',
    expiresAt: new Date(answer.data.expires_at),
    scopes: Object.entries(answer.data.permissions ?? {}).map(([name, level]) => `${name}:${level}`).sort(),
    learned: { installationId: id },
  };
}

/** DOCS.setupUrl, DOCS.restInstallations: is `id` among the installations the user's token can access? */
async function userCanAccess(apiUrl: string, token: SecretValue, id: string, fetch: Fetch): Promise<boolean> {
  for (let page = 1; page <= MAX_PAGES; page += 1) {
    const response = await fetch(`${apiUrl}/user/installations?per_page=${PER_PAGE}&page=${page}`, {
      headers: apiHeaders(`Bearer ${token.reveal()}`),
    });
    if (!response.ok) throw new ProviderError('identify', response.status);
    const answer = userInstallations.safeParse(await response.json().catch(() => null));
    if (!answer.success) throw new ProviderError('identify', response.status, 'malformed_response');
    if (answer.data.installations.some((installation) => String(installation.id) === id)) return true;
    if (answer.data.installations.length < PER_PAGE || page * PER_PAGE >= answer.data.total_count) return false;
  }
  return false;
}

/**
 * DOCS.restAppTokens "Delete an app token": DELETE /applications/{client_id}/token, Basic
 * authentication with the client id and secret, `{ access_token }` in a JSON body; 204.
 */
async function deleteUserToken(apiUrl: string, app: AppAuthentication, token: SecretValue, fetch: Fetch): Promise<void> {
  const basic = Buffer.from(`${app.clientId}:${app.clientSecret.reveal()}`).toString('base64');
  const response = await fetch(`${apiUrl}/applications/${encodeURIComponent(app.clientId)}/token`, {
    method: 'DELETE',
    headers: { ...apiHeaders(`Basic ${basic}`), 'content-type': 'application/json' },
    body: JSON.stringify({ access_token: token.reveal() }),
  });
  if (!response.ok && response.status !== 404) throw new ProviderError('revoke', response.status);
}

export const github = defineConnector({
  id: 'github',
  name: 'GitHub',
  tagline: 'Repositories, issues and pull requests',
  brandColor: '#181717',
  icon: simpleIcon(siGithub),
  category: 'engineering',
  // The Plugboard GitHub App is registered with read-only permissions (Metadata, Issues, Pull
  // requests: read); the admin picks the repositories when installing it.
  accessItems: [
    'Read metadata of the repositories you choose when installing the app',
    'Read issues and pull requests in those repositories',
  ],
  availability: 'available',
  keys: {
    GITHUB_ACCESS_TOKEN: { sensitive: true, description: 'Installation access token (one hour; Plugboard mints a new one before it expires)' },
    GITHUB_TOKEN_TYPE: { sensitive: false, description: 'Token type (Bearer)' },
    GITHUB_EXPIRES_AT: { sensitive: false, description: 'When the installation access token expires' },
    GITHUB_SCOPES: { sensitive: false, description: 'Permissions the installation grants (name:level)' },
    GITHUB_INSTALLATION_ID: { sensitive: false, description: 'Id of the GitHub App installation' },
    GITHUB_INSTALLATION_URL: { sensitive: false, description: "Address of the installation's settings on GitHub" },
  },
  oauth: {
    // DOCS.share: the installation page takes `state` and gives it back after install. The slug
    // is GITHUB_APP_SLUG. DOCS.userToken: with "Request user authorization (OAuth) during
    // installation" on, GitHub then runs the web flow and comes back to the first callback URL
    // with `code`, `state`, `installation_id` and `setup_action`.
    authorizeRequest: 'state_only',
    endpoints: {
      authorize: 'https://github.com/apps/:appSlug/installations/new',
      token: 'https://github.com/login/oauth/access_token',
    },
    apiBase: 'https://api.github.com',
    appCredentials: { privateKey: 'GITHUB_APP_PRIVATE_KEY', appId: 'GITHUB_APP_ID', slug: 'GITHUB_APP_SLUG' },
    // DOCS.userToken: no scopes (the app's permissions apply), and the installation URL carries no
    // PKCE challenge, so the exchange sends no verifier. client_id and client_secret go in the body.
    pkce: false,
    clientAuthentication: 'client_secret_post',
    // DOCS.tokenErrors: the code exchange answers its errors (`bad_verification_code`,
    // `incorrect_client_credentials`, `redirect_uri_mismatch`) with HTTP 200 and an `error` field,
    // in JSON only with `Accept: application/json` (which the engine sends), a form otherwise.
    normalizeTokenAnswer: (body) => {
      if (body.error === undefined) return body;
      const code = typeof body.error === 'string' && /^[a-z_]{1,64}$/.test(body.error) ? body.error : null;
      throw new ProviderError('token', 200, 'http_status', code);
    },
    storage: { accessToken: 'GITHUB_ACCESS_TOKEN', tokenType: 'GITHUB_TOKEN_TYPE', expiresAt: 'GITHUB_EXPIRES_AT', scopes: 'GITHUB_SCOPES' },
    learned: {
      installationId: { key: 'GITHUB_INSTALLATION_ID', label: 'Installation id', from: 'token', schema: installationId },
      settingsUrl: { key: 'GITHUB_INSTALLATION_URL', label: 'Installation settings', from: 'identity', schema: installationUrl, optional: true },
    },
    install: async ({ apiUrl, app, callback, userToken, fetch }) => {
      // An organization member who may not install asks an owner instead: GitHub comes back with
      // `setup_action=request` and no installation yet (it exists once an owner approves).
      if (callback.setup_action === 'request') {
        throw new OAuthFlowError('approval_pending', 'An organization owner must approve the installation on GitHub before it can be connected.');
      }
      const id = callback.installation_id;
      if (!id || !installationId.safeParse(id).success) throw new ProviderError('token', null, 'malformed_response');
      // DOCS.setupUrl: anyone can send a spoofed `installation_id`; only an installation the user
      // who came back can access is connected. The user's token is not the connection's
      // credential: it is deleted at GitHub whatever the check says (best effort; it would expire).
      const token = await userToken();
      let verified: boolean;
      try {
        verified = await userCanAccess(apiUrl, token, id, fetch);
      } finally {
        await deleteUserToken(apiUrl, app, token, fetch).catch(() => undefined);
      }
      if (!verified) {
        throw new OAuthFlowError(
          'account_not_verified',
          'That GitHub installation does not belong to an account you can access, so nothing was connected.',
        );
      }
      return mintInstallationToken(apiUrl, app, id, fetch);
    },
    // DOCS.installationToken: installation tokens expire after one hour; the lifecycle engine
    // mints the next one with the app's JWT before then (no refresh token exists).
    renew: async ({ apiUrl, app, settings, fetch }) => {
      const id = settings.installationId;
      if (!app || !id) throw new ProviderError('token', null, 'malformed_response');
      return mintInstallationToken(apiUrl, app, id, fetch);
    },
    // DOCS.restApps "Get an installation for the authenticated app", with the JWT: the account
    // the app is installed on (an organization or a user) names the connection.
    identify: async ({ apiUrl, app, settings, fetch }) => {
      const id = settings.installationId;
      if (!app || !id) throw new ProviderError('identify', null, 'malformed_response');
      const response = await fetch(`${apiUrl}/app/installations/${id}`, { headers: apiHeaders(`Bearer ${(await app.jwt()).reveal()}`) });
      if (!response.ok) throw new ProviderError('identify', response.status);
      const answer = installationAnswer.safeParse(await response.json().catch(() => null));
      if (!answer.success || String(answer.data.id) !== id) throw new ProviderError('identify', response.status, 'malformed_response');
      const url = installationUrl.safeParse(answer.data.html_url);
      return {
        id: String(answer.data.account.id),
        name: answer.data.account.login,
        ...(url.success ? { settings: { settingsUrl: url.data } } : {}),
      };
    },
    // DOCS.restInstallations "Revoke an installation access token": DELETE /installation/token
    // with that token; 204. 401: it no longer authenticates (expired or revoked already).
    revoke: async ({ apiUrl, accessToken, fetch }) => {
      const response = await fetch(`${apiUrl}/installation/token`, { method: 'DELETE', headers: apiHeaders(`Bearer ${accessToken.reveal()}`) });
      if (response.status === 401) return 'already_revoked';
      if (!response.ok) throw new ProviderError('revoke', response.status);
      return 'revoked';
    },
    removedAtProvider: {
      text: 'Disconnecting stops Plugboard using the installation and deletes its token; the app stays installed on your GitHub account until you uninstall it there, in the installation settings.',
      urlFrom: 'settingsUrl',
    },
    docsUrl: DOCS.installationToken,
    sandbox: async (client) => {
      // Imported lazily so production never loads the sandbox.
      const { startGitHubSandbox } = await import('./sandbox.js');
      return startGitHubSandbox(client);
    },
  },
});
