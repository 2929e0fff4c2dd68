/**
 * The OAuth 1.0a mode of the one flow (RFC 5849, docs/decisions/018-oauth1-mode.md):
 * temporary credentials (§2.1) on Connect, the resource owner's authorization (§2.2) on the
 * provider's page, token credentials (§2.3) on the callback. The rest (grant ledger, identity,
 * activation, revocation, health) is the OAuth 2.0 flow's, unchanged.
 *
 * The request token secret never leaves the server: sealed (AES-256-GCM, key derived from
 * SESSION_SECRET, bound to the state and connector) into the state row, so it has the state's
 * guarantees: owned by one tenant, user, session and connector, single use, ten minutes, deleted
 * when consumed and swept when expired.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { SessionUser } from '../auth/sessions.js';
import type { ConnectionSettings } from '../connectors/settings.js';
import type { OAuthClientConfig } from '../oauth/config.js';
import { providerFetcher, type TokenSet } from '../oauth/engine.js';
import { OAuthFlowError } from '../oauth/errors.js';
import { ProviderError } from '../oauth/provider-error.js';
import { bindToState, issueState } from '../oauth/state.js';
import { SecretValue } from '../secrets/secret-value.js';
import { authorizationHeader, type OAuth1Consumer } from './signature.js';

type ConfiguredClient = OAuthClientConfig & { clientId: string; clientSecret: SecretValue };

/** Where the sealed request token travels in the state row; never a setting name (those are identifiers). */
export const PENDING_REQUEST_FIELD = '@oauth1';

/** The token type stored for an OAuth 1.0a grant: requests are signed, not sent with a bearer token. */
export const OAUTH1_TOKEN_TYPE = 'OAuth1';

/** What the callback brings back (§2.2): the request token, and the verifier when the user approved. */
export interface OAuth1Callback {
  readonly token: string;
  readonly verifier: string;
}

const consumerOf = (config: ConfiguredClient): OAuth1Consumer => ({ key: config.clientId, secret: config.clientSecret });

function sealingKey(sessionSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', sessionSecret, 'plugboard-oauth1', 'request-token-secret', 32));
}

export function sealRequestToken(sessionSecret: string, binding: string, token: string, secret: SecretValue): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(sessionSecret), iv);
  cipher.setAAD(Buffer.from(binding));
  const body = Buffer.concat([cipher.update(JSON.stringify({ t: token, s: secret.reveal() }), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

export function openRequestToken(sessionSecret: string, binding: string, sealed: string): { token: string; secret: SecretValue } | null {
  try {
    const raw = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', sealingKey(sessionSecret), raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(binding));
    decipher.setAuthTag(raw.subarray(12, 28));
    const value = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as { t?: unknown; s?: unknown };
    return typeof value.t === 'string' && typeof value.s === 'string' ? { token: value.t, secret: new SecretValue(value.s) } : null;
  } catch {
    return null;
  }
}

const bindingOf = (connector: string, state: string) => `${connector}:${state}`;

/** A form-encoded answer (§2.1, §2.3) with both credentials; anything else is malformed. */
async function credentialsFrom(response: Response): Promise<{ token: string; secret: SecretValue; params: URLSearchParams }> {
  if (!response.ok) throw new ProviderError('token', response.status);
  const params = new URLSearchParams(await response.text().catch(() => ''));
  const token = params.get('oauth_token');
  const secret = params.get('oauth_token_secret');
  if (!token || !secret || token.length > 512 || secret.length > 512) throw new ProviderError('token', response.status, 'malformed_response');
  return { token, secret: new SecretValue(secret), params };
}

/**
 * Connect: a state as for OAuth 2.0, temporary credentials asked with a callback carrying it,
 * the request token sealed into the state, and the provider's authorization URL.
 */
export async function beginOAuth1Authorization(
  em: EntityManager,
  config: ConfiguredClient,
  session: SessionUser,
  sessionSecret: string,
  settings: ConnectionSettings,
  timeoutMs: number,
): Promise<string> {
  if (!config.oauth1) throw new TypeError(`${config.connector} does not speak OAuth 1.0a`);
  const owner = { tenantId: session.tenantId, userId: session.userId, sessionId: session.sessionId, connector: config.connector };
  const stored = Object.keys(settings).length ? settings : null;
  const state = await issueState(em, owner, new Date(), stored);
  const callback = new URL(config.redirectUri);
  callback.searchParams.set('state', state);
  const url = config.oauth1.requestTokenUrl;
  const fetcher = providerFetcher(config, 'token', timeoutMs, true);
  const response = await fetcher(url, {
    method: 'POST',
    headers: { authorization: authorizationHeader(consumerOf(config), { method: 'POST', url }, null, { oauth_callback: callback.toString() }) },
  });
  const temporary = await credentialsFrom(response);
  // RFC 5849 §2.1: a server that took the callback says so; one that did not would not come back.
  if (temporary.params.get('oauth_callback_confirmed') !== 'true') throw new ProviderError('token', response.status, 'malformed_response');
  await bindToState(em, state, { ...stored, [PENDING_REQUEST_FIELD]: sealRequestToken(sessionSecret, bindingOf(config.connector, state), temporary.token, temporary.secret) });
  const authorize = new URL(config.authorizeUrl);
  authorize.searchParams.set('oauth_token', temporary.token);
  for (const [name, value] of Object.entries(config.spec.authorizeParams ?? {})) authorize.searchParams.set(name, value);
  return authorize.toString();
}

/** The settings a consumed state carried, without the sealed request token (which is returned apart). */
export function splitPendingRequest(started: Record<string, string> | null): { settings: Record<string, string> | null; sealed: string | null } {
  if (!started || !(PENDING_REQUEST_FIELD in started)) return { settings: started, sealed: null };
  const { [PENDING_REQUEST_FIELD]: sealed, ...settings } = started;
  return { settings: Object.keys(settings).length ? settings : null, sealed: sealed ?? null };
}

const REFUSED = () => new OAuthFlowError('token_rejected', 'This authorization does not belong to this connection attempt. Please connect again.');

/**
 * Callback: the request token must be the one sealed into this state (a replayed or foreign
 * one is refused before the provider is asked), then traded with the verifier for the token
 * credentials (§2.3). The token secret comes back as the grant's second secret.
 */
export async function exchangeOAuth1(
  config: ConfiguredClient,
  state: string,
  sealed: string | null,
  callback: OAuth1Callback | undefined,
  sessionSecret: string,
  timeoutMs: number,
): Promise<TokenSet> {
  if (!callback) throw new OAuthFlowError('token_rejected', 'The authorization verifier is missing. Please connect again.');
  const pending = sealed ? openRequestToken(sessionSecret, bindingOf(config.connector, state), sealed) : null;
  if (!pending || pending.token !== callback.token) throw REFUSED();
  const url = config.tokenUrl;
  const fetcher = providerFetcher(config, 'token', timeoutMs, true);
  const response = await fetcher(url, {
    method: 'POST',
    headers: {
      authorization: authorizationHeader(consumerOf(config), { method: 'POST', url }, { key: pending.token, secret: pending.secret }, { oauth_verifier: callback.verifier }),
    },
  });
  const credentials = await credentialsFrom(response);
  return {
    accessToken: new SecretValue(credentials.token),
    refreshToken: credentials.secret,
    tokenType: OAUTH1_TOKEN_TYPE,
    expiresAt: null,
    scopes: null,
    learned: {},
  };
}
