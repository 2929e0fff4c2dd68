/**
 * The one OAuth flow every connector uses. Provider specifics come from the definition's
 * `oauth` spec (endpoints, token format, identify and revoke hooks); nothing here names a
 * provider.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConnectorEvent, ConnectorInstallation } from '../../db/entities/index.js';
import type { SessionUser } from '../auth/sessions.js';
import type { ConnectorId, NonSensitiveKey, SensitiveKey } from '../connectors/registry.js';
import type { ExternalAccount, RevokeOutcome } from '../connectors/types.js';
import { findInstallation, flushInstallation } from '../installations/service.js';
import type { AppServices } from '../services.js';
import { SecretValue } from '../secrets/secret-value.js';
import type { OAuthClientConfig } from './config.js';
import { ProviderError } from './provider-error.js';
import { providerFetch, readJson } from './provider-http.js';
import { consumeState, issueState } from './state.js';

export type FlowFailure =
  | 'not_configured'
  | 'token_rejected'
  | 'provider_unavailable'
  | 'provider_malformed'
  | 'identify_failed'
  | 'storage_failed';

/** A step of the flow failed. The reason is safe to show; details went to the log. */
export class OAuthFlowError extends Error {
  override readonly name = 'OAuthFlowError';
  constructor(
    readonly reason: FlowFailure,
    message: string,
  ) {
    super(message);
  }
}

export function requireConfigured(config: OAuthClientConfig | undefined): asserts config is OAuthClientConfig & {
  clientId: string;
  clientSecret: SecretValue;
} {
  if (!config?.configured || !config.clientId || !config.clientSecret) {
    throw new OAuthFlowError(
      'not_configured',
      `This connector is not configured: set ${config?.missing.join(' and ') ?? 'its client id and secret'}.`,
    );
  }
}

/** Creates the state and returns the provider's consent URL. */
export async function beginAuthorization(
  em: EntityManager,
  config: OAuthClientConfig,
  session: SessionUser,
): Promise<string> {
  requireConfigured(config);
  const state = await issueState(em, {
    tenantId: session.tenantId,
    userId: session.userId,
    sessionId: session.sessionId,
    connector: config.connector,
  });
  const url = new URL(config.authorizeUrl);
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('state', state);
  url.searchParams.set('redirect_uri', config.redirectUri);
  for (const [name, value] of Object.entries(config.spec.authorizeParams ?? {})) url.searchParams.set(name, value);
  return url.toString();
}

interface Deps {
  services: AppServices;
  em: EntityManager;
  session: SessionUser;
  config: OAuthClientConfig;
  requestId: string;
}

/**
 * Callback half: consume the state, exchange the code, learn the workspace, then store the
 * token and record the installation. Either everything lands or nothing does: the token is
 * written first (the secret backend has no transactions), then the database changes commit in
 * one transaction; if that fails the token is put back as it was and the new grant revoked.
 */
export async function completeAuthorization(deps: Deps, input: { code: string; state: string }): Promise<ExternalAccount> {
  const { services, em, session, config, requestId } = deps;
  const { logger, secrets, env } = services;
  const log = logger.child({ requestId, connector: config.connector, tenantId: session.tenantId });
  requireConfigured(config);

  await consumeState(em, input.state, {
    tenantId: session.tenantId,
    userId: session.userId,
    sessionId: session.sessionId,
    connector: config.connector,
  });

  const { accessToken, tokenType } = await exchangeCode(config, input.code, env.OAUTH_HTTP_TIMEOUT_MS).catch(
    (error: unknown) => {
      throw providerFailure(error, log);
    },
  );

  const identifyFetch = providerFetch('identify', env.OAUTH_HTTP_TIMEOUT_MS);
  const account = await config.spec
    .identify({ apiUrl: config.apiUrl, accessToken, fetch: identifyFetch })
    .catch(async (error: unknown) => {
      await revokeQuietly(deps, accessToken, log);
      throw providerFailure(error, log, 'identify_failed');
    });

  const keys = config.spec.storage as { accessToken: SensitiveKey; tokenType: NonSensitiveKey };
  const existing = await findInstallation(em, session.tenantId, config.connector);
  // On reconnect the previous token is overwritten; keep it to restore if the rest fails.
  // Read inside the try: if it cannot be read, nothing is overwritten and the new grant is revoked.
  let previous: SecretValue | null = null;
  try {
    if (existing?.status === 'active') previous = await secrets.get(session.tenantId, keys.accessToken);
    await secrets.save(session.tenantId, keys.accessToken, accessToken);
  } catch (error) {
    log.error({ err: error }, 'storing the access token failed');
    await revokeQuietly(deps, accessToken, log);
    throw new OAuthFlowError('storage_failed', 'We could not store the connection securely. Nothing was changed; please try again.');
  }

  try {
    await em.transactional(async (tx) => {
      await secrets.save(session.tenantId, keys.tokenType, tokenType, { em: tx });
      const installation =
        (await tx.findOne(ConnectorInstallation, { tenant: session.tenantId, type: config.connector })) ??
        tx.create(ConnectorInstallation, { tenant: session.tenantId, type: config.connector, status: 'active' });
      const action = existing ? 'reconnected' : 'connected';
      tx.assign(installation, {
        status: 'active',
        externalAccountId: account.id,
        externalAccountName: account.name,
        installedBy: session.userId,
        disconnectedAt: null,
        disconnectedBy: null,
      });
      tx.create(ConnectorEvent, {
        tenant: session.tenantId,
        connector: config.connector,
        action,
        actor: session.userId,
        actorEmail: session.email,
        externalAccountName: account.name,
      });
      await flushInstallation(tx, config.connector);
    });
  } catch (error) {
    log.error({ err: error }, 'recording the installation failed; undoing the token write');
    try {
      if (previous) await secrets.save(session.tenantId, keys.accessToken, previous);
      else await secrets.delete(session.tenantId, [keys.accessToken]);
    } catch (undoError) {
      log.error({ err: undoError }, 'undoing the token write failed');
    }
    await revokeQuietly(deps, accessToken, log);
    throw new OAuthFlowError('storage_failed', 'We could not save the connection. Nothing was changed; please try again.');
  }

  // A reconnect replaced a live grant: revoke the old one so no unheld token stays valid.
  if (previous && !previous.equals(accessToken)) await revokeQuietly(deps, previous, log);
  log.info({ account: account.id, reconnect: Boolean(existing) }, 'connector connected');
  return account;
}

/**
 * Deletes both values and marks the row disconnected in one transaction that commits only
 * after the secret backend confirmed the delete, then revokes at the provider (best effort: a
 * failure is logged and does not block). Disconnecting twice is fine.
 */
export async function disconnect(deps: Deps): Promise<void> {
  const { services, em, session, config, requestId } = deps;
  const { logger, secrets } = services;
  const log = logger.child({ requestId, connector: config.connector, tenantId: session.tenantId });
  const keys = config.spec.storage as { accessToken: SensitiveKey; tokenType: NonSensitiveKey };

  const installation = await findInstallation(em, session.tenantId, config.connector);
  const token = await secrets.get(session.tenantId, keys.accessToken).catch((error: unknown) => {
    log.warn({ err: error }, 'reading the token for revocation failed; continuing');
    return null;
  });

  await em.transactional(async (tx) => {
    if (installation && installation.status === 'active') {
      const row = await tx.findOneOrFail(ConnectorInstallation, { id: installation.id });
      tx.assign(row, { status: 'disconnected', disconnectedAt: new Date(), disconnectedBy: session.userId });
      tx.create(ConnectorEvent, {
        tenant: session.tenantId,
        connector: config.connector,
        action: 'disconnected',
        actor: session.userId,
        actorEmail: session.email,
        externalAccountName: row.externalAccountName ?? null,
      });
      await tx.flush();
    }
    await secrets.delete(session.tenantId, [keys.tokenType], { em: tx });
    await secrets.delete(session.tenantId, [keys.accessToken]);
  });
  // Revoke only once the local state says disconnected: if the delete had failed, the stored
  // token would still be live and the page's "nothing was changed" would be true.
  if (token) await revokeQuietly(deps, token, log);
  log.info({ wasActive: installation?.status === 'active' }, 'connector disconnected');
}

async function exchangeCode(
  config: OAuthClientConfig & { clientId: string; clientSecret: SecretValue },
  code: string,
  timeoutMs: number,
): Promise<{ accessToken: SecretValue; tokenType: string }> {
  // The code goes out exactly as received: Intercom codes can end with `=`.
  const fields = { code, client_id: config.clientId, client_secret: config.clientSecret.reveal() };
  const form = config.spec.token.format === 'form';
  const response = await providerFetch('token', timeoutMs)(`${config.apiUrl}${config.spec.token.path}`, {
    method: 'POST',
    headers: {
      accept: 'application/json',
      'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json',
    },
    body: form ? new URLSearchParams(fields).toString() : JSON.stringify(fields),
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new ProviderError('token', response.status);
  }
  const body = await readJson('token', response);
  let parsed: { accessToken: string; tokenType: string };
  try {
    parsed = config.spec.token.parse(body);
  } catch {
    throw new ProviderError('token', response.status, 'malformed_response');
  }
  return { accessToken: new SecretValue(parsed.accessToken), tokenType: parsed.tokenType };
}

async function revokeQuietly(deps: Deps, token: SecretValue, log: AppServices['logger']): Promise<RevokeOutcome | null> {
  const { config, services } = deps;
  if (!config.spec.revoke) return null;
  try {
    const outcome = await config.spec.revoke({
      apiUrl: config.apiUrl,
      accessToken: token,
      fetch: providerFetch('revoke', services.env.OAUTH_HTTP_TIMEOUT_MS),
    });
    log.info({ outcome }, 'token revoked at the provider');
    return outcome;
  } catch (error) {
    log.warn({ err: error }, 'revoking the token at the provider failed; continuing');
    return null;
  }
}

/** Maps provider errors to a reason and a message for people; logs status only, never bodies. */
function providerFailure(error: unknown, log: AppServices['logger'], fallback: FlowFailure = 'token_rejected'): Error {
  if (!(error instanceof ProviderError)) {
    log.error({ err: error }, 'provider call failed');
    return new OAuthFlowError('provider_unavailable', 'The provider could not be reached. Please try again.');
  }
  log.warn({ step: error.step, status: error.status, failure: error.failure }, 'provider call failed');
  if (error.failure === 'timeout' || error.failure === 'network' || (error.status ?? 0) >= 500) {
    return new OAuthFlowError('provider_unavailable', 'The provider did not answer in time. Please try again.');
  }
  if (error.failure === 'malformed_response') {
    return new OAuthFlowError('provider_malformed', 'The provider sent an answer we could not read. Please try again.');
  }
  if (fallback === 'identify_failed') {
    return new OAuthFlowError('identify_failed', 'The provider did not let us read the workspace. Please try again.');
  }
  return new OAuthFlowError('token_rejected', 'The provider rejected the authorization. Please connect again.');
}


export type { ConnectorId };
