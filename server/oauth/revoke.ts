import type { ConnectorId } from '../connectors/registry.js';
import type { RevokeOutcome } from '../connectors/types.js';
import type { SecretValue } from '../secrets/secret-value.js';
import type { AppServices } from '../services.js';
import { providerFetch } from './provider-http.js';

/**
 * Revokes one token at its provider through the definition's revoke hook. Throws on failure
 * (a ProviderError for HTTP, network and timeout failures); `not_supported` when the provider
 * offers no revocation, so there is nothing to wait for.
 */
export async function revokeAtProvider(
  services: Pick<AppServices, 'oauth' | 'env'>,
  connector: ConnectorId,
  token: SecretValue,
): Promise<RevokeOutcome | 'not_supported'> {
  const config = services.oauth.get(connector);
  if (!config?.spec.revoke) return 'not_supported';
  return config.spec.revoke({
    apiUrl: config.apiUrl,
    accessToken: token,
    fetch: providerFetch('revoke', services.env.OAUTH_HTTP_TIMEOUT_MS),
  });
}
