/**
 * What the loopback sandbox (./oauth-sandbox.ts) needs to know about one provider: data, plus a
 * few small pure functions where a provider reshapes an answer. The protocol work (consent,
 * codes, PKCE, client authentication, refresh, revocation) is shared.
 */
import type { ClientAuthentication } from '../connectors/types.js';

/** The standard token answer (RFC 6749 §5.1) before a profile's `tokenAnswer` reshapes it. */
export type TokenAnswer = {
  access_token: string;
  token_type: 'Bearer';
  expires_in?: number;
  refresh_token?: string;
  /** Only with `refreshTokenTtlSeconds` or `requestedLifetimes` (Zendesk). */
  refresh_token_expires_in?: number;
  scope?: string;
};

/** Lifetimes a token request asked for (`requestedLifetimes`), in seconds. */
export interface RequestedLifetimes {
  readonly access?: number;
  readonly refresh?: number;
}

/** An error the sandbox answers; `error` is an RFC 6749 §5.2 code or `not_found`, `server_error`, `sandbox_fault`. */
export interface SandboxError {
  readonly endpoint: SandboxEndpoint | 'other';
  readonly status: number;
  readonly error: string;
  readonly description?: string | undefined;
  /** At the token endpoint: the request's `grant_type`, so a profile can name the error its provider's way (Slack's `invalid_code`, `invalid_refresh_token`). */
  readonly grantType?: string | undefined;
}

export interface SandboxProfile {
  /** Shown on the consent page as "<provider> sandbox". */
  readonly provider: string;
  /** The workspace or organization the sandbox's one user approves for. */
  readonly accountName: string;
  /** The consent page, standing in for the authorize endpoint; the form posts to `${authorizePath}/decision`. */
  readonly authorizePath: string;
  /** How the authorize request joins scopes (RFC 6749 says space; Linear uses commas). */
  readonly scopeSeparator: ' ' | ',';
  readonly tokenPath: string;
  /** The one client authentication the token and RFC 7009 endpoints accept; any other is refused. */
  readonly clientAuthentication: ClientAuthentication;
  /** Bodies the token endpoint accepts (default form only); a JSON object carries the form's fields. */
  readonly tokenRequestBodies?: readonly ('form' | 'json')[];
  /**
   * The code exchange needs only the code and the client: no `grant_type` means
   * authorization_code, and `redirect_uri` is checked only when sent (Intercom).
   */
  readonly minimalCodeExchange?: boolean;
  /** `base64url` (default, 24 bytes) or `base64` (16 bytes: every code ends with `==`, as Intercom's can). */
  readonly codeEncoding?: 'base64url' | 'base64';
  /** `expires_in` of access tokens; absent: they never expire. */
  readonly accessTokenTtlSeconds?: number;
  /** Lifetime of refresh tokens, answered as `refresh_token_expires_in`; absent: they never expire. */
  readonly refreshTokenTtlSeconds?: number;
  /**
   * The token endpoint takes `expires_in` and `refresh_token_expires_in` (seconds) in the request
   * and applies them, each within its [min, max]; a value outside, or not a whole number, is
   * refused with 400 `invalid_request` (Zendesk).
   */
  readonly requestedLifetimes?: {
    readonly access: readonly [number, number];
    readonly refresh: readonly [number, number];
  };
  /**
   * Issue refresh tokens; with `rotate`, a refresh replaces the refresh token and the old one fails.
   * Without rotation a refresh answer carries no refresh token, unless `echo` repeats the same one
   * (HubSpot's answer always has `refresh_token`, unchanged).
   */
  readonly refreshTokens?: {
    readonly rotate: boolean;
    readonly echo?: boolean;
    /**
     * Google's rule: a refresh token only when the authorize request said `access_type=offline`,
     * and only on the user's first consent to the client unless it also said `prompt=consent`.
     */
    readonly offlineConsent?: boolean;
    /** A refresh token only for an access token that expires (Zendesk's older clients get neither without `expires_in`). */
    readonly onlyWithExpiry?: boolean;
    /** A refresh also ends the grant's earlier access tokens (Zendesk deletes the previous access and refresh tokens). */
    readonly endsPreviousAccess?: boolean;
  };
  /** Echo the granted scopes in the token answer (space-separated, RFC 6749 §5.1). */
  readonly answerScope?: boolean;
  /** Reshapes the standard answer: extra fields (Intercom's `token`), a wrapper (Slack's `ok: true`), fewer fields. */
  readonly tokenAnswer?: (standard: TokenAnswer) => Record<string, unknown>;
  /**
   * How the provider signals an error at its token, revocation and identity endpoints (and an
   * unknown path); default RFC 6749 §5.2 JSON `{error, error_description}` with the given status.
   * Slack answers HTTP 200 `{ok: false, error}`. An injected status fault keeps its status.
   */
  readonly errorAnswer?: (error: SandboxError) => { status: number; body: unknown };
  /** Prefix of minted tokens, so sandbox tokens are recognisable. */
  readonly tokenPrefix: string;
  /** Prefix of minted refresh tokens, where the provider marks them apart (Slack's `xoxe-`); default `tokenPrefix`. */
  readonly refreshTokenPrefix?: string;
  /**
   * `rfc7009`: `token` in a form with client authentication; 200 even for unknown tokens.
   * `bearer`: the token to revoke authenticates the request (Authorization: Bearer or an
   * `access_token` form field); 200 revoked, `alreadyRevoked` (default 400, Linear; 401 when a
   * revoked token simply no longer authenticates, Intercom) for a revoked one, 401 unknown.
   * A revoked refresh token, or any token revoked `bearer`-style, ends its whole grant.
   * `token`: the token to revoke in a `token` form field or query parameter, no client
   * authentication (Google): 200 and its whole grant ends; 400 `invalid_token` for a token
   * unknown or already revoked.
   * Absent: the provider has no revocation endpoint (Atlassian). `rfc7009` with
   * `refreshTokensOnly`: an access token is refused with 400 `invalid_request` (Asana).
   * `endsGrant` (rfc7009 style): revoking any token of a grant, the access token included,
   * ends all of it (Notion removes the connection).
   */
  readonly revocation?: {
    readonly path: string;
    readonly style: 'rfc7009' | 'bearer' | 'token';
    readonly alreadyRevoked?: 400 | 401;
    readonly refreshTokensOnly?: boolean;
    /** The JSON body of a successful `bearer` revocation (default `{}`; Slack's `{ok: true, revoked: true}`). */
    readonly answer?: unknown;
    readonly endsGrant?: boolean;
    /** The method of a `bearer` revocation (default POST; Zendesk's `DELETE .../tokens/current.json`). */
    readonly method?: 'POST' | 'DELETE';
    /** A successful `bearer` revocation answers 204 with no body (Zendesk) instead of 200 and `answer`. */
    readonly noContent?: boolean;
  };
  /**
   * The consent page lets the user untick requested scopes (Google's granular consent): each
   * one outside `fixed` is a checkbox, ticked at first; the grant holds what stayed ticked,
   * and the token answer's `scope` says so. Without it every requested scope is granted.
   */
  readonly scopeChoice?: { readonly fixed: readonly string[] };
  /**
   * Answer an OpenID Connect `id_token` (a JWT signed RS256 with a key of the sandbox's own,
   * `iss` the sandbox's URL unless the claims name another, `aud` the client id) with these
   * claims when `openid` is granted.
   */
  readonly idToken?: { readonly claims: Readonly<Record<string, unknown>> };
  /** Answers `answer` (JSON) to a request bearing a live access token, 401 otherwise. */
  readonly identity: { readonly path: string; readonly method: 'GET' | 'POST'; readonly answer: unknown };
  /** Request headers kept in the log (lower case), such as an API version; never credentials. */
  readonly loggedHeaders?: readonly string[];
  /**
   * Headers the token, revocation and identity endpoints require with exactly this value (a
   * pinned API version, Notion's `Notion-Version`): a request without one is refused with HTTP
   * 400 and `error`, the profile's way, before anything else is looked at. Names in lower case.
   */
  readonly requiredHeaders?: readonly { readonly name: string; readonly value: string; readonly error: string }[];
}

export interface SandboxClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

export type SandboxEndpoint = 'token' | 'revoke' | 'identity';

/** One request: never a body, a query string or a credential; the auth scheme only. */
export interface SandboxRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly authorization: 'basic' | 'bearer' | null;
  readonly contentType: string | null;
  /** The profile's `loggedHeaders` the request carried. */
  readonly headers: Readonly<Record<string, string>>;
  readonly at: string;
  /** Set once the answer has been sent. */
  status?: number;
}

export interface IssuedToken {
  readonly token: string;
  readonly kind: 'access' | 'refresh';
  /** Tokens of one authorization and its refreshes share a grant. */
  readonly grant: number;
  readonly revoked: boolean;
  /** Identity requests this token authenticated. */
  readonly identityCalls: number;
}
