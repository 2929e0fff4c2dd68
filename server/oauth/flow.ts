/**
 * The one OAuth flow every connector uses. Provider specifics come from the definition's
 * `oauth` spec (endpoints, token format, identify and revoke hooks); nothing here names a
 * provider. What happens to the connection's state (the lock, the grant ledger, intents,
 * revocation jobs) lives in server/connections/; see docs/decisions/009-grant-ledger.md.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { SessionUser } from '../auth/sessions.js';
import { ConnectorGrant } from '../../db/entities/index.js';
import { GrantStorageError, markRevoking, receiveGrant, type GrantScope } from '../connections/grants.js';
import { deactivate, TokenUnreadableError } from '../connections/transitions.js';
import { getConnector, type ConnectorId } from '../connectors/registry.js';
import { defaultConnectionSettings, type ConnectionSettings } from '../connectors/settings.js';
import type { Logger } from '../logger.js';
import type { AppServices } from '../services.js';
import { forConnection, type OAuthClientConfig } from './config.js';
import { OAuthFlowError, providerFailure, requireConfigured } from './errors.js';
import { activateAccount, changeFailure, type Completion } from './activation.js';
import { offerChoice } from './choice.js';
import { installCredential, type InstallCallback } from './app-credentials.js';
import { authorizationUrl, exchangeCode, type TokenSet } from './engine.js';
import { identifyAccounts } from './identity.js';
import { consumeState, issueState } from './state.js';
import { beginOAuth1Authorization, exchangeOAuth1, splitPendingRequest, type OAuth1Callback } from '../oauth1/flow.js';

export { OAuthFlowError, requireConfigured, type FlowFailure } from './errors.js';

/**
 * Creates the state and returns the provider's consent URL (with its PKCE challenge).
 * `settings` are the connection's validated settings (parseConnectionSettings); they travel in
 * the state row so the callback exchanges the code at the same endpoints.
 */
export async function beginAuthorization(
  em: EntityManager,
  config: OAuthClientConfig,
  session: SessionUser,
  pkceSecret: string,
  settings: ConnectionSettings = {},
  /** OAuth 1.0a asks the provider for temporary credentials on Connect (with this deadline and log). */
  oauth1?: { timeoutMs: number; log: Logger },
): Promise<string> {
  requireConfigured(config);
  const connection = forConnection(config, settings);
  requireConfigured(connection);
  if (connection.oauth1) {
    const { timeoutMs, log } = oauth1 ?? { timeoutMs: 10_000, log: null };
    return beginOAuth1Authorization(em, connection, session, pkceSecret, settings, timeoutMs).catch((error: unknown) => {
      if (error instanceof OAuthFlowError || !log) throw error;
      throw providerFailure(error, log);
    });
  }
  const state = await issueState(
    em,
    { tenantId: session.tenantId, userId: session.userId, sessionId: session.sessionId, connector: config.connector },
    new Date(),
    Object.keys(settings).length ? settings : null,
  );
  return authorizationUrl(connection, state, pkceSecret);
}

interface Deps {
  services: AppServices;
  em: EntityManager;
  session: SessionUser;
  config: OAuthClientConfig;
  requestId: string;
}

export type { Completion } from './activation.js';

/** The callback as received: `params` are its parameters beyond code, state and iss (an installation's). */
export type CallbackInput = InstallCallback & {
  /** OAuth 1.0a (RFC 5849 §2.2): the request token and verifier the provider sent back. */
  oauth1?: OAuth1Callback | undefined;
};

/**
 * Callback half. Answers within CALLBACK_DEADLINE_MS: when the secret backend is slow the work
 * goes on after the answer, which then says so truthfully (`finishing`), and the page updates.
 */
export async function completeAuthorization(deps: Deps, input: CallbackInput): Promise<Completion> {
  const log = flowLog(deps);
  const work = completeNow(deps, input, log);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), deps.services.env.CALLBACK_DEADLINE_MS);
  });
  const result = await Promise.race([work, late]).finally(() => clearTimeout(timer));
  if (result !== 'late') return result;
  log.warn('the callback outlasted its deadline; finishing in the background');
  work.catch(() => {}); // completeNow logs its own failures
  return { account: null, finishing: true, choice: null };
}

/**
 * Consume the state, exchange the code (no lock held while the provider answers), record and
 * store the grant, learn the account, then make it the connection's grant under the lock.
 */
async function completeNow(deps: Deps, input: CallbackInput, log: Logger): Promise<Completion> {
  const { services, em, session } = deps;
  requireConfigured(deps.config);
  // An OAuth 1.0a attempt's sealed request token travels in the state row, apart from the settings.
  const { settings: started, sealed } = splitPendingRequest(
    await consumeState(em, input.state, {
      tenantId: session.tenantId,
      userId: session.userId,
      sessionId: session.sessionId,
      connector: deps.config.connector,
    }),
  );
  // The endpoints of the settings the attempt started with (an attempt begun before settings
  // existed gets the defaults, which are the endpoints it was begun at).
  const settings = started ?? defaultConnectionSettings(getConnector(deps.config.connector)) ?? {};
  const config = forConnection(deps.config, settings);
  requireConfigured(config);

  const tokens = await obtainTokens(config, input, services.env.SESSION_SECRET, services.env.OAUTH_HTTP_TIMEOUT_MS, sealed).catch((error: unknown) => {
    // An install hook's refusal (approval pending, an account the user cannot reach) is said as it is.
    if (error instanceof OAuthFlowError) {
      log.info({ reason: error.reason }, 'the callback was refused');
      throw error;
    }
    throw providerFailure(error, log);
  });
  // What the token answer told about the connection (Salesforce's instance) joins the settings:
  // identity is asked at the endpoints they select, and revocation uses them too.
  const connection = { ...settings, ...tokens.learned };
  const identifyAt = Object.keys(tokens.learned).length ? forConnection(deps.config, connection) : config;
  const scope: GrantScope = { tenantId: session.tenantId, connector: config.connector };
  // Recording the grant (database and secret backend) and learning the account (a provider
  // call) are independent: they overlap, and the grant is recorded whatever identify answers.
  const [received, identified] = await Promise.allSettled([
    receiveGrant(services, scope, tokens, log, Object.keys(connection).length ? connection : null),
    identifyAccounts(identifyAt, tokens.accessToken, services.env.OAUTH_HTTP_TIMEOUT_MS, tokens.refreshToken),
  ]);
  if (received.status === 'rejected') {
    throw received.reason instanceof GrantStorageError
      ? new OAuthFlowError('storage_failed', 'We could not store the connection securely. Nothing was changed; please try again.')
      : received.reason;
  }
  const grant = received.value;
  if (identified.status === 'rejected') {
    await abandon(services, grant.id, log);
    throw identified.reason instanceof OAuthFlowError ? identified.reason : providerFailure(identified.reason, log, 'identify_failed');
  }
  const accounts = identified.value;
  const details = { tokenType: tokens.tokenType, expiresAt: tokens.expiresAt, scopes: tokens.scopes };
  if (accounts.length > 1) {
    const choice = await offerChoice(services, session, scope, grant.id, accounts, details).catch(async (error: unknown) => {
      await abandon(services, grant.id, log);
      throw error;
    });
    log.info({ accounts: accounts.length }, 'the authorization reaches several accounts; waiting for the admin to pick one');
    return { account: null, finishing: false, choice };
  }
  const grantTokens = { id: grant.id, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
  return activateAccount(services, session, scope, grantTokens, details, accounts[0]!, log);
}

/**
 * The grant's tokens: the code exchanged for them, or, for an app installation (spec.install),
 * the credential the app mints once the hook has checked the callback.
 */
async function obtainTokens(config: OAuthClientConfig, input: CallbackInput, pkceSecret: string, timeoutMs: number, sealed: string | null): Promise<TokenSet> {
  requireConfigured(config);
  if (config.oauth1) return exchangeOAuth1(config, input.state, sealed, input.oauth1, pkceSecret, timeoutMs);
  if (config.spec.install) return installCredential(config, input, pkceSecret, timeoutMs);
  if (!input.code) throw new OAuthFlowError('token_rejected', 'The authorization code is missing. Please connect again.');
  return exchangeCode(config, { code: input.code, state: input.state, iss: input.iss }, pkceSecret, timeoutMs);
}

/**
 * Disconnect: recorded at once, revoked by a job (Disconnect never waits for the provider).
 * Refuses, changing nothing, when the stored token cannot be read: it could never be revoked.
 */
export async function disconnect(deps: Deps): Promise<{ finishing: boolean }> {
  const { services, session, config } = deps;
  const log = flowLog(deps);
  try {
    const { wasActive, keySynced } = await deactivate(
      services,
      { tenantId: session.tenantId, connector: config.connector },
      { userId: session.userId, email: session.email },
      log,
    );
    log.info({ wasActive, keySynced }, 'connector disconnected');
    return { finishing: !keySynced };
  } catch (error) {
    if (error instanceof TokenUnreadableError) {
      log.error({ err: error }, 'disconnect refused: the stored token cannot be read for revocation');
      throw new OAuthFlowError(
        'token_unreadable',
        'The stored token could not be read, so it could not be revoked. Nothing was changed. Check the secret backend and try again.',
      );
    }
    throw changeFailure(error);
  }
}

/** A grant we will not use (identity failed): queue its revocation. It never touched the connection. */
async function abandon(services: AppServices, grantId: string, log: Logger): Promise<void> {
  await services.orm.em
    .fork()
    .transactional(async (tx) => markRevoking(tx, await tx.findOneOrFail(ConnectorGrant, { id: grantId })))
    .catch((error: unknown) => {
      // Still pending: the reconciler queues it after PENDING_GRANT_TIMEOUT_SECONDS.
      log.error({ err: error }, 'queueing the revocation of an unused grant failed');
    });
}

function flowLog(deps: Deps): Logger {
  return deps.services.logger.child({
    requestId: deps.requestId,
    connector: deps.config.connector,
    tenantId: deps.session.tenantId,
  });
}

export type { ConnectorId };
