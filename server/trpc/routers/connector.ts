/**
 * Produces the tRPC router for one OAuth connector from its definition: `connect`,
 * `exchange`, `status`, `check`, `events`, `disconnect`. Every connector gets the same procedures.
 */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { ConnectorEvent, ConnectorInstallation } from '../../../db/entities/index.js';
import { ApiKeyInputError, connectWithApiKey } from '../../apikey/connect.js';
import { ConnectionBusyError } from '../../connections/lock.js';
import { getConnector, type ConnectorId } from '../../connectors/registry.js';
import { parseConnectionSettings } from '../../connectors/settings.js';
import { AccountChoiceError, cancelChoice, completeChoice, findChoice } from '../../oauth/choice.js';
import { beginAuthorization, completeAuthorization, disconnect, OAuthFlowError, type FlowFailure } from '../../oauth/flow.js';
import { OAuthStateError } from '../../oauth/state.js';
import { UnknownConnectorTypeError } from '../../installations/service.js';
import { NotConnectedError, refreshConnection } from '../../tokens/refresh.js';
import { verifyConnection } from '../../tokens/verify.js';
import { adminProcedure, protectedProcedure, router } from '../init.js';
import { configOf, readStatus } from './connector-status.js';
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
} from '../schemas.js';

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
