/**
 * Produces the tRPC router for one OAuth connector from its definition: `connect`,
 * `exchange`, `status`, `check`, `events`, `disconnect`. Every connector gets the same procedures.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { ConnectorEvent, ConnectorInstallation } from '../../../db/entities/index.js';
import { ApiKeyInputError, connectWithApiKey } from '../../apikey/connect.js';
import { ConnectionBusyError } from '../../connections/lock.js';
import { getConnector, type ConnectorId } from '../../connectors/registry.js';
import type { OAuthSpec } from '../../connectors/types.js';
import { defaultConnectionSettings, learnedLabels, parseConnectionSettings } from '../../connectors/settings.js';
import { AccountChoiceError, cancelChoice, completeChoice, findChoice } from '../../oauth/choice.js';
import type { OAuthClientConfig } from '../../oauth/config.js';
import { beginAuthorization, completeAuthorization, disconnect, OAuthFlowError, type FlowFailure } from '../../oauth/flow.js';
import { revokesAtProvider } from '../../oauth/revoke.js';
import { OAuthStateError } from '../../oauth/state.js';
import { UnknownConnectorTypeError } from '../../installations/service.js';
import { NotConnectedError, refreshConnection } from '../../tokens/refresh.js';
import { verifyConnection } from '../../tokens/verify.js';
import type { Context } from '../context.js';
import { adminProcedure, protectedProcedure, router } from '../init.js';
import {
  accountChoiceOutput,
  apiKeyConnectInput,
  chooseInput,
  choiceInput,
  connectorEventOutput,
  connectInput,
  connectorStatusOutput,
  flowResult,
  oauthCallbackInput,
  type ConnectorStatus,
} from '../schemas.js';

function configOf(ctx: Pick<Context, 'services'>, connector: ConnectorId): OAuthClientConfig {
  const config = ctx.services.oauth.get(connector);
  if (!config) throw new TRPCError({ code: 'NOT_FOUND', message: `Connector ${connector} has no OAuth configuration.` });
  return config;
}

/** Flow errors carry a reason for the UI and a message that is safe to show. */
const FLOW_ERROR_CODES: Record<FlowFailure, TRPCError['code']> = {
  not_configured: 'PRECONDITION_FAILED',
  token_rejected: 'BAD_REQUEST',
  provider_unavailable: 'BAD_GATEWAY',
  provider_malformed: 'BAD_GATEWAY',
  identify_failed: 'BAD_GATEWAY',
  storage_failed: 'INTERNAL_SERVER_ERROR',
  storage_incomplete: 'INTERNAL_SERVER_ERROR',
  token_unreadable: 'PRECONDITION_FAILED',
  attempt_expired: 'CONFLICT',
  approval_pending: 'PRECONDITION_FAILED',
  account_not_verified: 'FORBIDDEN',
};

function toTRPCError(error: unknown, name = 'This connector'): unknown {
  if (error instanceof NotConnectedError) {
    return new TRPCError({
      code: 'PRECONDITION_FAILED',
      message: `${name} is not connected, so there is nothing to check. Connect it first.`,
      cause: error,
    });
  }
  if (error instanceof ConnectionBusyError) return new TRPCError({ code: 'CONFLICT', message: error.message, cause: error });
  if (error instanceof OAuthStateError) return new TRPCError({ code: 'BAD_REQUEST', message: error.message, cause: error });
  if (error instanceof AccountChoiceError) {
    return new TRPCError({ code: error.reason === 'choice_unknown' ? 'NOT_FOUND' : 'BAD_REQUEST', message: error.message, cause: error });
  }
  if (error instanceof OAuthFlowError) {
    return new TRPCError({ code: FLOW_ERROR_CODES[error.reason], message: error.message, cause: error });
  }
  if (error instanceof UnknownConnectorTypeError) {
    return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: error.message, cause: error });
  }
  return error;
}

/** The callback for the flow: an installation's own parameters apart from code, state and iss. */
function callbackOf({ installation_id, setup_action, oauth_token, oauth_verifier, ...oauth }: z.infer<typeof oauthCallbackInput>) {
  const params = { ...(installation_id ? { installation_id } : {}), ...(setup_action ? { setup_action } : {}) };
  // OAuth 1.0a: the request token and verifier (RFC 5849 §2.2).
  const oauth1 = oauth_token && oauth_verifier ? { token: oauth_token, verifier: oauth_verifier } : undefined;
  return { ...oauth, params, oauth1 };
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
async function readStatus(ctx: StatusContext, connector: ConnectorId): Promise<ConnectorStatus> {
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
function apiKeyField(connector: ConnectorId): ConnectorStatus['apiKey'] {
  const field = getConnector(connector).apiKey?.field;
  return field ? { label: field.label, help: field.help ?? null, maxLength: field.maxLength } : null;
}

export function connectorRouter(connector: ConnectorId) {
  return router({
    /**
     * Starts the OAuth flow: returns the provider's consent URL (the state is stored). The
     * connection settings are validated by the definition's schema: a refusal is BAD_REQUEST
     * with `fieldErrors` by setting name.
     */
    connect: adminProcedure
      .input(connectInput)
      .output(z.object({ authorizeUrl: z.url() }))
      .mutation(async ({ ctx, input }) => {
        if (getConnector(connector).apiKey) throw new TRPCError({ code: 'BAD_REQUEST', message: 'This connector connects with an API key.' });
        const parsed = parseConnectionSettings(getConnector(connector), input?.settings);
        if (!parsed.success) throw new TRPCError({ code: 'BAD_REQUEST', message: 'Invalid connection settings', cause: parsed.error });
        try {
          const config = configOf(ctx, connector);
          // OAuth 1.0a asks the provider for temporary credentials here: its deadline and log.
          const oauth1 = { timeoutMs: ctx.services.env.OAUTH_HTTP_TIMEOUT_MS, log: ctx.services.logger.child({ requestId: ctx.requestId, connector, tenantId: ctx.tenantId }) };
          return { authorizeUrl: await beginAuthorization(ctx.em, config, ctx.session, ctx.services.env.SESSION_SECRET, parsed.settings, oauth1) };
        } catch (error) {
          throw toTRPCError(error);
        }
      }),

    /**
     * API-key connectors: checks the key with one provider call, then stores it as the
     * connection's grant (a reconnect replaces the key). Field errors by field name.
     */
    connectWithKey: adminProcedure
      .input(apiKeyConnectInput)
      .output(flowResult)
      .mutation(async ({ ctx, input }) => {
        const log = ctx.services.logger.child({ requestId: ctx.requestId, connector, tenantId: ctx.tenantId });
        try {
          const { finishing } = await connectWithApiKey(ctx.services, ctx.session, connector, input, log);
          return { success: true as const, redirectTo: null, finishing };
        } catch (error) {
          if (error instanceof ApiKeyInputError) throw new TRPCError({ code: 'BAD_REQUEST', message: 'Invalid input', cause: error.zodError });
          throw toTRPCError(error);
        }
      }),

    /** The callback: consume the state, exchange the code, store the token, record the install. */
    exchange: adminProcedure
      .input(oauthCallbackInput)
      .output(flowResult)
      .mutation(async ({ ctx, input }) => {
        try {
          const { finishing, choice } = await completeAuthorization(
            { services: ctx.services, em: ctx.em, session: ctx.session, config: configOf(ctx, connector), requestId: ctx.requestId },
            callbackOf(input),
          );
          // Several accounts: the admin picks one on the choice page before anything is connected.
          return { success: true as const, redirectTo: choice ? `/integrations/${connector}/choose/${choice}` : null, finishing };
        } catch (error) {
          throw toTRPCError(error);
        }
      }),

    /** A pending choice after consent: the accounts to pick from, for the admin who connected. */
    choice: adminProcedure
      .input(choiceInput)
      .output(accountChoiceOutput)
      .query(async ({ ctx, input }) => {
        const found = await findChoice(ctx.em, ctx.session, connector, input.id);
        if (!found) throw new TRPCError({ code: 'NOT_FOUND', message: new AccountChoiceError('choice_unknown').message });
        return {
          accounts: found.accounts.map((a) => ({ id: a.id, name: a.name, approvedBy: a.approvedBy ?? null })),
          expiresAt: found.expiresAt.toISOString(),
        };
      }),

    /** The admin picked an account: the connection is made for it. */
    choose: adminProcedure
      .input(chooseInput)
      .output(flowResult)
      .mutation(async ({ ctx, input }) => {
        try {
          const log = ctx.services.logger.child({ requestId: ctx.requestId, connector, tenantId: ctx.tenantId });
          const { finishing } = await completeChoice(ctx.services, ctx.session, connector, input.id, input.account, log);
          return { success: true as const, redirectTo: null, finishing };
        } catch (error) {
          throw toTRPCError(error);
        }
      }),

    /** The admin declined to pick: nothing is connected and the authorization is revoked. */
    cancelChoice: adminProcedure
      .input(choiceInput)
      .output(flowResult)
      .mutation(async ({ ctx, input }) => {
        try {
          const log = ctx.services.logger.child({ requestId: ctx.requestId, connector, tenantId: ctx.tenantId });
          await cancelChoice(ctx.services, ctx.session, connector, input.id, log);
          return { success: true as const, redirectTo: null, finishing: false };
        } catch (error) {
          throw toTRPCError(error);
        }
      }),

    /** From Postgres only: one indexed query, no secret-store call. */
    status: protectedProcedure
      .input(z.void())
      .output(connectorStatusOutput)
      .query(({ ctx }) => readStatus(ctx, connector)),

    /**
     * Checks the live connection now (the page's "Check connection"): a token that expires is
     * refreshed, which proves the grant still works; one that does not (or that has no refresh
     * token to refresh with) is checked with an identity call, which refreshes when the provider
     * rejects it. The outcome is recorded as the connection's health, and the new status returned.
     */
    check: adminProcedure
      .input(z.void())
      .output(connectorStatusOutput)
      .mutation(async ({ ctx }) => {
        const scope = { tenantId: ctx.tenantId, connector };
        const log = ctx.services.logger.child({ requestId: ctx.requestId, connector, tenantId: ctx.tenantId });
        try {
          const installation = await ctx.em.findOne(ConnectorInstallation, { tenant: ctx.tenantId, type: connector, status: 'active' });
          if (!installation) throw new NotConnectedError();
          const outcome = installation.expiresAt ? await refreshConnection(ctx.services, scope, log, { force: true }) : null;
          if (!outcome || outcome.skipped === 'no_refresh_token') await verifyConnection(ctx.services, scope, log);
        } catch (error) {
          throw toTRPCError(error, getConnector(connector).name);
        }
        // What the check recorded was committed by its own transactions: read it afresh.
        ctx.em.clear();
        return readStatus(ctx, connector);
      }),

    /** Recent connect and disconnect events of this tenant, newest first. */
    events: protectedProcedure
      .input(z.object({ limit: z.number().int().min(1).max(50).default(10) }).default({ limit: 10 }))
      .output(z.array(connectorEventOutput))
      .query(async ({ ctx, input }) => {
        const events = await ctx.em.find(
          ConnectorEvent,
          { tenant: ctx.tenantId, connector },
          { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: input.limit },
        );
        return events.map((e) => ({
          id: e.id,
          action: e.action,
          actorEmail: e.actorEmail,
          workspaceName: e.externalAccountName ?? null,
          detail: e.detail ?? null,
          at: e.createdAt.toISOString(),
        }));
      }),

    /** Revoke (best effort), delete the token and token type, mark the row disconnected. */
    disconnect: adminProcedure
      .input(z.void())
      .output(flowResult)
      .mutation(async ({ ctx }) => {
        try {
          const { finishing } = await disconnect({
            services: ctx.services,
            em: ctx.em,
            session: ctx.session,
            config: configOf(ctx, connector),
            requestId: ctx.requestId,
          });
          return { success: true as const, redirectTo: null, finishing };
        } catch (error) {
          if (error instanceof OAuthFlowError) throw toTRPCError(error);
          ctx.services.logger.error({ requestId: ctx.requestId, connector, err: error }, 'disconnect failed');
          throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Disconnecting failed; nothing was changed. Please try again.' });
        }
      }),
  });
}

export type ConnectorRouter = ReturnType<typeof connectorRouter>;
