/**
 * The last step of connecting, shared by the callback and by a choice after consent: the
 * received grant becomes the connection's grant for one account, under the connection lock.
 */
import type { SessionUser } from '../auth/sessions.js';
import type { GrantScope } from '../connections/grants.js';
import { activateGrant, ConnectionChangeError, GrantNotPendingError } from '../connections/transitions.js';
import type { ExternalAccount } from '../connectors/types.js';
import type { Logger } from '../logger.js';
import type { SecretValue } from '../secrets/secret-value.js';
import type { AppServices } from '../services.js';
import { OAuthFlowError } from './errors.js';

/** What the token answer said about the grant (not secret). */
export interface TokenDetails {
  tokenType: string;
  expiresAt: Date | null;
  scopes: string[] | null;
}

export interface Completion {
  /** Null when the answer came before the work finished, or when the admin must pick an account. */
  account: ExternalAccount | null;
  /** True when the connection is recorded but its last step finishes in the background. */
  finishing: boolean;
  /** The pending choice the admin must make before the connection exists (several accounts). */
  choice: string | null;
}

export async function activateAccount(
  services: AppServices,
  session: SessionUser,
  scope: GrantScope,
  grant: { id: string; accessToken: SecretValue; refreshToken: SecretValue | null },
  details: TokenDetails,
  account: ExternalAccount,
  log: Logger,
): Promise<Completion> {
  try {
    const { reconnect, keySynced } = await activateGrant(
      services,
      scope,
      {
        grantId: grant.id,
        token: grant.accessToken,
        refreshToken: grant.refreshToken,
        ...details,
        account,
        actor: { userId: session.userId, email: session.email },
      },
      log,
    );
    log.info({ account: account.id, reconnect, keySynced }, 'connector connected');
    return { account, finishing: !keySynced, choice: null };
  } catch (error) {
    throw changeFailure(error);
  }
}

export function changeFailure(error: unknown): unknown {
  if (error instanceof GrantNotPendingError) {
    return new OAuthFlowError('attempt_expired', 'This connection attempt was given up before it finished. Please connect again.');
  }
  if (!(error instanceof ConnectionChangeError)) return error;
  return error.restored
    ? new OAuthFlowError('storage_failed', 'We could not save the change. Nothing was changed; please try again.')
    : new OAuthFlowError(
        'storage_incomplete',
        'We could not save the change. We are restoring the previous state in the background; this page will update.',
      );
}
