import { apiKeyConnectors, resolveApiKeyConfig } from '../apikey/config.js';
import { clientCredentials, clientEnvNames } from '../connectors/client-env.js';
import { connectors, getConnector, type ConnectorId } from '../connectors/registry.js';
import type { ConnectorDefinition, OAuthSpec, ProviderSandbox } from '../connectors/types.js';
import type { Logger } from '../logger.js';
import type { RuntimeEnv } from '../runtime-env.js';
import { SecretValue } from '../secrets/secret-value.js';
import { defaultConnectionSettings, templateValues, type ConnectionSettings } from '../connectors/settings.js';
import { parseOriginOverrides, rewriteUrl } from './origin-overrides.js';
import { fillTemplate, isTemplate, templateShape, TemplateError } from './templates.js';

/** The URLs of one connection: its settings filled in, then overrides and the sandbox applied. */
export interface ConnectionEndpoints {
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly revokeUrl: string | null;
  readonly issuer: string;
  /** Base of the provider's API for hooks, without a trailing slash. */
  readonly apiUrl: string;
  /** True when some endpoint is plain http on loopback (a sandbox or a test stand-in). */
  readonly loopbackHttp: boolean;
}

/**
 * How one connector's OAuth client is configured in this process. For a connector with
 * connection settings the URLs here are filled with the default settings (or left as
 * templates when some setting is required): requests use `forConnection(config, settings)`.
 */
export interface OAuthClientConfig extends ConnectionEndpoints {
  readonly connector: ConnectorId;
  readonly spec: OAuthSpec<string>;
  /** False when the client id or secret is missing: the page says which variables to set. */
  readonly configured: boolean;
  readonly missing: readonly string[];
  readonly clientId: string | null;
  readonly clientSecret: SecretValue | null;
  readonly redirectUri: string;
  /** Origins rewritten by PROVIDER_ORIGIN_OVERRIDES, for the hooks' own calls. */
  readonly originOverrides: ReadonlyMap<string, string>;
  /** True when the local sandbox stands in for the provider. */
  readonly sandbox: boolean;
  /** The settings these URLs were filled with: null for the process-wide configuration. */
  readonly connectionSettings: ConnectionSettings | null;
  /** Origins the consent page may be on, for CSP form-action (a wildcard for a templated host). */
  readonly authorizeOrigins: readonly string[];
  /** Fills the endpoint templates for one connection's template values; throws a TemplateError. */
  readonly endpointsFor: (values: ConnectionSettings) => ConnectionEndpoints;
  /** The app's own credentials (`spec.appCredentials`), when declared and set. */
  readonly app: { readonly privateKey: SecretValue; readonly appId: string | null } | null;
  /** OAuth 1.0a connectors (`definition.oauth1`): the temporary credentials endpoint, resolved like every endpoint. */
  readonly oauth1?: { readonly requestTokenUrl: string } | null;
}

/** The app's URL name in the authorize endpoint's path (`/apps/:appSlug/installations/new`). */
const APP_SLUG = '/:appSlug/';

export type OAuthConfigs = ReadonlyMap<ConnectorId, OAuthClientConfig>;

export const oauthConnectors = (connectors as readonly ConnectorDefinition[]).filter(
  (c): c is ConnectorDefinition & { oauth: OAuthSpec<string> } => c.availability === 'available' && Boolean(c.oauth),
);

const read = (env: RuntimeEnv, name: string | undefined): string | undefined => {
  if (!name) return undefined;
  const value = (env as unknown as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const isLoopbackHttp = (url: string) => {
  const u = new URL(url);
  return u.protocol === 'http:' && (LOOPBACK.has(u.hostname) || u.hostname.startsWith('127.'));
};

/** An endpoint under the API base follows an API override; any other stays where it is. */
function underApi(url: string, apiBase: string, api: string): string {
  const base = apiBase.replace(/\/+$/, '');
  return url === base || url.startsWith(`${base}/`) ? `${api}${url.slice(base.length)}` : url;
}

export function resolveOAuthConfig(
  definition: ConnectorDefinition & { oauth: OAuthSpec<string> },
  env: RuntimeEnv,
  sandbox?: { client: { clientId: string; clientSecret: string }; server: ProviderSandbox },
): OAuthClientConfig {
  const { oauth } = definition;
  const names = clientEnvNames(definition.id);
  const fromEnv = clientCredentials(env as unknown as Record<string, unknown>, definition.id);
  const clientId = sandbox?.client.clientId ?? fromEnv.clientId;
  const clientSecret = sandbox?.client.clientSecret ?? fromEnv.clientSecret;
  const appVariables = oauth.appCredentials;
  const privateKey = sandbox ? sandbox.server.app?.privateKey : read(env, appVariables?.privateKey);
  const appSlug = sandbox ? sandbox.server.app?.slug : read(env, appVariables?.slug);
  const appId = sandbox ? sandbox.server.app?.appId : read(env, appVariables?.appId);
  const missing = [
    ...(clientId ? [] : [names.clientId]),
    ...(clientSecret ? [] : [names.clientSecret]),
    ...(appVariables && !privateKey ? [appVariables.privateKey] : []),
    ...(appVariables?.slug && !appSlug ? [appVariables.slug] : []),
  ];
  // Validated at start (server/env.ts): letters, digits and hyphens only.
  const authorizeEndpoint = oauth.endpoints.authorize.replace(APP_SLUG, `/${encodeURIComponent(appSlug ?? 'app')}/`);

  // The sandbox stands in for every host the provider uses (authorization server and API
  // alike): each endpoint keeps its path on the sandbox's origin, and so do the hooks' calls to
  // the origins it names (a per-customer API host learned from the token answer).
  const sandboxOrigin = sandbox ? new URL(sandbox.server.apiUrl).origin : null;
  const overrides = new Map(parseOriginOverrides(read(env, 'PROVIDER_ORIGIN_OVERRIDES')));
  for (const origin of sandbox?.server.standsInFor ?? []) overrides.set(new URL(origin).origin, sandboxOrigin!);
  const onSandbox = (url: string) => (sandboxOrigin ? `${sandboxOrigin}${url.slice(new URL(url).origin.length)}` : url);
  const apiOverride = sandbox ? undefined : read(env, oauth.envOverrides?.api);
  const authorizeOverride = sandbox ? undefined : read(env, oauth.envOverrides?.authorize);

  // Templates are filled first; the sandbox and the environment overrides then replace the
  // result for every connection alike, and PROVIDER_ORIGIN_OVERRIDES rewrites what remains.
  const endpointsFor = (values: ConnectionSettings): ConnectionEndpoints => {
    const fill = (url: string) => onSandbox(fillTemplate(url, values));
    const apiBase = fill(oauth.apiBase);
    const api = (apiOverride ?? apiBase).replace(/\/+$/, '');
    const resolve = (url: string) => rewriteUrl(underApi(fill(url), apiBase, api), overrides);
    const authorizeUrl = rewriteUrl(authorizeOverride ?? fill(authorizeEndpoint), overrides);
    const tokenUrl = resolve(oauth.endpoints.token);
    const revokeUrl = oauth.endpoints.revoke ? resolve(oauth.endpoints.revoke) : null;
    const apiUrl = rewriteUrl(api, overrides).replace(/\/+$/, '');
    return {
      authorizeUrl,
      tokenUrl,
      revokeUrl,
      issuer: oauth.issuer ? fill(oauth.issuer) : new URL(fill(oauth.endpoints.token)).origin,
      apiUrl,
      loopbackHttp: [authorizeUrl, tokenUrl, revokeUrl, apiUrl].some((u) => u !== null && isLoopbackHttp(u)),
    };
  };

  // Some setting is required, or an endpoint needs a value the provider tells at connect time:
  // nothing can be called before a connection gives it.
  const unfilled: ConnectionEndpoints = {
    authorizeUrl: authorizeOverride ?? authorizeEndpoint,
    tokenUrl: oauth.endpoints.token,
    revokeUrl: oauth.endpoints.revoke ?? null,
    issuer: oauth.issuer ?? oauth.endpoints.token,
    apiUrl: apiOverride ?? oauth.apiBase,
    loopbackHttp: false,
  };
  const defaults = defaultConnectionSettings(definition);
  let endpoints = unfilled;
  if (defaults) {
    try {
      endpoints = endpointsFor(templateValues(definition, defaults));
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
    }
  }
  const templatedAuthorize = !authorizeOverride && !sandboxOrigin && isTemplate(oauth.endpoints.authorize);
  const authorizeOrigins = sandboxOrigin
    ? [sandboxOrigin]
    : templatedAuthorize
    ? [`${templateShape(oauth.endpoints.authorize).scheme}://*${templateShape(oauth.endpoints.authorize).suffix}`, ...overrides.values()]
    : [new URL(endpoints.authorizeUrl).origin];
  return {
    connector: definition.id as ConnectorId,
    spec: oauth,
    configured: missing.length === 0,
    missing,
    clientId: clientId ?? null,
    clientSecret: clientSecret ? new SecretValue(clientSecret) : null,
    ...endpoints,
    redirectUri: `${env.APP_URL}/integrations/${definition.id}/callback`,
    originOverrides: overrides,
    sandbox: Boolean(sandbox),
    connectionSettings: null,
    authorizeOrigins,
    endpointsFor,
    app: appVariables && privateKey ? { privateKey: new SecretValue(normalizePem(privateKey)), appId: appId ?? null } : null,
    // OAuth 1.0a: the request-token endpoint follows the sandbox and the origin overrides.
    oauth1: definition.oauth1 ? { requestTokenUrl: rewriteUrl(onSandbox(definition.oauth1.requestTokenUrl), overrides) } : null,
  };
}

/** A PEM from an environment variable may carry its line breaks as literal `\\n` escapes. */
export function normalizePem(value: string): string {
  return value.includes('\\n') ? value.replace(/\\n/g, '\n') : value;
}

/**
 * The configuration of one connection: the process-wide client with the endpoints its settings
 * select. Throws a TemplateError when a setting would not make a host name (the schema should
 * have refused it first).
 */
export function forConnection(config: OAuthClientConfig, settings: ConnectionSettings): OAuthClientConfig {
  const definition = getConnector(config.connector);
  if (!definition.settings && !definition.oauth?.learned) return config;
  return { ...config, ...config.endpointsFor(templateValues(definition, settings)), connectionSettings: settings };
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
  const overrides = parseOriginOverrides(read(env, 'PROVIDER_ORIGIN_OVERRIDES'));
  if (overrides.size) logger.warn({ overrides: Object.fromEntries(overrides) }, 'provider origins are overridden (PROVIDER_ORIGIN_OVERRIDES)');
  for (const definition of oauthConnectors) {
    const useSandbox =
      options.sandboxes &&
      env.NODE_ENV !== 'production' &&
      env.OAUTH_SANDBOX !== 'off' &&
      !clientCredentials(env as unknown as Record<string, unknown>, definition.id).clientId &&
      definition.oauth.sandbox;
    if (useSandbox && definition.oauth.sandbox) {
      const client = { clientId: `sandbox-${definition.id}`, clientSecret: `sandbox-secret-${definition.id}` };
      const server = await definition.oauth.sandbox({ ...client, redirectUri: `${env.APP_URL}/integrations/${definition.id}/callback` });
      running.push(server);
      logger.info({ connector: definition.id, url: server.oauthUrl }, 'sandbox provider started');
      configs.set(definition.id as ConnectorId, resolveOAuthConfig(definition, env, { client, server }));
    } else {
      configs.set(definition.id as ConnectorId, resolveOAuthConfig(definition, env));
    }
  }
  // API-key connectors (docs/decisions/019-api-key-mode.md): the same lifecycle, their own stand-in.
  for (const definition of apiKeyConnectors) {
    const useSandbox = options.sandboxes && env.NODE_ENV !== 'production' && env.OAUTH_SANDBOX !== 'off' && !overrides.size;
    const server = useSandbox ? await definition.apiKey.sandbox?.() : undefined;
    if (server) {
      running.push(server);
      logger.info({ connector: definition.id, url: server.apiUrl }, 'sandbox provider started');
    }
    configs.set(definition.id as ConnectorId, resolveApiKeyConfig(definition, env, server));
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
  return [...new Set([...configs.values()].filter((c) => c.configured).flatMap((c) => c.authorizeOrigins))];
}
