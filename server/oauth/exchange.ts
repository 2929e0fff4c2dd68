import type { SecretValue as SecretValueType } from '../secrets/secret-value.js';
import { SecretValue } from '../secrets/secret-value.js';
import type { OAuthClientConfig } from './config.js';
import { ProviderError } from './provider-error.js';
import { providerFetch, readJson } from './provider-http.js';

/** Trades the authorization code for a token at the definition's token endpoint. */
export async function exchangeCode(
  config: OAuthClientConfig & { clientId: string; clientSecret: SecretValueType },
  code: string,
  timeoutMs: number,
): Promise<{ accessToken: SecretValue; tokenType: string }> {
  // The code goes out exactly as received: Intercom codes can end with `=`.
  const fields = { code, client_id: config.clientId, client_secret: config.clientSecret.reveal() };
  const form = config.spec.token.format === 'form';
  const response = await providerFetch('token', timeoutMs)(`${config.apiUrl}${config.spec.token.path}`, {
    method: 'POST',
    headers: {
      accept: 'application/json',
      'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json',
    },
    body: form ? new URLSearchParams(fields).toString() : JSON.stringify(fields),
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new ProviderError('token', response.status);
  }
  const body = await readJson('token', response);
  let parsed: { accessToken: string; tokenType: string };
  try {
    parsed = config.spec.token.parse(body);
  } catch {
    throw new ProviderError('token', response.status, 'malformed_response');
  }
  return { accessToken: new SecretValue(parsed.accessToken), tokenType: parsed.tokenType };
}
