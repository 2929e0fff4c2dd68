/**
 * What the loopback sandbox (./oauth-sandbox.ts) needs to know about one provider: data only.
 * The protocol work (consent, codes, PKCE, client authentication, refresh, revocation) is shared.
 */
import type { ClientAuthentication } from '../connectors/types.js';

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
  /** `expires_in` of access tokens; absent: they never expire. */
  readonly accessTokenTtlSeconds?: number;
  /** Issue refresh tokens; with `rotate`, a refresh replaces the refresh token and the old one fails. */
  readonly refreshTokens?: { readonly rotate: boolean };
  /** Echo the granted scopes in the token answer (space-separated, RFC 6749 §5.1). */
  readonly answerScope?: boolean;
  /** Prefix of minted tokens, so sandbox tokens are recognisable. */
  readonly tokenPrefix: string;
  /**
   * `rfc7009`: `token` in a form with client authentication; 200 even for unknown tokens.
   * `bearer`: the token to revoke authenticates the request (Authorization: Bearer or an
   * `access_token` form field); 200 revoked, 400 already revoked, 401 unknown (Linear).
   * A revoked refresh token, or any token revoked `bearer`-style, ends its whole grant.
   */
  readonly revocation: { readonly path: string; readonly style: 'rfc7009' | 'bearer' };
  /** Answers `answer` (JSON) to a request bearing a live access token, 401 otherwise. */
  readonly identity: { readonly path: string; readonly method: 'GET' | 'POST'; readonly answer: unknown };
}

export interface SandboxClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

export type SandboxEndpoint = 'token' | 'revoke' | 'identity';

/** A one-shot fault: answer with this status instead, or wait and then answer normally. */
export type SandboxFault = { readonly status: number } | { readonly delayMs: number };

/** One request: never a body, a query string or a credential; the auth scheme only. */
export interface SandboxRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly authorization: 'basic' | 'bearer' | null;
  readonly contentType: string | null;
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
