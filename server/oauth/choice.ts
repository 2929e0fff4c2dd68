/**
 * A choice after consent: one authorization reaches several accounts (the Atlassian sites a
 * user can see) and the admin who connected picks one. The choice lives in Postgres, bound to
 * the tenant, user and session that connected, single use, and expires; its grant stays
 * `pending` until then, so a choice never made is revoked by the reconciler like any grant
 * that was never activated (PENDING_GRANT_TIMEOUT_SECONDS), and a cancelled one at once.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { AccountChoice, ConnectorGrant } from '../../db/entities/index.js';
import type { ChoosableAccount } from '../../db/entities/account-choice.js';
import type { SessionUser } from '../auth/sessions.js';
import { markRevoking, type GrantScope } from '../connections/grants.js';
import type { ConnectorId } from '../connectors/registry.js';
import type { ExternalAccount } from '../connectors/types.js';
import type { Logger } from '../logger.js';
import { grantRefreshKey } from '../secrets/secret-store.js';
import type { AppServices } from '../services.js';
import { activateAccount, type Completion, type TokenDetails } from './activation.js';
import { OAuthFlowError } from './errors.js';

/** How long the admin has to pick, at most: never past the point the grant is given up. */
export const CHOICE_TTL_MS = 10 * 60 * 1000;

export class AccountChoiceError extends Error {
  override readonly name = 'AccountChoiceError';
  constructor(readonly reason: 'choice_unknown' | 'account_unknown') {
    super(
      reason === 'choice_unknown'
        ? 'This choice has expired or was already made. Please connect again.'
        : 'Pick one of the listed accounts.',
    );
  }
}

/** Records the choice; returns its id (the page's URL carries it, the session guards it). */
export async function offerChoice(
  services: AppServices,
  session: SessionUser,
  scope: GrantScope,
  grantId: string,
  accounts: readonly ExternalAccount[],
  details: TokenDetails,
): Promise<string> {
  const em = services.orm.em.fork();
  const now = new Date();
  const ttl = Math.min(CHOICE_TTL_MS, services.env.PENDING_GRANT_TIMEOUT_SECONDS * 1000);
  await em.nativeDelete(AccountChoice, { expiresAt: { $lt: now } });
  const choice = em.create(AccountChoice, {
    connector: scope.connector,
    tenant: session.tenantId,
    user: session.userId,
    session: session.sessionId,
    grant: grantId,
    accounts: accounts.map((a) => ({ id: a.id, name: a.name, approvedBy: a.approvedBy, settings: a.settings })),
    token: { tokenType: details.tokenType, expiresAt: details.expiresAt?.toISOString() ?? null, scopes: details.scopes },
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttl),
  });
  await em.flush();
  return choice.id;
}

const owned = (session: SessionUser, connector: ConnectorId, id: string) => ({
  id,
  connector,
  tenant: session.tenantId,
  user: session.userId,
  session: session.sessionId,
  expiresAt: { $gt: new Date() },
});

/** The accounts to pick from, for the admin who connected; null when unknown, expired or not theirs. */
export async function findChoice(
  em: EntityManager,
  session: SessionUser,
  connector: ConnectorId,
  id: string,
): Promise<{ accounts: ChoosableAccount[]; expiresAt: Date } | null> {
  const choice = await em.findOne(AccountChoice, owned(session, connector, id));
  return choice ? { accounts: choice.accounts, expiresAt: choice.expiresAt } : null;
}

/** Takes the choice exactly once: of two concurrent submissions only one deletes the row. */
async function claim(services: AppServices, session: SessionUser, connector: ConnectorId, id: string, accountId?: string) {
  const em = services.orm.em.fork();
  const choice = await em.findOne(AccountChoice, owned(session, connector, id));
  if (!choice) throw new AccountChoiceError('choice_unknown');
  const account = accountId === undefined ? null : choice.accounts.find((a) => a.id === accountId);
  if (account === undefined) throw new AccountChoiceError('account_unknown');
  const deleted = await em.nativeDelete(AccountChoice, owned(session, connector, id));
  if (deleted !== 1) throw new AccountChoiceError('choice_unknown');
  return { choice, account };
}

/** The admin picked `accountId`: the grant becomes the connection's, for that account. */
export async function completeChoice(
  services: AppServices,
  session: SessionUser,
  connector: ConnectorId,
  id: string,
  accountId: string,
  log: Logger,
): Promise<Completion> {
  const { choice, account } = await claim(services, session, connector, id, accountId);
  const grant = await services.orm.em.fork().findOneOrFail(ConnectorGrant, { id: choice.grant.id });
  const scope: GrantScope = { tenantId: session.tenantId, connector };
  if (grant.status !== 'pending') throw new AccountChoiceError('choice_unknown');
  const [accessToken, refreshToken] = await Promise.all([
    services.secrets.getGrantToken(session.tenantId, grant.secretKey),
    services.secrets.getGrantToken(session.tenantId, grantRefreshKey(grant.secretKey)),
  ]).catch((error: unknown) => {
    log.error({ err: error }, 'reading a chosen grant failed');
    throw new OAuthFlowError('storage_failed', 'We could not read the connection from secure storage. Please connect again.');
  });
  if (!accessToken) {
    throw new OAuthFlowError('storage_failed', 'We could not read the connection from secure storage. Please connect again.');
  }
  const details: TokenDetails = {
    tokenType: choice.token.tokenType,
    expiresAt: choice.token.expiresAt ? new Date(choice.token.expiresAt) : null,
    scopes: choice.token.scopes,
  };
  // A grant the reconciler gave up meanwhile is refused there (attempt_expired).
  return activateAccount(services, session, scope, { id: grant.id, accessToken, refreshToken }, details, account!, log);
}

/** The admin declined to pick: the grant is revoked now rather than when it times out. */
export async function cancelChoice(services: AppServices, session: SessionUser, connector: ConnectorId, id: string, log: Logger): Promise<void> {
  const { choice } = await claim(services, session, connector, id);
  await services.orm.em.fork().transactional(async (tx) => {
    const grant = await tx.findOneOrFail(ConnectorGrant, { id: choice.grant.id });
    if (grant.status === 'pending') await markRevoking(tx, grant);
  });
  log.info({ grantId: choice.grant.id }, 'account choice cancelled; the grant is queued for revocation');
}
