import type { ConnectorDefinition, OAuthSpec, ProviderSandbox } from '../connectors/types.js';
import { connectors, type ConnectorId } from '../connectors/registry.js';
import type { Logger } from '../logger.js';
import { SecretValue } from '../secrets/secret-value.js';
import type { RuntimeEnv } from '../runtime-env.js';

/** How one connector's OAuth app is configured in this process. */
export interface OAuthClientConfig {
  readonly connector: ConnectorId;
  readonly spec: OAuthSpec<string>;
  /** False when the client id or secret is missing: the page says which variables to set. */
  readonly configured: boolean;
  readonly missing: readonly string[];
  readonly clientId: string | null;
  readonly clientSecret: SecretValue | null;
  readonly authorizeUrl: string;
  readonly apiUrl: string;
  readonly redirectUri: string;
  /** True when the local sandbox stands in for the provider. */
  readonly sandbox: boolean;
}

export type OAuthConfigs = ReadonlyMap<ConnectorId, OAuthClientConfig>;

export const oauthConnectors = (connectors as readonly ConnectorDefinition[]).filter(
  (c): c is ConnectorDefinition & { oauth: OAuthSpec<string> } => c.availability === 'available' && Boolean(c.oauth),
);

const read = (env: RuntimeEnv, name: string): string | undefined => {
  const value = (env as unknown as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

export function resolveOAuthConfig(
  definition: ConnectorDefinition & { oauth: OAuthSpec<string> },
  env: RuntimeEnv,
  sandbox?: { client: { clientId: string; clientSecret: string }; server: ProviderSandbox },
): OAuthClientConfig {
  const { oauth } = definition;
  const clientId = sandbox?.client.clientId ?? read(env, oauth.env.clientId);
  const clientSecret = sandbox?.client.clientSecret ?? read(env, oauth.env.clientSecret);
  const missing = [
    ...(clientId ? [] : [oauth.env.clientId]),
    ...(clientSecret ? [] : [oauth.env.clientSecret]),
  ];
  return {
    connector: definition.id as ConnectorId,
    spec: oauth,
    configured: missing.length === 0,
    missing,
    clientId: clientId ?? null,
    clientSecret: clientSecret ? new SecretValue(clientSecret) : null,
    authorizeUrl: sandbox?.server.oauthUrl ?? read(env, oauth.env.authorizeUrl) ?? oauth.defaults.authorizeUrl,
    apiUrl: (sandbox?.server.apiUrl ?? read(env, oauth.env.apiUrl) ?? oauth.defaults.apiUrl).replace(/\/+$/, ''),
    redirectUri: `${env.APP_URL}/integrations/${definition.id}/callback`,
    sandbox: Boolean(sandbox),
  };
}

/**
 * Resolves every OAuth connector's configuration. Outside production, a connector without a
 * client id gets its sandbox (when it has one and OAUTH_SANDBOX is not `off`), so a newcomer
 * can try the whole flow. Production never starts a sandbox.
 */
export async function resolveOAuthConfigs(
  env: RuntimeEnv,
  logger: Logger,
  options: { sandboxes: boolean },
): Promise<{ configs: OAuthConfigs; close(): Promise<void> }> {
  const configs = new Map<ConnectorId, OAuthClientConfig>();
  const running: ProviderSandbox[] = [];
  for (const definition of oauthConnectors) {
    const useSandbox =
      options.sandboxes &&
      env.NODE_ENV !== 'production' &&
      env.OAUTH_SANDBOX !== 'off' &&
      !read(env, definition.oauth.env.clientId) &&
      definition.oauth.sandbox;
    if (useSandbox && definition.oauth.sandbox) {
      const client = { clientId: `sandbox-${definition.id}`, clientSecret: `sandbox-secret-${definition.id}` };
      const server = await definition.oauth.sandbox(client);
      running.push(server);
      logger.info({ connector: definition.id, url: server.oauthUrl }, 'sandbox provider started');
      configs.set(definition.id as ConnectorId, resolveOAuthConfig(definition, env, { client, server }));
    } else {
      configs.set(definition.id as ConnectorId, resolveOAuthConfig(definition, env));
    }
  }
  return {
    configs,
    close: async () => {
      await Promise.all(running.map((s) => s.close()));
    },
  };
}

/** Origins a form may be redirected to: Chrome applies CSP form-action to redirects. */
export function authorizeOrigins(configs: OAuthConfigs): string[] {
  return [...new Set([...configs.values()].filter((c) => c.configured).map((c) => new URL(c.authorizeUrl).origin))];
}
