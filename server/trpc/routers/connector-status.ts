/**
 * What a connector's `status` answers (and what `check` and `disconnect` answer after their work):
 * read from Postgres only, in one indexed query, with no call to the secret store or the provider.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { TRPCError } from '@trpc/server';
import { ConnectorInstallation } from '../../../db/entities/index.js';
import { getConnector, type ConnectorId } from '../../connectors/registry.js';
import type { OAuthSpec } from '../../connectors/types.js';
import { defaultConnectionSettings, learnedLabels } from '../../connectors/settings.js';
import type { OAuthClientConfig } from '../../oauth/config.js';
import { revokesAtProvider } from '../../oauth/revoke.js';
import type { Context } from '../context.js';
import type { ConnectorStatus } from '../schemas.js';

export function configOf(ctx: Pick<Context, 'services'>, connector: ConnectorId): OAuthClientConfig {
  const config = ctx.services.oauth.get(connector);
  if (!config) throw new TRPCError({ code: 'NOT_FOUND', message: `Connector ${connector} has no OAuth configuration.` });
  return config;
}

/** Where the access is removed at the provider (spec.removedAtProvider), with the learned address when it is https. */
function removedAtProvider(config: OAuthClientConfig, stored: Readonly<Record<string, string>> | null): ConnectorStatus['removedAtProvider'] {
  const note = config.spec.removedAtProvider;
  if (!note) return null;
  const url = note.urlFrom ? stored?.[note.urlFrom] : undefined;
  return { text: note.text, url: url && /^https:\/\/[^\s]+$/.test(url) ? url : null };
}

/** What reading a status needs: the services, the request's EntityManager, the tenant. */
type StatusContext = Pick<Context, 'services'> & { em: EntityManager; tenantId: string };

/** What the connector page shows, from Postgres only: one indexed query, no secret-store call. */
export async function readStatus(ctx: StatusContext, connector: ConnectorId): Promise<ConnectorStatus> {
  const config = configOf(ctx, connector);
  const installation = await ctx.em.findOne(
    ConnectorInstallation,
    { tenant: ctx.tenantId, type: connector },
    { populate: ['installedBy', 'disconnectedBy', 'grant'], strategy: 'joined' },
  );
  const active = installation?.status === 'active';
  const fields = Object.entries(getConnector(connector).settings?.fields ?? {});
  // The live grant's settings come with the same query (the values are also stored as
  // the fields' keys for whoever reads the connection's configuration).
  const stored = active ? (installation?.grant?.getEntity().settings ?? null) : null;
  const finishing = installation ? !installation.keySynced || installation.changeInProgress === true : false;
  const granted = active && installation?.scopes ? installation.scopes.split(' ').filter(Boolean) : null;
  // The live connection's settings decide (HubSpot's opt-out); without one, what Connect would make.
  const revocation: ConnectorStatus['revocation'] = !config.spec.revoke
    ? 'not_offered'
    : revokesAtProvider(config.spec, stored ?? defaultConnectionSettings(getConnector(connector)) ?? {})
      ? 'at_provider'
      : 'turned_off';
  return {
    connector,
    configured: config.configured,
    missingConfiguration: [...config.missing],
    sandbox: config.sandbox,
    connected: active,
    state: active ? 'connected' : installation ? 'disconnected' : config.configured ? 'not_connected' : 'not_configured',
    installationStatus: installation?.status ?? null,
    workspace: installation
      ? { id: installation.externalAccountId ?? null, name: installation.externalAccountName ?? null }
      : null,
    connectedBy: installation?.installedBy?.getEntity().email ?? null,
    connectedAt: installation ? installation.updatedAt.toISOString() : null,
    disconnectedBy: installation?.disconnectedBy?.getEntity().email ?? null,
    disconnectedAt: installation?.disconnectedAt?.toISOString() ?? null,
    finishing,
    health: active ? (installation?.health ?? 'healthy') : null,
    healthReason: active ? (installation?.healthReason ?? null) : null,
    expiresAt: active ? (installation?.expiresAt?.toISOString() ?? null) : null,
    scopes: granted,
    missingScopes: missingScopes(config.spec, granted),
    revocable: revocation === 'at_provider',
    revocation,
    removedAtProvider: removedAtProvider(config, stored),
    apiKey: apiKeyField(connector),
    learned: learnedLabels(getConnector(connector)).map(({ name, label }) => ({ name, label, value: stored?.[name] ?? null })),
    settings: fields.map(([name, f]) => ({
      name,
      label: f.label,
      help: f.help ?? null,
      options: f.options ? [...f.options] : null,
      required: !f.optional,
      value: stored?.[name] ?? null,
    })),
  };
}

/**
 * OpenID Connect's `offline_access` (Core §11) asks for a refresh token rather than access to
 * anything; some providers never list it among the granted scopes (Microsoft's identity
 * platform), and whether it was honoured shows in the refresh token itself.
 */
const NOT_ACCESS_SCOPES = new Set(['offline_access']);

/** What was asked for and not granted, in plain words; nothing when the provider does not say what it granted. */
export function missingScopes(spec: Pick<OAuthSpec<string>, 'scopes' | 'scopeLabels'>, granted: readonly string[] | null): ConnectorStatus['missingScopes'] {
  if (!granted) return [];
  return (spec.scopes ?? [])
    .filter((scope) => !granted.includes(scope) && !NOT_ACCESS_SCOPES.has(scope))
    .map((scope) => ({ scope, label: spec.scopeLabels?.[scope] ?? scope }));
}

/** The key field of an API-key connector (docs/decisions/019-api-key-mode.md), or null. */
export function apiKeyField(connector: ConnectorId): ConnectorStatus['apiKey'] {
  const field = getConnector(connector).apiKey?.field;
  return field ? { label: field.label, help: field.help ?? null, maxLength: field.maxLength } : null;
}

