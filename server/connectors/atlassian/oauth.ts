/**
 * What Jira and Confluence share: Atlassian's OAuth 2.0 (3LO) authorization server, the JSON
 * token request, one-hour access tokens with rotating refresh tokens, `accessible-resources`
 * as identity (one grant, possibly several sites: the admin picks one), and no revocation.
 * Each product keeps its own definition, keys and installation; only the protocol is shared.
 */
import { z } from 'zod';
import { ProviderError } from '../../oauth/provider-error.js';
import type { SandboxProfile } from '../../sandbox/profile.js';
import type { ExternalAccount, OAuthSpec } from '../types.js';

/** Every fact below comes from this page unless another is named. */
export const ATLASSIAN_DOCS = 'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/';
// CALLS below: https://developer.atlassian.com/cloud/oauth/getting-started/making-calls-to-api/
// ("Making calls to the API": accessible-resources and the cloud id).

// CALLS: `[{ id (the cloud id), name, url, scopes, avatarUrl }]`, one entry per site (and per
// product on it) the token reaches.
const resources = z.array(
  z.object({ id: z.string(), name: z.string(), url: z.string(), scopes: z.array(z.string()).default([]) }),
);

/** A site's cloud id: a UUID. It ends up in API paths (`/ex/jira/{cloudId}`), so nothing else. */
export const cloudId = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
/** The site's own address: an Atlassian Cloud host, nothing else. */
export const siteUrl = z.string().regex(/^https:\/\/[a-z0-9][a-z0-9-]{0,62}\.(?:atlassian\.net|jira\.com)$/i);

/** The declared keys an Atlassian product stores its grant and site under. */
export interface AtlassianKeys<Key extends string> {
  readonly accessToken: Key;
  readonly refreshToken: Key;
  readonly tokenType: Key;
  readonly expiresAt: Key;
  readonly scopes: Key;
  readonly cloudId: Key;
  readonly siteUrl: Key;
}

export interface AtlassianProduct<Key extends string> {
  /** The product's scopes, `offline_access` included (it asks for a refresh token). */
  readonly scopes: readonly string[];
  /**
   * A site is offered when the grant holds one of the product's scopes there: the grant can
   * reach a Confluence-only site that is of no use to Jira, and the other way round.
   */
  readonly siteHasProduct: (scope: string) => boolean;
  readonly keys: AtlassianKeys<Key>;
  readonly docsUrl?: string;
  /** The profile the sandbox plays Atlassian with; imported lazily so production never loads it. */
  readonly sandboxProfile: () => Promise<SandboxProfile>;
}

/** The OAuth spec of one Atlassian product. */
export function atlassianOAuth<const Key extends string>(product: AtlassianProduct<Key>): OAuthSpec<Key> {
  const { keys } = product;
  return {
    // DOCS, "Direct the user to the authorization URL" and "Exchange authorization code for
    // access token" (POST auth.atlassian.com/oauth/token).
    endpoints: { authorize: 'https://auth.atlassian.com/authorize', token: 'https://auth.atlassian.com/oauth/token' },
    // CALLS: requests go through api.atlassian.com, not the site's own host.
    apiBase: 'https://api.atlassian.com',
    scopes: product.scopes,
    // DOCS: `audience=api.atlassian.com` is required; `prompt=consent` shows the consent screen
    // (and the site picker) every time.
    authorizeParams: { audience: 'api.atlassian.com', prompt: 'consent' },
    // DOCS: the token request is JSON carrying `client_id` and `client_secret`.
    clientAuthentication: 'client_secret_post',
    requestBody: 'json',
    // DOCS, "Use a refresh token to get another access token": access tokens last an hour;
    // refresh tokens rotate (each is used once) and expire after 90 days of inactivity.
    storage: {
      accessToken: keys.accessToken,
      refreshToken: keys.refreshToken,
      tokenType: keys.tokenType,
      expiresAt: keys.expiresAt,
      scopes: keys.scopes,
    },
    // CALLS: the cloud id is what site-specific calls need (`api.atlassian.com/ex/{product}/{cloudId}`).
    learned: {
      cloudId: { key: keys.cloudId, label: 'Site cloud id', from: 'identity', schema: cloudId },
      siteUrl: { key: keys.siteUrl, label: 'Site', from: 'identity', schema: siteUrl },
    },
    // CALLS: one grant can reach several sites: the admin picks the one to connect.
    identify: async ({ apiUrl, accessToken, fetch }) => {
      const response = await fetch(`${apiUrl}/oauth/token/accessible-resources`, {
        headers: { authorization: `Bearer ${accessToken.reveal()}`, accept: 'application/json' },
      });
      if (!response.ok) throw new ProviderError('identify', response.status);
      const answer = resources.safeParse(await response.json().catch(() => null));
      if (!answer.success) throw new ProviderError('identify', response.status, 'malformed_response');
      return answer.data
        .filter((site) => site.scopes.some(product.siteHasProduct))
        .map((site): ExternalAccount => ({ id: site.id, name: site.name, settings: { cloudId: site.id, siteUrl: site.url } }));
    },
    // No revocation endpoint is documented for OAuth 2.0 (3LO) apps: a user removes the app's
    // access under their Atlassian account's "Connected apps". Disconnect forgets the tokens.
    docsUrl: product.docsUrl ?? ATLASSIAN_DOCS,
    sandbox: async (client) => {
      // Imported lazily so production never loads the sandbox.
      const [{ startOAuthSandbox }, profile] = await Promise.all([import('../../sandbox/oauth-sandbox.js'), product.sandboxProfile()]);
      return startOAuthSandbox(profile, client);
    },
  };
}
