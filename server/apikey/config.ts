/**
 * The API-key mode's place among the OAuth clients (docs/decisions/019-api-key-mode.md): an
 * API-key connector gets an OAuthClientConfig whose spec has the key's storage, no endpoints
 * to call, and the key check as its `identify`. So the connection's lifecycle (status, health,
 * scheduled verification, disconnect, the ledger, the token API) is the OAuth code, unchanged;
 * only connecting differs (server/apikey/connect.ts).
 */
import { connectors, type ConnectorId } from '../connectors/registry.js';
import type { ApiKeySpec, ConnectorDefinition, OAuthSpec, ProviderSandbox } from '../connectors/types.js';
import { forConnection, type OAuthClientConfig } from '../oauth/config.js';
import { OAuthFlowError } from '../oauth/errors.js';
import type { AppServices } from '../services.js';
import { parseOriginOverrides, rewriteUrl } from '../oauth/origin-overrides.js';
import type { RuntimeEnv } from '../runtime-env.js';

export type ApiKeyConnector = ConnectorDefinition & { apiKey: ApiKeySpec<string> };

export const apiKeyConnectors = (connectors as readonly ConnectorDefinition[]).filter(
  (c): c is ApiKeyConnector => c.availability === 'available' && Boolean(c.apiKey),
);

/** The definition's API-key spec, or null for an OAuth connector. */
export function apiKeySpecOf(definition: ConnectorDefinition): ApiKeySpec<string> | null {
  return definition.apiKey ?? null;
}

const LOOPBACK = /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/;

/** The spec the OAuth lifecycle code reads: storage, identify (the check) and the page's notes. */
function lifecycleSpec(spec: ApiKeySpec<string>, apiBase: string): OAuthSpec<string> {
  return {
    // Never called: nothing here speaks OAuth. They exist so every URL of the config is well formed.
    endpoints: { authorize: apiBase, token: apiBase },
    apiBase,
    pkce: false,
    clientAuthentication: 'client_secret_post',
    storage: { accessToken: spec.storage.apiKey, tokenType: spec.storage.tokenType },
    identify: spec.check,
    ...(spec.docsUrl ? { docsUrl: spec.docsUrl } : {}),
    removedAtProvider: { text: spec.removedAtProvider.text },
  };
}

export function resolveApiKeyConfig(definition: ApiKeyConnector, env: RuntimeEnv, sandbox?: ProviderSandbox): OAuthClientConfig {
  const { apiKey } = definition;
  // PROVIDER_ORIGIN_OVERRIDES moves the API like any provider's (a stand-in on another host).
  const raw = (env as unknown as Record<string, unknown>).PROVIDER_ORIGIN_OVERRIDES;
  const overrides = sandbox ? new Map<string, string>() : parseOriginOverrides(typeof raw === 'string' && raw ? raw : undefined);
  const apiUrl = rewriteUrl(sandbox?.apiUrl ?? apiKey.apiBase, overrides).replace(/\/+$/, '');
  const endpoints = {
    authorizeUrl: apiUrl,
    tokenUrl: apiUrl,
    revokeUrl: null,
    issuer: new URL(apiUrl).origin,
    apiUrl,
    loopbackHttp: LOOPBACK.test(new URL(apiUrl).origin),
  };
  return {
    connector: definition.id as ConnectorId,
    spec: lifecycleSpec(apiKey, apiUrl),
    // Nothing to configure: each connection brings its own key.
    configured: true,
    missing: [],
    clientId: null,
    clientSecret: null,
    ...endpoints,
    redirectUri: `${env.APP_URL}/integrations/${definition.id}`,
    originOverrides: overrides,
    sandbox: Boolean(sandbox),
    connectionSettings: null,
    authorizeOrigins: [],
    endpointsFor: () => endpoints,
    app: null,
  };
}

/** One API-key connection's config (its settings given to the check), for the scheduled verification. */
export function apiKeyConnectionConfig(
  services: Pick<AppServices, 'oauth'>,
  connector: ConnectorId,
  settings: Readonly<Record<string, string>> | null | undefined,
): OAuthClientConfig {
  const base = services.oauth.get(connector);
  if (!base) throw new OAuthFlowError('not_configured', 'This connector is not configured.');
  return forConnection(base, settings ?? {});
}
