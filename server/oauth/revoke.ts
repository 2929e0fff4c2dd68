import { getConnector, type ConnectorId } from '../connectors/registry.js';
import { defaultConnectionSettings, type ConnectionSettings } from '../connectors/settings.js';
import type { OAuthSpec, RevokeOutcome } from '../connectors/types.js';
import type { SecretValue } from '../secrets/secret-value.js';
import type { AppServices } from '../services.js';
import { forConnection } from './config.js';
import { hookContext, revokeWithRfc7009 } from './engine.js';
import { requireConfigured } from './errors.js';

/**
 * Revokes one token at its provider: RFC 7009 at the spec's revocation endpoint, or the
 * definition's hook (given the access token, and the refresh token when there is one). Throws on failure (a ProviderError for HTTP, network and timeout
 * failures); `not_supported` when the provider offers no revocation, or when the grant's settings
 * say not to (`revokeWhen`: Plugboard then only forgets the token). `settings` are the grant's
 * connection settings (its region): a grant is revoked where it was issued. Grants recorded
 * before settings existed get the defaults.
 */
export async function revokeAtProvider(
  services: Pick<AppServices, 'oauth' | 'env'>,
  connector: ConnectorId,
  token: SecretValue,
  refreshToken: SecretValue | null = null,
  settings: ConnectionSettings | null = null,
): Promise<RevokeOutcome | 'not_supported'> {
  const base = services.oauth.get(connector);
  const revoke = base?.spec.revoke;
  if (!base || !revoke) return 'not_supported';
  const effective = settings ?? defaultConnectionSettings(getConnector(connector)) ?? {};
  // The connection's own settings say it must not be revoked (a refresh token it shares).
  if (!revokesAtProvider(base.spec, effective)) return 'not_supported';
  const config = forConnection(base, effective);
  const timeoutMs = services.env.OAUTH_HTTP_TIMEOUT_MS;
  if (revoke === 'rfc7009') {
    requireConfigured(config);
    // Revoking the refresh token ends the whole grant (RFC 7009 §2.1); an access token alone may
    // not, unless the provider documents revoking the access token (the spec's `revokeToken`).
    const revoked = config.spec.revokeToken === 'access_token' ? token : (refreshToken ?? token);
    return revokeWithRfc7009(config, revoked, timeoutMs);
  }
  return revoke(hookContext(config, 'revoke', token, timeoutMs, refreshToken));
}

/** Whether giving up a grant made with `settings` revokes it at the provider (`revoke` and `revokeWhen`). */
export function revokesAtProvider(spec: Pick<OAuthSpec<string>, 'revoke' | 'revokeWhen'>, settings: Readonly<Record<string, string>>): boolean {
  return Boolean(spec.revoke) && (spec.revokeWhen?.(settings) ?? true);
}
