/**
 * The Intercom sandbox as the Intercom suites use it: the generic loopback sandbox playing the
 * Intercom profile, with its issued tokens listed as `{ token, revoked }` (Intercom issues access
 * tokens only, one per grant, so kind and grant add nothing there).
 */
import { intercomSandboxProfile, type IntercomSandboxOptions } from '../../server/connectors/intercom/sandbox-profile.js';
import { startOAuthSandbox, type OAuthSandbox, type SandboxClient, type SandboxOptions } from '../../server/sandbox/oauth-sandbox.js';
import type { IssuedGrant } from './integrity.js';

export type IntercomSandbox = Omit<OAuthSandbox, 'tokens'> & { tokens(): IssuedGrant[] };

export async function startIntercomSandbox(
  client: SandboxClient,
  profile: IntercomSandboxOptions = {},
  options: SandboxOptions = {},
): Promise<IntercomSandbox> {
  const sandbox = await startOAuthSandbox(intercomSandboxProfile(profile), client, options);
  return { ...sandbox, tokens: () => sandbox.tokens().map(({ token, revoked }) => ({ token, revoked })) };
}
