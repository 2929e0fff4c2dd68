/**
 * Connecting with an API key (docs/decisions/019-api-key-mode.md): the key is checked with the
 * definition's one call before anything is stored; then it is received into the grant ledger
 * and activated exactly like a token from an OAuth callback (server/oauth/activation.ts), so
 * replacing it (reconnect), disconnecting, health and the token API need nothing of their own.
 */
import { z } from 'zod';
import type { SessionUser } from '../auth/sessions.js';
import { GrantStorageError, receiveGrant } from '../connections/grants.js';
import { getConnector, type ConnectorId } from '../connectors/registry.js';
import { parseConnectionSettings } from '../connectors/settings.js';
import type { ExternalAccount } from '../connectors/types.js';
import type { Logger } from '../logger.js';
import { activateAccount, type Completion } from '../oauth/activation.js';
import { forConnection } from '../oauth/config.js';
import { OAuthFlowError } from '../oauth/errors.js';
import { identifyAccounts } from '../oauth/identity.js';
import { ProviderError } from '../oauth/provider-error.js';
import { SecretValue } from '../secrets/secret-value.js';
import type { AppServices } from '../services.js';

/** The form's input was refused: field errors by field name (`apiKey`, and the settings' names). */
export class ApiKeyInputError extends Error {
  override readonly name = 'ApiKeyInputError';
  constructor(readonly zodError: z.ZodError) {
    super('Invalid input');
  }
}

export interface ApiKeyConnectInput {
  readonly apiKey: string;
  readonly settings?: Readonly<Record<string, string>> | undefined;
}

function fieldError(path: string, message: string): ApiKeyInputError {
  return new ApiKeyInputError(new z.ZodError([{ code: 'custom', path: [path], message, input: undefined }]));
}

/** What a refused check means for a person: the provider's name, never its answer. */
function checkFailure(name: string, error: unknown, log: Logger): OAuthFlowError {
  if (error instanceof ProviderError) {
    log.warn({ step: error.step, status: error.status, failure: error.failure }, 'checking the API key failed');
    const status = error.status ?? 0;
    if (error.failure === 'http_status' && status >= 400 && status < 500 && status !== 408 && status !== 429) {
      return new OAuthFlowError(
        'token_rejected',
        `${name} did not accept this API key for this space. Check the key and the space id (the key’s owner needs Admin or Builder rights there). Nothing was saved.`,
      );
    }
  } else if (!(error instanceof OAuthFlowError)) {
    log.error({ err: error }, 'checking the API key failed');
  }
  return new OAuthFlowError('provider_unavailable', `${name} could not be reached, so the key was not checked. Nothing was saved; please try again.`);
}

export async function connectWithApiKey(
  services: AppServices,
  session: SessionUser,
  connector: ConnectorId,
  input: ApiKeyConnectInput,
  log: Logger,
): Promise<Completion> {
  const definition = getConnector(connector);
  const spec = definition.apiKey;
  const base = services.oauth.get(connector);
  if (!spec || !base) throw new OAuthFlowError('not_configured', `${definition.name} does not connect with an API key.`);
  const key = input.apiKey.trim();
  if (key.length > spec.field.maxLength) throw fieldError('apiKey', `The ${spec.field.label} is too long.`);
  const parsed = parseConnectionSettings(definition, input.settings ?? {});
  if (!parsed.success) throw new ApiKeyInputError(parsed.error);

  const apiKey = new SecretValue(key);
  const config = forConnection(base, parsed.settings);
  // One call before anything is stored: a refused key leaves no grant, no row, no event.
  let account: ExternalAccount;
  try {
    const [first] = await identifyAccounts(config, apiKey, services.env.OAUTH_HTTP_TIMEOUT_MS);
    if (!first) throw new ProviderError('identify', 200, 'malformed_response');
    account = first;
  } catch (error) {
    throw checkFailure(definition.name, error, log);
  }

  const scope = { tenantId: session.tenantId, connector };
  let grant;
  try {
    grant = await receiveGrant(services, scope, { accessToken: apiKey, refreshToken: null }, log, parsed.settings);
  } catch (error) {
    if (error instanceof GrantStorageError) {
      throw new OAuthFlowError('storage_failed', 'We could not save the key. Nothing was changed; please try again.');
    }
    throw error;
  }
  return activateAccount(
    services,
    session,
    scope,
    { id: grant.id, accessToken: apiKey, refreshToken: null },
    { tokenType: spec.tokenType, expiresAt: null, scopes: null },
    account,
    log,
  );
}
