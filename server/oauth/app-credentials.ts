/**
 * Credentials an installed app mints itself (docs/decisions/017-github-app.md): the first one
 * when an installation's callback arrives (spec.install), and each next one before the last
 * expires (spec.renew), in place of a refresh-token grant.
 */
import { parseLearnedValues } from '../connectors/settings.js';
import type { MintedCredential, OAuthSpec } from '../connectors/types.js';
import { SecretValue } from '../secrets/secret-value.js';
import { appAuthentication } from './app-jwt.js';
import { asProviderError, exchangeCode, hookContext, type ConfiguredClient, type TokenSet } from './engine.js';
import { ProviderError, type ProviderStep } from './provider-error.js';

/** A minted credential (spec.install, spec.renew) as the token set the flow and the lifecycle store. */
function mintedTokenSet(spec: OAuthSpec<string>, minted: MintedCredential, step: ProviderStep): TokenSet {
  const learned = parseLearnedValues(spec.learned, 'token', minted.learned ?? {});
  if (!learned.success || !(minted.accessToken instanceof SecretValue) || !minted.accessToken.reveal()) {
    throw new ProviderError(step, 200, 'malformed_response');
  }
  return {
    learned: learned.values,
    accessToken: minted.accessToken,
    refreshToken: null,
    tokenType: minted.tokenType ?? 'Bearer',
    expiresAt: minted.expiresAt,
    scopes: minted.scopes ? [...minted.scopes] : null,
  };
}

const NO_TOKEN_YET = new SecretValue('none: the connection has no token yet');

/** The callback of an installation: its own parameters, and the code when the provider sent one. */
export interface InstallCallback {
  code?: string | undefined;
  state: string;
  iss?: string | undefined;
  params?: Readonly<Record<string, string>> | undefined;
}

/**
 * The connection's credential for a callback that names an installation (spec.install): the
 * hook checks it (with the user's token, exchanged here at most once, which the hook drops) and
 * the app mints the credential. A ProviderError or the hook's OAuthFlowError on refusal.
 */
export async function installCredential(config: ConfiguredClient, callback: InstallCallback, pkceSecret: string, timeoutMs: number): Promise<TokenSet> {
  const install = config.spec.install;
  const app = appAuthentication(config);
  if (!install || !app) throw new TypeError(`${config.connector} has no install hook or app credentials`);
  let exchanged: Promise<SecretValue> | null = null;
  const userToken = () => {
    if (!callback.code) return Promise.reject(new ProviderError('token', null, 'malformed_response'));
    const code = callback.code;
    // The user's token answer tells nothing about the connection: the spec's learned values come with the credential.
    const userClient = { ...config, spec: { ...config.spec, learned: undefined } };
    exchanged ??= exchangeCode(userClient, { code, state: callback.state, iss: callback.iss }, pkceSecret, timeoutMs).then((t) => t.accessToken);
    return exchanged;
  };
  // No connection token exists yet: the hook has the user's token on demand, and the app.
  const context = hookContext(config, 'token', NO_TOKEN_YET, timeoutMs, null, true);
  const minted = await install({ ...context, app, callback: callback.params ?? {}, userToken });
  return mintedTokenSet(config.spec, minted, 'token');
}

/** A fresh access token for a live connection from spec.renew (no refresh token involved). */
export async function renewCredential(config: ConfiguredClient, current: SecretValue | null, timeoutMs: number): Promise<TokenSet> {
  const renew = config.spec.renew;
  if (!renew) throw new TypeError(`${config.connector} has no renew hook`);
  try {
    return mintedTokenSet(config.spec, await renew(hookContext(config, 'token', current ?? NO_TOKEN_YET, timeoutMs, null, true)), 'token');
  } catch (error) {
    throw asProviderError(error, 'token');
  }
}

