/**
 * Which account or workspace a new token belongs to: the definition's `identify` hook, its
 * answer checked here (bounded ids and names, learned values validated by their schemas) so a
 * provider cannot put anything unchecked into the connection or onto a page.
 */
import { parseLearnedValues } from '../connectors/settings.js';
import type { ExternalAccount } from '../connectors/types.js';
import type { SecretValue } from '../secrets/secret-value.js';
import type { OAuthClientConfig } from './config.js';
import { hookContext } from './engine.js';
import { OAuthFlowError } from './errors.js';
import { ProviderError } from './provider-error.js';

/** More accounts than this is not a choice a page can offer: the answer is refused. */
export const MAX_ACCOUNTS = 50;
const MAX_TEXT = 255;

/** The accounts the token reaches, each validated; one means no choice is needed. */
export async function identifyAccounts(
  config: OAuthClientConfig,
  accessToken: SecretValue,
  timeoutMs: number,
  /** OAuth 1.0a: the token secret the identity call is signed with (ignored otherwise). */
  tokenSecret: SecretValue | null = null,
): Promise<ExternalAccount[]> {
  const answer = await config.spec.identify(hookContext(config, 'identify', accessToken, timeoutMs, config.oauth1 ? tokenSecret : null));
  const accounts = (Array.isArray(answer) ? answer : [answer]) as readonly ExternalAccount[];
  if (accounts.length === 0) {
    throw new OAuthFlowError(
      'identify_failed',
      'The provider reported no account or site this authorization reaches. Check your access there, then connect again.',
    );
  }
  if (accounts.length > MAX_ACCOUNTS) throw new ProviderError('identify', 200, 'malformed_response');
  const seen = new Set<string>();
  return accounts.map((account) => {
    if (typeof account.id !== 'string' || account.id.length === 0 || account.id.length > MAX_TEXT || seen.has(account.id)) {
      throw new ProviderError('identify', 200, 'malformed_response');
    }
    seen.add(account.id);
    const learned = parseLearnedValues(config.spec.learned, 'identity', account.settings ?? {});
    if (!learned.success) throw new ProviderError('identify', 200, 'malformed_response');
    const name = typeof account.name === 'string' && account.name.trim() ? account.name.trim().slice(0, MAX_TEXT) : account.id;
    const approvedBy = typeof account.approvedBy === 'string' ? account.approvedBy.slice(0, MAX_TEXT) : undefined;
    return { id: account.id, name, approvedBy, settings: learned.values };
  });
}
