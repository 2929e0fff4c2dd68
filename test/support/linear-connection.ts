/**
 * A tenant connected to Linear through the real procedures, against a generic sandbox the test
 * starts (so it can give tokens a short life): for token lifecycle tests.
 */
import { randomBytes } from 'node:crypto';
import { linear } from '../../server/connectors/linear/definition.js';
import { linearSandboxProfile } from '../../server/connectors/linear/sandbox-profile.js';
import type { ConnectorDefinition, OAuthSpec } from '../../server/connectors/types.js';
import type { Logger } from '../../server/logger.js';
import { resolveOAuthConfig } from '../../server/oauth/config.js';
import type { SecretBackend } from '../../server/secrets/backend.js';
import { startOAuthSandbox, type OAuthSandbox } from '../../server/sandbox/oauth-sandbox.js';
import type { SandboxProfile } from '../../server/sandbox/profile.js';
import type { AppServices } from '../../server/services.js';
import { testServices, type TestDatabase } from './database.js';
import { approveOnConsentPage } from './app-client.js';
import { callerFor, signedInUser } from './factories.js';

export const LINEAR_CLIENT = { clientId: 'plugboard-linear-life', clientSecret: `linear-life-secret-${randomBytes(12).toString('hex')}` };

export function startLinearSandbox(overrides: Partial<SandboxProfile> = {}): Promise<OAuthSandbox> {
  return startOAuthSandbox({ ...linearSandboxProfile, ...overrides }, LINEAR_CLIENT);
}

/** Services whose Linear client is `sandbox`, resolved as `npm start` resolves it. */
export function servicesWithLinear(
  db: Pick<TestDatabase, 'orm'>,
  logger: Logger,
  sandbox: OAuthSandbox,
  env: Record<string, string> = {},
  backend?: SecretBackend,
): AppServices {
  const base = testServices(db.orm, logger, { OAUTH_HTTP_TIMEOUT_MS: '5000', ...env }, backend);
  const oauth = new Map(base.oauth);
  oauth.set('linear', resolveOAuthConfig(linear as ConnectorDefinition & { oauth: OAuthSpec<string> }, base.env, { client: LINEAR_CLIENT, server: sandbox }));
  return { ...base, oauth };
}

/** Signs an admin in to a new tenant and connects Linear (consent approved at the sandbox). */
export async function connectLinear(services: AppServices, tenantSlug?: string) {
  const { session } = await signedInUser(services, 'admin', tenantSlug);
  const caller = callerFor(services, session);
  await caller.linear.exchange(await approveOnConsentPage((await caller.linear.connect()).authorizeUrl));
  return { session, caller, scope: { tenantId: session.tenantId, connector: 'linear' as const } };
}

/**
 * Brings the stored expiry of a connection's token to the past, as if its lifetime had run out:
 * for tests that need many requests right after expiry without a provider lifetime so short
 * that the refreshed token is due again before a loaded machine has answered them all.
 */
export async function expireStoredToken(db: Pick<TestDatabase, 'sql'>, tenantId: string, connector = 'linear'): Promise<void> {
  await db.sql("update connector_installations set expires_at = now() - interval '1 second' where tenant_id = $1 and type = $2", [tenantId, connector]);
}
