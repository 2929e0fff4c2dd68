/**
 * Google's OAuth 2.0 for web server applications, shared by Google Drive and Gmail: the same
 * endpoints, parameters, identity and revocation, with each product's own scope and keys.
 * Every fact below comes from DOCS unless another page is named.
 */
import { z } from 'zod';
import { ProviderError } from '../../oauth/provider-error.js';
import type { OAuthSpec } from '../types.js';

export const DOCS = 'https://developers.google.com/identity/protocols/oauth2/web-server';
/*
 * Also cited below:
 * OIDC_DOCS: https://developers.google.com/identity/openid-connect/openid-connect, with its
 *   discovery document https://accounts.google.com/.well-known/openid-configuration (issuer,
 *   userinfo endpoint, PKCE methods).
 * GRANULAR_DOCS: https://developers.google.com/identity/protocols/oauth2/resources/granular-permissions
 */

/** Google answers the `email` sign-in scope under its long name in the token answer's `scope`. */
export const USERINFO_EMAIL = 'https://www.googleapis.com/auth/userinfo.email';
const USERINFO_PROFILE = 'https://www.googleapis.com/auth/userinfo.profile';

const userinfoAnswer = z.object({ sub: z.string().min(1), email: z.string().min(3) });
const revokeError = z.object({ error: z.string() });

/** One Google product: its scope (with plain words from Google's consent screen) and where tokens go. */
export interface GoogleProduct<Key extends string> {
  readonly scope: string;
  readonly scopeLabel: string;
  readonly storage: OAuthSpec<Key>['storage'] & { refreshToken: Key; expiresAt: Key; scopes: Key };
  readonly sandbox: OAuthSpec<Key>['sandbox'];
}

export function googleOAuth<const Key extends string>(product: GoogleProduct<Key>): OAuthSpec<Key> {
  return {
    // DOCS, "Step 2: Redirect to Google's OAuth 2.0 server" (accounts.google.com/o/oauth2/v2/auth),
    // "Step 5: Exchange authorization code for refresh and access tokens" (POST
    // oauth2.googleapis.com/token) and "Token revocation" (POST oauth2.googleapis.com/revoke).
    endpoints: {
      authorize: 'https://accounts.google.com/o/oauth2/v2/auth',
      token: 'https://oauth2.googleapis.com/token',
      revoke: 'https://oauth2.googleapis.com/revoke',
    },
    // OIDC_DOCS: with `openid` the token answer carries an ID token whose `iss` is
    // https://accounts.google.com, not the token endpoint's origin (the engine's default):
    // oauth4webapi checks it, so the issuer is named here.
    issuer: 'https://accounts.google.com',
    // OIDC_DOCS: the discovery document's userinfo_endpoint.
    apiBase: 'https://openidconnect.googleapis.com',
    // DOCS, "scope": a space-delimited list. `openid email` name the account (OIDC_DOCS, "Scopes
    // and claims"); the product's read-only scope is what the connector is for.
    scopes: ['openid', 'email', product.scope],
    scopeSeparator: ' ',
    scopeLabels: {
      openid: 'Associate you with your personal info on Google',
      email: 'See your primary Google Account email address',
      [product.scope]: product.scopeLabel,
    },
    // DOCS, "access_type": `offline` is what makes Google issue a refresh token, and only on the
    // first consent; "prompt": `consent` asks every time, so every (re)connect gets a new
    // refresh token instead of none. DOCS, "Refresh token expiration": a client keeps at most
    // 100 live refresh tokens per Google Account; the oldest is invalidated without warning.
    authorizeParams: { access_type: 'offline', prompt: 'consent' },
    // DOCS, "code_challenge" / "code_challenge_method" (S256); the discovery document lists
    // S256 in code_challenge_methods_supported.
    pkce: true,
    // DOCS, Step 5: client_id and client_secret in the form body (application/x-www-form-urlencoded).
    clientAuthentication: 'client_secret_post',
    requestBody: 'form',
    // DOCS, Step 5 response: `scope` is the space-delimited list of scopes granted. Google names
    // the sign-in scopes there by their long names (`email` comes back as
    // .../auth/userinfo.email): stored under the names asked, so the granted list can be
    // compared with the request (GRANULAR_DOCS: users may untick scopes; check what was granted).
    normalizeTokenAnswer: (body) =>
      typeof body.scope === 'string'
        ? {
            ...body,
            scope: body.scope
              .split(' ')
              .map((s) => (s === USERINFO_EMAIL ? 'email' : s === USERINFO_PROFILE ? 'profile' : s))
              .join(' '),
          }
        : body,
    // DOCS: access tokens last an hour (`expires_in` 3599); the refresh token comes only in the
    // code exchange's answer, and refresh answers carry none: the stored one is kept.
    storage: product.storage,
    // OIDC_DOCS, "Obtaining user profile information": GET the userinfo endpoint with the
    // access token; `sub` is the account's stable id, `email` needs the `email` scope.
    identify: async ({ apiUrl, accessToken, fetch }) => {
      const response = await fetch(`${apiUrl}/v1/userinfo`, {
        headers: { authorization: `Bearer ${accessToken.reveal()}`, accept: 'application/json' },
      });
      if (!response.ok) throw new ProviderError('identify', response.status);
      const answer = userinfoAnswer.safeParse(await response.json().catch(() => null));
      if (!answer.success) throw new ProviderError('identify', response.status, 'malformed_response');
      return { id: answer.data.sub, name: answer.data.email, approvedBy: answer.data.email };
    },
    // DOCS, "Token revocation": POST the token as a `token` form parameter, no client
    // authentication. A refresh token ends the whole grant (an access token ends its refresh
    // token too, but only while it is valid), so the refresh token is preferred. 200 revoked;
    // 400 with an error code otherwise: `invalid_token` means already revoked or expired.
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
    docsUrl: DOCS,
    sandbox: product.sandbox,
  };
}
