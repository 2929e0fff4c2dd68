import type { z } from 'zod';
import type { SecretValue } from '../secrets/secret-value.js';

/** One configuration key a connector owns. Sensitive keys go to the secret backend. */
export interface ConnectorKeySpec {
  readonly sensitive: boolean;
  readonly description: string;
}

/** A brand mark: an SVG path on a 24x24 viewBox (simple-icons), or null for a monogram. */
export interface ConnectorIcon {
  readonly title: string;
  readonly svgPath: string;
}

/** Where the catalog groups a connector. */
export const CONNECTOR_CATEGORIES = {
  communication: 'Communication',
  engineering: 'Engineering',
  documents: 'Documents',
  crm: 'Sales and CRM',
  support: 'Support',
} as const;
export type ConnectorCategory = keyof typeof CONNECTOR_CATEGORIES;

/** The account on the provider's side that an installation is connected to. */
export interface ExternalAccount {
  readonly id: string;
  readonly name: string;
  /** Who approved on the provider's side, for the audit trail (e.g. Intercom admin email). */
  readonly approvedBy?: string | undefined;
  /**
   * Values the provider tells about this account that the connection needs (Atlassian's
   * `cloudId`), by the names of the spec's `learned` entries with `from: 'identity'`.
   */
  readonly settings?: Readonly<Record<string, string>> | undefined;
}

/** What a hook may use to call the provider. `fetch` carries the flow's timeout. */
export interface ProviderCallContext {
  readonly apiUrl: string;
  /** Present when the spec declares `appCredentials`: the app authenticating as itself. */
  readonly app?: AppAuthentication;
  /** The connection's settings, those asked before Connect and those learned from the provider. */
  readonly settings: Readonly<Record<string, string>>;
  readonly accessToken: SecretValue;
  /** The grant's refresh token, given to revoke hooks when there is one: revoking it can end the whole grant (Google). */
  readonly refreshToken?: SecretValue | null;
  /** The spec's `endpoints.revoke`, resolved like every endpoint (sandbox, overrides), for a revoke hook that calls it its own way. */
  readonly revokeUrl?: string | null;
  readonly fetch: (url: string, init?: RequestInit) => Promise<Response>;
  /**
   * OAuth 1.0a connectors (`oauth1`): signs a request with the consumer key and secret and the
   * grant's token and token secret (RFC 5849 §3, HMAC-SHA1), giving its Authorization header.
   * Present when the grant's token secret is known (identity, verification, revocation).
   */
  readonly oauth1?: { readonly authorization: (method: string, url: string) => string };
}

export type RevokeOutcome = 'revoked' | 'already_revoked';

/** How the client authenticates at the token and revocation endpoints (RFC 6749 §2.3.1). */
export type ClientAuthentication = 'client_secret_post' | 'client_secret_basic';

/**
 * A value the provider tells about the connection (Salesforce's `instance_url`, Notion's
 * `workspace_name`, Gong's `api_base_url_for_customer`, Atlassian's `cloudId`): validated by
 * `schema` (strictly, when it ends up in a host name), stored as a non-sensitive key, shown on
 * the connector's page, given to hooks and endpoint templates, and returned by the token API.
 */
export interface LearnedValueSpec<Key extends string> {
  readonly key: Key;
  readonly label: string;
  /** `token`: a field of the token answer (`field`, default the entry's name). `identity`: the chosen account's `settings`. */
  readonly from: 'token' | 'identity';
  readonly field?: string;
  readonly schema: z.ZodType<string>;
  /** Absent in some answers (older API versions): the connection is made without it. */
  readonly optional?: boolean;
}

/** A local stand-in for the provider, started outside production when no client id is set. */
export interface ProviderSandbox {
  readonly oauthUrl: string;
  readonly apiUrl: string;
  /** The app credentials beyond client id and secret that the stand-in issued (see `OAuthSpec.appCredentials`). */
  readonly app?: { readonly privateKey: string; readonly slug?: string; readonly appId?: string };
  /**
   * Other https origins the stand-in answers for, beyond the spec's endpoints: a per-customer
   * API host the token answer names (Gong's `api_base_url_for_customer`). Hooks' calls to them
   * reach the stand-in, as PROVIDER_ORIGIN_OVERRIDES would send them.
   */
  readonly standsInFor?: readonly string[];
  close(): Promise<void>;
}

/**
 * A hook's means to act as the app itself (`OAuthSpec.appCredentials`): the client credentials,
 * and a short-lived JWT signed with the app's private key (RS256). Never logged.
 */
export interface AppAuthentication {
  readonly clientId: string;
  readonly clientSecret: SecretValue;
  /** A fresh JWT (`iss` the app id or client id, `iat` 30 s back, `exp` under ten minutes on). */
  jwt(): Promise<SecretValue>;
}

/** What an app mints for a connection (`install`, `renew`): the connection's credential, not a user's. */
export interface MintedCredential {
  readonly accessToken: SecretValue;
  readonly tokenType?: string;
  readonly expiresAt: Date | null;
  readonly scopes?: readonly string[] | null;
  /** Values for the spec's `learned` entries with `from: 'token'`, by name; validated by their schemas. */
  readonly learned?: Readonly<Record<string, string>>;
}

/** What `install` receives: the callback's extra parameters and, on demand, the user's token for its code. */
export interface InstallContext extends ProviderCallContext {
  readonly app: AppAuthentication;
  /** The callback's parameters beyond code, state and iss (`installation_id`, `setup_action`). */
  readonly callback: Readonly<Record<string, string>>;
  /** Exchanges the callback's code (once); throws a ProviderError when there is none or it is refused. */
  readonly userToken: () => Promise<SecretValue>;
}

/** One setting field: where its value is stored (a declared non-sensitive key) and how the form asks for it. */
export interface ConnectionSettingField<Key extends string> {
  readonly key: Key;
  readonly label: string;
  readonly help?: string;
  /** The allowed values, when the schema is an enum: the form shows a choice instead of a text box. */
  readonly options?: readonly { readonly value: string; readonly label: string }[];
  /** The form may leave it empty (the schema decides when it is needed: Salesforce's My Domain name). Default false. */
  readonly optional?: boolean;
}

/**
 * Per-connection settings (docs/decisions/012-connection-settings.md): asked before Connect,
 * validated by `schema` (strictly: a value ends up in a provider's host name), stored as the
 * fields' non-sensitive keys, and used to fill the OAuth spec's endpoint templates.
 */
export interface ConnectionSettingsSpec<Key extends string> {
  /** A strict object schema over string settings; `{}` must parse (defaults) or Connect needs the form. */
  readonly schema: z.ZodObject;
  readonly fields: Readonly<Record<string, ConnectionSettingField<Key>>>;
  /** Extra template values derived from the settings (a region to its host names). */
  readonly templateValues?: (settings: Readonly<Record<string, string>>) => Readonly<Record<string, string>>;
}

/**
 * A connector's OAuth 2.0 protocol, as data: the engine (server/oauth/engine.ts, on
 * oauth4webapi) builds every request from it. Hooks exist only for what data cannot say.
 */
export interface OAuthSpec<Key extends string> {
  /**
   * Authorization server endpoints (absolute https URLs). With connection settings, the host may
   * hold `{name}` placeholders over the settings and their template values, in front of a fixed
   * domain (`https://{subdomain}.zendesk.com/oauth/tokens`); so may `apiBase`.
   */
  readonly endpoints: { readonly authorize: string; readonly token: string; readonly revoke?: string };
  /** RFC 9207 issuer identifier, checked against `iss` when the provider sends it. Default: the token endpoint's origin. */
  readonly issuer?: string;
  /** Base of the provider's API, for the identify and revoke hooks. Endpoints under it follow an API override. */
  readonly apiBase: string;
  /**
   * Environment variables that replace the authorize URL or the API base (with every endpoint
   * under it) for all tenants: regional hosts and stand-ins (Intercom's INTERCOM_OAUTH_URL and
   * INTERCOM_API_URL). Client credentials are always `<ID>_CLIENT_ID` / `<ID>_CLIENT_SECRET`.
   */
  readonly envOverrides?: { readonly authorize?: string; readonly api?: string };
  readonly scopes?: readonly string[];
  /**
   * Each requested scope in plain words, for the page that names the scopes a user did not
   * grant (a consent screen that lets scopes be unticked, as Google's does). Default: the scope.
   */
  readonly scopeLabels?: Readonly<Record<string, string>>;
  /** How scopes are joined in the authorize URL (RFC 6749 says space; some providers use commas). */
  readonly scopeSeparator?: ' ' | ',';
  /** Extra authorize parameters (`access_type=offline`, `prompt=consent`, `owner=user`, ...). */
  readonly authorizeParams?: Readonly<Record<string, string>>;
  /** PKCE with S256 (RFC 7636). Default true; false only where the provider rejects it. */
  readonly pkce?: boolean;
  readonly clientAuthentication: ClientAuthentication;
  /**
   * The body of token and revocation requests: an RFC 6749 form (the default), or the same
   * parameters as a JSON object where the provider wants one (Notion).
   */
  readonly requestBody?: 'form' | 'json';
  /**
   * Extra parameters of every token request (code exchange and refresh), beyond RFC 6749's:
   * Zendesk's `expires_in` and `refresh_token_expires_in`, which ask for expiring tokens and a
   * refresh token. Never credentials.
   */
  readonly tokenRequestParams?: Readonly<Record<string, string>>;
  /**
   * Headers sent with every request to the provider: token, refresh and revocation requests
   * and the hooks' own calls (Notion's pinned `Notion-Version`). Never credentials.
   */
  readonly requestHeaders?: Readonly<Record<string, string>>;
  /**
   * A provider that answers errors with HTTP 200 names a boolean field that is false then
   * (Slack's `ok`); the error code is in `error`. Checked before `normalizeTokenAnswer`.
   */
  readonly okField?: string;
  /**
   * The provider's own codes for "this client's credentials are wrong" (Slack's
   * `invalid_client_id`, `bad_client_secret`): reported as RFC 6749's `invalid_client`, so a
   * misconfigured app makes connections retry (`refresh_failing`) instead of marking every one
   * as needing a reconnect, which would not help.
   */
  readonly clientErrorCodes?: readonly string[];
  /**
   * Turns a token answer that does not follow RFC 6749 §5.1 into one that does, before it is
   * validated: a missing `token_type`, the token under another name, an error inside a 200.
   * Throw a ProviderError for an answer that is an error.
   */
  readonly normalizeTokenAnswer?: (body: Record<string, unknown>) => Record<string, unknown>;
  /**
   * Where the engine stores what it received: names of keys this connector declares. The
   * access and refresh tokens must be sensitive keys; the rest are plain values.
   */
  readonly storage: {
    readonly accessToken: Key;
    readonly tokenType: Key;
    readonly refreshToken?: Key;
    /** ISO-8601 time the access token expires, when the provider says. */
    readonly expiresAt?: Key;
    /** The scopes the provider granted, space separated (a user can untick some). */
    readonly scopes?: Key;
  };
  /** What the provider tells about the connection, by name (see LearnedValueSpec). */
  readonly learned?: Readonly<Record<string, LearnedValueSpec<Key>>>;
  /**
   * Learn which account or workspace the token belongs to. Several accounts (the Atlassian
   * sites a token reaches) mean the admin picks one before the connection is made.
   */
  readonly identify: (ctx: ProviderCallContext) => Promise<ExternalAccount | readonly ExternalAccount[]>;
  /** Revoke a grant: RFC 7009 at `endpoints.revoke`, or a hook for providers that do it their own way. */
  readonly revoke?: 'rfc7009' | ((ctx: ProviderCallContext) => Promise<RevokeOutcome>);
  /**
   * Whether a grant made with these connection settings is revoked at the provider when it is
   * given up (disconnect, reconnect, a cancelled choice). Default: always, when `revoke` is set.
   * False: Plugboard only forgets the tokens, and the status says the connection is not revocable
   * (HubSpot, whose refresh token may be shared with another install of the same app).
   */
  readonly revokeWhen?: (settings: Readonly<Record<string, string>>) => boolean;
  /**
   * Which token RFC 7009 revocation sends: the refresh token when there is one (the default: it
   * ends the whole grant, RFC 7009 §2.1), or the access token where the provider documents
   * that one (Notion).
   */
  readonly revokeToken?: 'refresh_token' | 'access_token';
  /** Provider documentation for the flow, cited in the UI for admins. */
  readonly docsUrl?: string;
  /**
   * Starts a loopback server speaking the provider's protocol, for development and tests.
   * `redirectUri` is the callback registered with the app, for providers that redirect to it
   * without being told (a GitHub App's installation).
   */
  readonly sandbox?: (client: { clientId: string; clientSecret: string; redirectUri?: string }) => Promise<ProviderSandbox>;
  /**
   * The consent step is a page that takes only `state` (an app's installation page): no client
   * id, redirect URI, response type, scope or PKCE in the authorize URL. Default `oauth2`.
   */
  readonly authorizeRequest?: 'oauth2' | 'state_only';
  /**
   * Environment variables holding the app's own credentials beyond `<ID>_CLIENT_ID`/`_SECRET`:
   * an RSA private key (PEM) for the JWTs of `AppAuthentication`, the app id for their issuer
   * (default the client id), and the app's URL name, which replaces `/:appSlug/` in the
   * authorize endpoint. Missing ones leave the connector not configured.
   */
  readonly appCredentials?: { readonly privateKey: string; readonly appId?: string; readonly slug?: string };
  /**
   * The connection's credential is minted by the app for what the callback names (an app
   * installation), not the token the code is exchanged for: the hook verifies the callback
   * (with the user's token, which it revokes or forgets) and returns the credential. It may
   * throw an OAuthFlowError (`approval_pending`, `account_not_verified`) to refuse.
   */
  readonly install?: (ctx: InstallContext) => Promise<MintedCredential>;
  /**
   * Mints a fresh access token for a live connection instead of the refresh-token grant (no
   * refresh token is stored): the lifecycle engine calls it when the token is due. The context
   * carries the connection's settings (learned values included) and the current token.
   */
  readonly renew?: (ctx: ProviderCallContext) => Promise<MintedCredential>;
  /**
   * Disconnect ends Plugboard's use, but the access itself is removed at the provider (an
   * installation is uninstalled there): the sentence the page shows, and the learned value
   * holding the address of that setting (an https URL), if any.
   */
  readonly removedAtProvider?: { readonly text: string; readonly urlFrom?: string };
}

/**
 * A connector without OAuth: the admin pastes an API key, which one call to the provider checks
 * before it is stored (docs/decisions/019-api-key-mode.md). The key is kept like an access token
 * (a sensitive key, a grant in the ledger); the values asked with it are the connector's
 * `settings` (non-sensitive). `check` is also the scheduled verification: it throws a
 * ProviderError (401/403 means the key no longer works) and answers the account.
 */
export interface ApiKeySpec<Key extends string> {
  /** Base of the provider's API (absolute https URL), given to `check` as `apiUrl`. */
  readonly apiBase: string;
  /** The key field as the form shows it. */
  readonly field: { readonly label: string; readonly help?: string; readonly maxLength: number };
  /** Where the key and its kind are stored: the key must be a sensitive key. */
  readonly storage: { readonly apiKey: Key; readonly tokenType: Key };
  /** What the token API reports as the token type (the header the key goes in, e.g. `apiKey`). */
  readonly tokenType: string;
  /** One call that proves the key works for the settings given, and names the account. */
  readonly check: (ctx: ProviderCallContext) => Promise<ExternalAccount>;
  /** Provider documentation for the key, cited in the UI for admins. */
  readonly docsUrl?: string;
  /** The provider offers no revocation: what the page says to do there after Disconnect. */
  readonly removedAtProvider: { readonly text: string; readonly url?: string };
  /** A local stand-in for the provider's API, started outside production when no override is set. */
  readonly sandbox?: () => Promise<ProviderSandbox>;
}

export interface ConnectorDefinition<
  Id extends string = string,
  Keys extends Readonly<Record<string, ConnectorKeySpec>> = Readonly<Record<string, ConnectorKeySpec>>,
> {
  readonly id: Id;
  readonly name: string;
  readonly tagline: string;
  /** Brand colour as `#RRGGBB`. */
  readonly brandColor: `#${string}`;
  readonly icon: ConnectorIcon | null;
  /** Letters for the tile when there is no icon; must differ from every other connector's (default: the first letter). */
  readonly monogram?: string;
  readonly category: ConnectorCategory;
  /** What the admin grants, in plain words, shown before Connect. */
  readonly accessItems: readonly string[];
  readonly availability: 'available' | 'coming_soon';
  readonly keys: Keys;
  /** Present on available connectors. Its storage keys are checked in defineConnector. */
  readonly oauth?: OAuthSpec<string>;
  /** Instead of `oauth`: the admin pastes an API key (ApiKeySpec). */
  readonly apiKey?: ApiKeySpec<string>;
  /** Per-connection settings that fill the OAuth spec's templates. */
  readonly settings?: ConnectionSettingsSpec<string>;
  /** The connector speaks OAuth 1.0a rather than OAuth 2.0 (see OAuth1Spec). */
  readonly oauth1?: OAuth1Spec;
}

/**
 * OAuth 1.0a (RFC 5849), beside the `oauth` spec (docs/decisions/018-oauth1-mode.md). The
 * `oauth` spec keeps giving everything that is not the protocol: `endpoints.authorize` (the
 * resource owner authorization endpoint, §2.2), `endpoints.token` (the token credentials
 * endpoint, §2.3), `authorizeParams`, `apiBase`, `storage`, `identify`, `revoke`, `sandbox`.
 * The client id and secret are the consumer key and secret. `storage.refreshToken` holds the
 * token secret: an OAuth 1.0a grant never refreshes, and its two secrets travel together.
 */
export interface OAuth1Spec {
  /** The temporary credentials endpoint (§2.1), asked with `oauth_callback`. */
  readonly requestTokenUrl: string;
  readonly signatureMethod: 'HMAC-SHA1';
}

/**
 * Identity helper that keeps literal types (id, key names) so the registry can derive the
 * union of connector ids and configuration keys the compiler checks.
 */
export function defineConnector<
  const Id extends string,
  const Keys extends Readonly<Record<string, ConnectorKeySpec>>,
>(
  definition: ConnectorDefinition<Id, Keys> & {
    readonly oauth?: OAuthSpec<Extract<keyof Keys, string>>;
    readonly apiKey?: ApiKeySpec<Extract<keyof Keys, string>>;
    readonly settings?: ConnectionSettingsSpec<Extract<keyof Keys, string>>;
  },
): ConnectorDefinition<Id, Keys> {
  return definition;
}

/** A connector's icon from simple-icons, or null when it has none (monogram fallback). */
export function simpleIcon(icon: { title: string; path: string } | undefined): ConnectorIcon | null {
  return icon ? { title: icon.title, svgPath: icon.path } : null;
}
