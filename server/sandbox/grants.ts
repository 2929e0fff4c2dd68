/**
 * The sandbox's memory: pending consents, authorization codes (single use, 10 minutes) and the
 * tokens of each grant. RFC 6749 §4.1.2: a code used twice ends what it issued; a rotated
 * refresh token used again ends its grant too (RFC 9700 §4.14.2).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IssuedToken, RequestedLifetimes, SandboxProfile, TokenAnswer } from './profile.js';

const CODE_TTL_MS = 10 * 60 * 1000;
const CONSENT_TTL_MS = 10 * 60 * 1000;

export interface AuthorizationRequest {
  readonly redirectUri: string;
  readonly state: string;
  readonly scopes: readonly string[];
  readonly codeChallenge: string | null;
  /** False when the profile's refresh token rules give this authorization none (default true). */
  readonly refreshToken?: boolean;
}

interface CodeEntry extends AuthorizationRequest {
  readonly expiresAt: number;
  used: boolean;
  grant: number | null;
}

interface TokenEntry extends Omit<IssuedToken, 'revoked' | 'identityCalls'> {
  scopes: readonly string[];
  expiresAt: number | null;
  revoked: boolean;
  identityCalls: number;
}

export type GrantResult = { ok: true; answer: TokenAnswer } | { ok: false; error: 'invalid_grant' };

/** RFC 7636 §4.6: BASE64URL(SHA256(verifier)). */
export const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

export function grantStore(profile: SandboxProfile, now: () => number) {
  const consents = new Map<string, AuthorizationRequest & { expiresAt: number }>();
  const codes = new Map<string, CodeEntry>();
  const tokens = new Map<string, TokenEntry>();
  let grants = 0;

  const mint = (kind: 'access' | 'refresh', grant: number, scopes: readonly string[], ttl: number | undefined): string => {
    const prefix = kind === 'refresh' ? (profile.refreshTokenPrefix ?? profile.tokenPrefix) : profile.tokenPrefix;
    const token = `${prefix}${kind === 'access' ? 'at' : 'rt'}_${randomBytes(32).toString('base64url')}`;
    tokens.set(token, { token, kind, grant, scopes, expiresAt: ttl === undefined ? null : now() + ttl * 1000, revoked: false, identityCalls: 0 });
    return token;
  };
  const accessTtl = (asked: RequestedLifetimes) => asked.access ?? profile.accessTokenTtlSeconds;
  const refreshTtl = (asked: RequestedLifetimes) => asked.refresh ?? profile.refreshTokenTtlSeconds;
  /** Whether this request gets a refresh token at all (`onlyWithExpiry`: not for a token that never expires). */
  const refreshable = (asked: RequestedLifetimes) => !profile.refreshTokens?.onlyWithExpiry || accessTtl(asked) !== undefined;

  const answer = (grant: number, scopes: readonly string[], refreshToken: string | null, asked: RequestedLifetimes): TokenAnswer => {
    const expiresIn = accessTtl(asked);
    const refreshExpiresIn = refreshToken ? refreshTtl(asked) : undefined;
    return {
      access_token: mint('access', grant, scopes, expiresIn),
      token_type: 'Bearer',
      ...(expiresIn === undefined ? {} : { expires_in: expiresIn }),
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
      ...(refreshExpiresIn === undefined ? {} : { refresh_token_expires_in: refreshExpiresIn }),
      ...(profile.answerScope ? { scope: scopes.join(' ') } : {}),
    };
  };

  const revokeGrant = (grant: number) => {
    for (const entry of tokens.values()) if (entry.grant === grant) entry.revoked = true;
  };

  return {
    /** A pending consent page's request, kept server side so the form carries only its id. */
    openConsent(request: AuthorizationRequest): string {
      const id = randomBytes(16).toString('base64url');
      consents.set(id, { ...request, expiresAt: now() + CONSENT_TTL_MS });
      return id;
    },
    takeConsent(id: string): AuthorizationRequest | null {
      const request = consents.get(id);
      consents.delete(id);
      return request && request.expiresAt > now() ? request : null;
    },
    issueCode(request: AuthorizationRequest): string {
      const code = profile.codeEncoding === 'base64' ? randomBytes(16).toString('base64') : randomBytes(24).toString('base64url');
      codes.set(code, { ...request, expiresAt: now() + CODE_TTL_MS, used: false, grant: null });
      return code;
    },
    exchangeCode(code: string, redirectUri: string | null, verifier: string | null, asked: RequestedLifetimes = {}): GrantResult {
      const entry = codes.get(code);
      if (!entry || entry.expiresAt <= now()) return { ok: false, error: 'invalid_grant' };
      if (entry.used) {
        if (entry.grant !== null) revokeGrant(entry.grant);
        return { ok: false, error: 'invalid_grant' };
      }
      entry.used = true;
      if (redirectUri !== entry.redirectUri && !(redirectUri === null && profile.minimalCodeExchange)) return { ok: false, error: 'invalid_grant' };
      if (entry.codeChallenge !== null ? verifier === null || s256(verifier) !== entry.codeChallenge : verifier !== null) {
        return { ok: false, error: 'invalid_grant' };
      }
      const grant = ++grants;
      entry.grant = grant;
      const refresh = profile.refreshTokens && entry.refreshToken !== false && refreshable(asked) ? mint('refresh', grant, entry.scopes, refreshTtl(asked)) : null;
      return { ok: true, answer: answer(grant, entry.scopes, refresh, asked) };
    },
    refresh(refreshToken: string, asked: RequestedLifetimes = {}): GrantResult {
      const entry = tokens.get(refreshToken);
      if (!profile.refreshTokens || !entry || entry.kind !== 'refresh') return { ok: false, error: 'invalid_grant' };
      if (entry.expiresAt !== null && entry.expiresAt <= now()) return { ok: false, error: 'invalid_grant' };
      if (entry.revoked) {
        // A rotated-out token came back: someone holds a copy. End the grant.
        revokeGrant(entry.grant);
        return { ok: false, error: 'invalid_grant' };
      }
      let next = refreshToken;
      if (profile.refreshTokens.endsPreviousAccess) {
        for (const other of tokens.values()) if (other.grant === entry.grant && other.kind === 'access') other.revoked = true;
      }
      if (profile.refreshTokens.rotate) {
        entry.revoked = true;
        next = mint('refresh', entry.grant, entry.scopes, refreshTtl(asked));
      }
      return { ok: true, answer: answer(entry.grant, entry.scopes, profile.refreshTokens.rotate || profile.refreshTokens.echo ? next : null, asked) };
    },
    /** RFC 7009 §2.1: revoking a refresh token ends its grant; an access token, itself (or its grant). */
    revoke(token: string, wholeGrant: boolean): 'revoked' | 'already_revoked' | 'unknown' {
      const entry = tokens.get(token);
      if (!entry) return 'unknown';
      if (entry.revoked) return 'already_revoked';
      if (wholeGrant || entry.kind === 'refresh') revokeGrant(entry.grant);
      else entry.revoked = true;
      return 'revoked';
    },
    /** Whether a token was issued as an access or a refresh token; null for one never issued. */
    kindOf(token: string): 'access' | 'refresh' | null {
      return tokens.get(token)?.kind ?? null;
    },
    /** A live access token, counted as used by the identity endpoint. */
    authenticate(token: string): boolean {
      const entry = tokens.get(token);
      if (!entry || entry.kind !== 'access' || entry.revoked || (entry.expiresAt !== null && entry.expiresAt <= now())) return false;
      entry.identityCalls += 1;
      return true;
    },
    list(): IssuedToken[] {
      return [...tokens.values()].map(({ token, kind, grant, revoked, identityCalls }) => ({ token, kind, grant, revoked, identityCalls }));
    },
    clear() {
      consents.clear();
      codes.clear();
      tokens.clear();
    },
  };
}

export type GrantStore = ReturnType<typeof grantStore>;
