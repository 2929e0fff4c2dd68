import type { Logger } from '../logger.js';
import type { SecretValue } from '../secrets/secret-value.js';
import type { OAuthClientConfig } from './config.js';
import { ProviderError } from './provider-error.js';

export type FlowFailure =
  | 'not_configured'
  | 'token_rejected'
  | 'provider_unavailable'
  | 'provider_malformed'
  | 'identify_failed'
  | 'storage_failed'
  | 'storage_incomplete'
  | 'token_unreadable'
  | 'attempt_expired'
  /** The provider waits for someone else to approve (an organization owner): nothing to connect yet. */
  | 'approval_pending'
  /** The account the callback names is not one the approving user can reach: refused, nothing stored. */
  | 'account_not_verified';

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

/** Maps provider errors to a reason and a message for people; logs status only, never bodies. */
export function providerFailure(error: unknown, log: Logger, fallback: FlowFailure = 'token_rejected'): Error {
  if (!(error instanceof ProviderError)) {
    log.error({ err: error }, 'provider call failed');
    return new OAuthFlowError('provider_unavailable', 'The provider could not be reached. Please try again.');
  }
  // The provider's error code (`invalid_grant`, Slack's `invalid_code`) is a checked plain code, never its text.
  log.warn({ step: error.step, status: error.status, failure: error.failure, providerError: error.oauthError }, 'provider call failed');
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
