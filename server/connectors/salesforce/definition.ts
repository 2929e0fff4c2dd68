import { z } from 'zod';
import { ProviderError } from '../../oauth/provider-error.js';
import { defineConnector } from '../types.js';

/** OAuth 2.0 Web Server Flow: authorize and token requests, the token answer (`instance_url`, no `expires_in`). */
const WEB_SERVER_FLOW = 'https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_web_server_flow.htm&type=5';
/** OAuth 2.0 Refresh Token Flow: the refresh answer (a new access token and `instance_url`, a refresh token only with rotation). */
const REFRESH_FLOW = 'https://help.salesforce.com/apex/HTViewHelpDoc?id=xcloud.remoteaccess_oauth_refresh_token_flow.htm';
/** Revoke OAuth Tokens. */
const REVOKE = 'https://developer.salesforce.com/docs/platform/mobile-sdk/guide/oauth-revoking-tokens.html';
/** UserInfo Endpoint. */
const USERINFO = 'https://help.salesforce.com/apex/HTViewHelpDoc?id=xcloud.remoteaccess_using_userinfo_endpoint.htm';
/** My Domain host names: MyDomainName.my.salesforce.com, MyDomainName--SandboxName.sandbox.my.salesforce.com. */
const MY_DOMAIN = 'https://help.salesforce.com/apex/HTViewHelpDoc?id=xcloud.domain_name_move.htm';
/** What Determines Your URL Formats (Developer Edition: MyDomainName-dev-ed.develop.my.salesforce.com). */
const URL_FORMATS = 'https://help.salesforce.com/s/articleView?id=sf.domain_name_url_formats_what_determines.htm&type=5';
/** The discovery document naming the endpoints on the login host. */
const DISCOVERY = 'https://login.salesforce.com/.well-known/openid-configuration';

/** The Salesforce domain every login host and instance is under. */
export const SALESFORCE_DOMAIN = '.salesforce.com';

export const SALESFORCE_LOGIN_CHOICES = {
  production: { label: 'Production (login.salesforce.com)', host: 'login' },
  sandbox: { label: 'Sandbox (test.salesforce.com)', host: 'test' },
  my_domain: { label: 'My Domain (<name>.my.salesforce.com)', host: null },
} as const;
type LoginChoice = keyof typeof SALESFORCE_LOGIN_CHOICES;
const LOGIN_CHOICES = Object.keys(SALESFORCE_LOGIN_CHOICES) as [LoginChoice, ...LoginChoice[]];

/**
 * A My Domain name as the admin types it (MY_DOMAIN, URL_FORMATS): letters, digits and single
 * hyphens, starting with a letter, not ending with a hyphen; a sandbox adds `--SandboxName`
 * (letters and digits, starting with a letter). One DNS label, so at most 63 characters.
 */
const MY_DOMAIN_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:--[a-z][a-z0-9]*)?$/;

/**
 * The login host's first labels for a My Domain name: production `<name>.my`, a sandbox
 * `<name>--<sandbox>.sandbox.my`, a Developer Edition org `<name>-dev-ed.develop.my`.
 */
export function myDomainLoginHost(name: string): string {
  if (name.includes('--')) return `${name}.sandbox.my`;
  if (name.endsWith('-dev-ed')) return `${name}.develop.my`;
  return `${name}.my`;
}

/** Empty text boxes (the My Domain field when another choice is made) are no value. */
const emptyIsAbsent = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

export const salesforceSettingsSchema = z
  .strictObject({
    login: z.enum(LOGIN_CHOICES).default('production'),
    myDomain: z.preprocess(emptyIsAbsent, z.string().trim().toLowerCase().max(63).optional()),
  })
  .superRefine((settings, ctx) => {
    if (settings.login === 'my_domain') {
      if (!settings.myDomain) {
        ctx.addIssue({ code: 'custom', path: ['myDomain'], message: 'Type your My Domain name, the part before .my.salesforce.com.' });
      } else if (!MY_DOMAIN_NAME.test(settings.myDomain)) {
        ctx.addIssue({
          code: 'custom',
          path: ['myDomain'],
          message: 'A My Domain name has letters, digits and single hyphens (a sandbox adds --SandboxName), without .my.salesforce.com.',
        });
      }
    } else if (settings.myDomain) {
      ctx.addIssue({ code: 'custom', path: ['myDomain'], message: 'Leave the My Domain name empty, or choose My Domain.' });
    }
  });

/**
 * `instance_url` from the token answer: the org's API host, `https://<host>.salesforce.com`
 * (an instance such as na1, or a My Domain host), nothing else: no port, path or credentials.
 */
export const instanceUrlSchema = z
  .string()
  .max(200)
  .transform((value, ctx) => {
    const url = URL.canParse(value) ? new URL(value) : null;
    const host = url?.hostname ?? '';
    const labels = host.endsWith(SALESFORCE_DOMAIN) ? host.slice(0, -SALESFORCE_DOMAIN.length).split('.') : [];
    const ok =
      url !== null &&
      url.protocol === 'https:' &&
      !url.username &&
      !url.password &&
      !url.port &&
      (url.pathname === '/' || url.pathname === '') &&
      !url.search &&
      !url.hash &&
      labels.length > 0 &&
      labels.every((label) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label));
    if (!ok) {
      ctx.addIssue({ code: 'custom', message: 'instance_url is not a Salesforce https host' });
      return z.NEVER;
    }
    return `https://${host}`;
  });

/** The instance host's labels before `.salesforce.com`, for the API base template. */
export function instanceHost(instanceUrl: string): string {
  return new URL(instanceUrl).hostname.slice(0, -SALESFORCE_DOMAIN.length);
}

// USERINFO, "Salesforce UserInfo Endpoint Responds": OpenID Connect claims plus the Salesforce
// user id and org id. There is no organization name among them.
const userInfo = z.object({
  organization_id: z.string().min(1).max(64),
  user_id: z.string().min(1).max(64),
  preferred_username: z.string().max(256).optional(),
  name: z.string().max(256).optional(),
  email: z.string().max(256).optional(),
});

const revokeError = z.object({ error: z.string() });

export const salesforce = defineConnector({
  id: 'salesforce',
  name: 'Salesforce',
  tagline: 'Accounts, contacts and opportunities',
  brandColor: '#00A1E0',
  icon: null, // not in simple-icons: the catalog shows a monogram
  monogram: 'Sf',
  category: 'crm',
  accessItems: [
    'Read your user name and your org id',
    'Use the Salesforce APIs as you: accounts, contacts, opportunities and whatever else your profile allows (Salesforce has no read-only scope; connect as a read-only user to limit it)',
    'Stay connected when you are away (a refresh token)',
  ],
  availability: 'available',
  keys: {
    SALESFORCE_ACCESS_TOKEN: { sensitive: true, description: 'OAuth access token (a session id) for the Salesforce org' },
    SALESFORCE_REFRESH_TOKEN: { sensitive: true, description: 'OAuth refresh token (rotated only when the app turns rotation on)' },
    SALESFORCE_TOKEN_TYPE: { sensitive: false, description: 'Token type Salesforce issued (Bearer)' },
    SALESFORCE_SCOPES: { sensitive: false, description: 'Scopes Salesforce granted' },
    SALESFORCE_LOGIN: { sensitive: false, description: 'Where the admin logs in: production, sandbox or my_domain' },
    SALESFORCE_MY_DOMAIN: { sensitive: false, description: 'The My Domain name, when the login is my_domain' },
    SALESFORCE_INSTANCE_URL: { sensitive: false, description: 'The org’s API base (instance_url of the token answer)' },
  },
  settings: {
    schema: salesforceSettingsSchema,
    fields: {
      login: {
        key: 'SALESFORCE_LOGIN',
        label: 'Where you log in to Salesforce',
        help: 'Production orgs log in at login.salesforce.com, sandboxes at test.salesforce.com; an org that requires its own login address uses My Domain.',
        options: LOGIN_CHOICES.map((id) => ({ value: id, label: SALESFORCE_LOGIN_CHOICES[id].label })),
      },
      myDomain: {
        key: 'SALESFORCE_MY_DOMAIN',
        label: 'My Domain name',
        help: 'Only for My Domain: the part before .my.salesforce.com (acme, or acme--uat for a sandbox).',
        optional: true,
      },
    },
    // The login host's labels in front of .salesforce.com, and the API host's: the instance once
    // the token answer named it, the login host until then (nothing calls the API before).
    templateValues: (settings) => {
      const choice = SALESFORCE_LOGIN_CHOICES[settings.login as LoginChoice] ?? SALESFORCE_LOGIN_CHOICES.production;
      const loginHost = choice.host ?? (settings.myDomain ? myDomainLoginHost(settings.myDomain) : '');
      const values: Record<string, string> = {};
      if (loginHost) values.loginHost = loginHost;
      const apiHost = settings.instanceUrl ? instanceHost(settings.instanceUrl) : loginHost;
      if (apiHost) values.instanceHost = apiHost;
      return values;
    },
  },
  oauth: {
    // DISCOVERY and WEB_SERVER_FLOW: /services/oauth2/authorize, /token and /revoke on the login
    // host the admin chose (login., test. or the My Domain; MY_DOMAIN).
    endpoints: {
      authorize: 'https://{loginHost}.salesforce.com/services/oauth2/authorize',
      token: 'https://{loginHost}.salesforce.com/services/oauth2/token',
      revoke: 'https://{loginHost}.salesforce.com/services/oauth2/revoke',
    },
    // WEB_SERVER_FLOW: the token answer's `instance_url` is where the org's APIs are.
    apiBase: 'https://{instanceHost}.salesforce.com',
    // WEB_SERVER_FLOW, `scope`: space separated. `api` (REST and Bulk APIs as the user; Salesforce
    // has no read-only scope: the user's profile decides), `refresh_token` (a refresh token; also
    // `offline_access`), `id` (the identity service, UserInfo included). Not `openid`: it adds an
    // ID token Plugboard does not need.
    // https://help.salesforce.com/apex/HTViewHelpDoc?id=xcloud.remoteaccess_oauth_tokens_scopes.htm
    scopes: ['api', 'refresh_token', 'id'],
    scopeSeparator: ' ',
    scopeLabels: { api: 'Use the Salesforce APIs as you', refresh_token: 'Stay connected (refresh token)', id: 'Read your user name and org id' },
    // WEB_SERVER_FLOW: `prompt=login consent` makes a reconnect ask which user and org again
    // instead of silently reusing the browser's Salesforce session.
    authorizeParams: { prompt: 'login consent' },
    // WEB_SERVER_FLOW, `code_challenge`: supported (S256), and a connected app can require it.
    pkce: true,
    // WEB_SERVER_FLOW: client_id and client_secret in the form body (Basic is also accepted).
    clientAuthentication: 'client_secret_post',
    // WEB_SERVER_FLOW: no `expires_in` (the session ends by the org's timeout policy, unannounced):
    // no expiry is stored; the token is refreshed when an API call is rejected (401), and the
    // daily check (identify) finds a revoked or ended one. REFRESH_FLOW: the refresh answer
    // carries a refresh token only when the app rotates them.
    storage: {
      accessToken: 'SALESFORCE_ACCESS_TOKEN',
      refreshToken: 'SALESFORCE_REFRESH_TOKEN',
      tokenType: 'SALESFORCE_TOKEN_TYPE',
      scopes: 'SALESFORCE_SCOPES',
    },
    // WEB_SERVER_FLOW and REFRESH_FLOW: both answers carry `instance_url`, the org's API base.
    learned: {
      instanceUrl: { key: 'SALESFORCE_INSTANCE_URL', label: 'Instance URL', from: 'token', field: 'instance_url', schema: instanceUrlSchema },
    },
    // USERINFO: GET /services/oauth2/userinfo with the bearer token, on the instance. The org id
    // is the account (a user may connect another user of the same org); the answer has no org
    // name, so the account is named by the org id and the user who approved.
    identify: async ({ apiUrl, accessToken, fetch }) => {
      const response = await fetch(`${apiUrl}/services/oauth2/userinfo`, {
        headers: { authorization: `Bearer ${accessToken.reveal()}`, accept: 'application/json' },
      });
      if (!response.ok) throw new ProviderError('identify', response.status);
      const info = userInfo.safeParse(await response.json().catch(() => null));
      if (!info.success) throw new ProviderError('identify', response.status, 'malformed_response');
      const user = info.data.preferred_username ?? info.data.name ?? info.data.user_id;
      return { id: info.data.organization_id, name: `${info.data.organization_id} — ${user}`, approvedBy: user };
    },
    // REVOKE: POST /services/oauth2/revoke on the login host (or My Domain) with `token=` as a
    // form, no client authentication. A refresh token revokes it and its access tokens, so it is
    // preferred. 200 revoked; 400 `invalid_token` for a token already invalid.
    revoke: async ({ accessToken, refreshToken, revokeUrl, fetch }) => {
      if (!revokeUrl) throw new ProviderError('revoke', null, 'malformed_response');
      const response = await fetch(revokeUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ token: (refreshToken ?? accessToken).reveal() }),
      });
      if (response.ok) return 'revoked';
      if (response.status === 400) {
        const answer = revokeError.safeParse(await response.json().catch(() => null));
        if (answer.success && answer.data.error === 'invalid_token') return 'already_revoked';
      }
      throw new ProviderError('revoke', response.status);
    },
    docsUrl: WEB_SERVER_FLOW,
    sandbox: async (client) => {
      // Imported lazily so production never loads the sandbox.
      const [{ startOAuthSandbox }, { salesforceSandboxProfile }] = await Promise.all([
        import('../../sandbox/oauth-sandbox.js'),
        import('./sandbox-profile.js'),
      ]);
      return startOAuthSandbox(salesforceSandboxProfile(), client);
    },
  },
});

export const SALESFORCE_DOCS = { WEB_SERVER_FLOW, REFRESH_FLOW, REVOKE, USERINFO, MY_DOMAIN, URL_FORMATS, DISCOVERY } as const;
