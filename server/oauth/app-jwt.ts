/**
 * An installed app's authentication as itself (docs/decisions/017-github-app.md): what hooks get
 * as `ctx.app` when the spec declares `appCredentials`.
 */
import githubAppJwt from 'universal-github-app-jwt';
import type { AppAuthentication } from '../connectors/types.js';
import { SecretValue } from '../secrets/secret-value.js';
import type { OAuthClientConfig } from './config.js';

/**
 * The app authenticating as itself (spec.appCredentials): a JWT signed RS256 with its private key
 * by universal-github-app-jwt (iat 30 s back for clock drift, exp 10 minutes after that), its
 * issuer the app id when configured, else the client id. Null without the app's key.
 */
export function appAuthentication(config: OAuthClientConfig): AppAuthentication | null {
  const { app, clientId, clientSecret } = config;
  if (!app || !clientId || !clientSecret) return null;
  return {
    clientId,
    clientSecret,
    jwt: async () => {
      // A numeric app id is an integer claim, as GitHub shows it; a client id is a string.
      const id = app.appId ? Number(app.appId) : clientId;
      const { token } = await githubAppJwt<number | string>({ id, privateKey: app.privateKey.reveal() });
      return new SecretValue(token);
    },
  };
}

