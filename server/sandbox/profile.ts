/**
 * What a loopback OAuth 2.0 sandbox needs to know about one provider: data only. A connector's
 * sandbox hook passes its profile to `startOAuthSandbox` (./oauth-sandbox.ts); the protocol
 * work (consent, codes, PKCE, client authentication, refresh, revocation) is shared.
 */
import type { ClientAuthentication } from '../connectors/types.js';

export interface SandboxProfile {
  /** Shown on the consent page: "<provider> sandbox". */
  readonly provider: string;
  /** The account the sandbox's single user approves for, shown on the consent page. */
  readonly accountName: string;
  /** Path of the consent page, the stand-in for the authorize endpoint (`/oauth/authorize`). */
  readonly authorizePath: string;
  /** How the authorize request joins scopes (RFC 6749 says space; Linear uses commas). */
  readonly scopeSeparator: ' ' | ',';
  readonly tokenPath: string;
  /** The one client authentication the token and RFC 7009 endpoints accept; any other is refused. */
  readonly clientAuthentication: ClientAuthentication;
  /** `expires_in` of access tokens; absent: they never expire. */
  readonly accessTokenTtlSeconds?: number;
  /** Refresh tokens, and whether a refresh replaces the refresh token (the old one then fails). */
  readonly refreshTokens?: { readonly rotate: boolean };
  /** Echo the granted scopes in the token answer (space-separated, RFC 6749 §5.1). */
  readonly answerScope?: boolean;
  /** Prefix of minted tokens, so sandbox tokens are recognisable in tests. */
  readonly tokenPrefix: string;
  /**
   * `rfc7009`: `token` in a form, client authentication as above, 200 for unknown tokens.
   * `bearer`: the token to revoke authenticates the request (Authorization: Bearer, or an
   * `access_token` form field); 200 revoked, 400 already revoked, 401 unknown (Linear's shape).
   * Either way a revoked token ends its whole grant.
   */
  readonly revocation: { readonly path: string; readonly style: 'rfc7009' | 'bearer' };
  /** An endpoint that answers `answer` (JSON) to a request bearing a live access token. */
  readonly identity: { readonly path: string; readonly method: 'GET' | 'POST'; readonly answer: unknown };
}

export interface SandboxClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

export type SandboxEndpoint = 'token' | 'revoke' | 'identity';

/** A one-shot fault: answer with this status instead, or wait and then answer normally. */
export type SandboxFault = { readonly status: number } | { readonly delayMs: number };

/** One request as logged: never a body, a query string or a credential. */
export interface SandboxRequestRecord {
  readonly method: string;
  readonly path: string;
  /** How the client authenticated, when it did: the scheme only. */
  readonly authorization: 'basic' | 'bearer' | null;
  readonly contentType: string | null;
  readonly at: string;
  /** Set once the answer has been sent. */
  status?: number;
}

/** Every token the sandbox issued, as tests see them. */
export interface IssuedToken {
  readonly token: string;
  readonly kind: 'access' | 'refresh';
  /** Tokens of one authorization (and its refreshes) share a grant. */
  readonly grant: number;
  readonly revoked: boolean;
  /** Requests to the identity endpoint this token authenticated. */
  readonly identityCalls: number;
}
