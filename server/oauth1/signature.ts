/**
 * OAuth 1.0a request signing (RFC 5849 §3), HMAC-SHA1, with the `oauth-1.0a` package: the
 * signature base string (§3.4.1) and the signing key `consumer secret & token secret` (§3.4.2).
 * Both sides use it: the client signs its requests, the sandbox checks what it receives.
 * Secrets come in as SecretValues and never leave this module except inside a signature.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import type { OAuthClientConfig } from '../oauth/config.js';
import type { SecretValue } from '../secrets/secret-value.js';

export interface OAuth1Consumer {
  readonly key: string;
  readonly secret: SecretValue;
}

export interface OAuth1Token {
  readonly key: string;
  readonly secret: SecretValue;
}

export interface SignedRequest {
  readonly method: string;
  /** The full URL, its query included: query parameters are part of the signature (§3.4.1.3.1). */
  readonly url: string;
  /** Form body parameters, when the body is a form (§3.4.1.3.1). */
  readonly form?: Readonly<Record<string, string>>;
}

const hmacSha1 = (base: string, key: string) => createHmac('sha1', key).update(base).digest('base64');

function signer(consumerKey: string, consumerSecret: string): OAuth {
  return new OAuth({ consumer: { key: consumerKey, secret: consumerSecret }, signature_method: 'HMAC-SHA1', hash_function: hmacSha1 });
}

/** RFC 3986 percent-encoding as RFC 5849 §3.6 asks (the package's own). */
export const percentEncode = (value: string): string => signer('', '').percentEncode(value);

/**
 * The `Authorization: OAuth ...` header of a signed request (RFC 5849 §3.5.1). `extra` are
 * protocol parameters beyond the standard ones: `oauth_callback` on the request-token request,
 * `oauth_verifier` on the access-token request.
 */
export function authorizationHeader(
  consumer: OAuth1Consumer,
  request: SignedRequest,
  token: OAuth1Token | null = null,
  extra: Readonly<Record<string, string>> = {},
  now: () => { timestamp: number; nonce: string } = () => ({ timestamp: Math.floor(Date.now() / 1000), nonce: randomBytes(16).toString('hex') }),
): string {
  const { timestamp, nonce } = now();
  const params: Record<string, string> = {
    oauth_consumer_key: consumer.key,
    oauth_nonce: nonce,
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: String(timestamp),
    oauth_version: '1.0',
    ...(token ? { oauth_token: token.key } : {}),
    ...extra,
  };
  const oauth = signer(consumer.key, consumer.secret.reveal());
  params.oauth_signature = oauth.getSignature({ url: request.url, method: request.method, data: { ...request.form } }, token?.secret.reveal() ?? '', params as unknown as OAuth.Data);
  return `OAuth ${Object.keys(params)
    .sort()
    .map((name) => `${percentEncode(name)}="${percentEncode(params[name]!)}"`)
    .join(', ')}`;
}

/** The parameters of an `Authorization: OAuth` header (RFC 5849 §3.5.1), or null when it is not one. */
export function parseAuthorizationHeader(header: string | undefined): Record<string, string> | null {
  if (!header || !/^OAuth\s/i.test(header)) return null;
  const params: Record<string, string> = {};
  for (const part of header.replace(/^OAuth\s+/i, '').split(',')) {
    const match = /^\s*([A-Za-z0-9_%.-]+)="([^"]*)"\s*$/.exec(part);
    if (!match) {
      if (part.trim() === '') continue;
      return null;
    }
    try {
      const name = decodeURIComponent(match[1]!);
      if (name === 'realm') continue;
      params[name] = decodeURIComponent(match[2]!);
    } catch {
      return null;
    }
  }
  return params;
}

/**
 * Whether a received request carries a valid HMAC-SHA1 signature for these secrets (the
 * server's side of RFC 5849 §3.2). `params` are the header's protocol parameters.
 */
export function verifySignature(
  params: Readonly<Record<string, string>>,
  request: SignedRequest,
  consumerSecret: string,
  tokenSecret: string,
): boolean {
  const { oauth_signature: received, ...signed } = params;
  if (!received || params.oauth_signature_method !== 'HMAC-SHA1') return false;
  const oauth = signer(params.oauth_consumer_key ?? '', consumerSecret);
  const expected = oauth.getSignature({ url: request.url, method: request.method, data: { ...request.form } }, tokenSecret, signed as unknown as OAuth.Data);
  const a = Buffer.from(expected);
  const b = Buffer.from(received);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A signer for a hook's calls with a grant's token credentials (ProviderCallContext.oauth1), or null outside the OAuth 1.0a mode. */
export function grantSigner(config: OAuthClientConfig, token: SecretValue, tokenSecret: SecretValue): { authorization: (method: string, url: string) => string } | null {
  if (!config.oauth1 || !config.clientId || !config.clientSecret) return null;
  const consumer = { key: config.clientId, secret: config.clientSecret };
  return { authorization: (method, url) => authorizationHeader(consumer, { method, url }, { key: token.reveal(), secret: tokenSecret }) };
}
