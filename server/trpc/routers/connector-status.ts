/**
 * What a connector's `status` answers (and what `check` and `disconnect` answer after their work):
 * read from Postgres only, in one indexed query, with no call to the secret store or the provider.
 */
import { TRPCError } from '@trpc/server';
import { leanQuery, type LeanStatement } from '../../../db/lean.js';
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

/** What reading a status needs: the services and the tenant. */
type StatusContext = Pick<Context, 'services'> & { tenantId: string };

/** The installation with what the page shows beside it, as plain columns (db/lean.ts). */
const STATUS_ROW: LeanStatement = {
  name: 'connector_status',
  text: `select i.status, i.external_account_id, i.external_account_name, i.updated_at, i.disconnected_at, i.key_synced,
                i.health, i.health_reason, i.expires_at, i.scopes, g.settings,
                ib.email as installed_by, db.email as disconnected_by,
                exists (select 1 from connection_intents ci where ci.tenant_id = i.tenant_id and ci.connector = i.type) as change_in_progress
           from connector_installations i
           left join connector_grants g on g.id = i.grant_id
           left join users ib on ib.id = i.installed_by_id
           left join users db on db.id = i.disconnected_by_id
          where i.tenant_id = $1 and i.type = $2`,
};

interface StatusRow {
  status: 'active' | 'disconnected';
  external_account_id: string | null;
  external_account_name: string | null;
  updated_at: Date;
  disconnected_at: Date | null;
  key_synced: boolean;
  health: ConnectorStatus['health'];
  health_reason: string | null;
  expires_at: Date | null;
  scopes: string | null;
  settings: Record<string, string> | null;
  installed_by: string | null;
  disconnected_by: string | null;
  change_in_progress: boolean;
}

/** What the connector page shows, from Postgres only: one indexed query, no secret-store call. */
export async function readStatus(ctx: StatusContext, connector: ConnectorId): Promise<ConnectorStatus> {
  const config = configOf(ctx, connector);
  const [row] = await leanQuery<StatusRow>(ctx.services.orm, STATUS_ROW, [ctx.tenantId, connector]);
  const active = row?.status === 'active';
  const fields = Object.entries(getConnector(connector).settings?.fields ?? {});
  // The live grant's settings come with the same query (the values are also stored as
  // the fields' keys for whoever reads the connection's configuration).
  const stored = active ? (row?.settings ?? null) : null;
  const finishing = row ? !row.key_synced || row.change_in_progress : false;
  const granted = active && row?.scopes ? row.scopes.split(' ').filter(Boolean) : null;
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
    state: active ? 'connected' : row ? 'disconnected' : config.configured ? 'not_connected' : 'not_configured',
    installationStatus: row?.status ?? null,
    workspace: row ? { id: row.external_account_id, name: row.external_account_name } : null,
    connectedBy: row?.installed_by ?? null,
    connectedAt: row ? row.updated_at.toISOString() : null,
    disconnectedBy: row?.disconnected_by ?? null,
    disconnectedAt: row?.disconnected_at?.toISOString() ?? null,
    finishing,
    health: active ? row.health : null,
    healthReason: active ? row.health_reason : null,
    expiresAt: active ? (row.expires_at?.toISOString() ?? null) : null,
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

