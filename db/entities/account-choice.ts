import { defineEntity, type InferEntity } from '@mikro-orm/core';
import type { ConnectorId } from '../../server/connectors/registry.js';
import { ConnectorGrant } from './connector-grant.js';
import { Session } from './session.js';
import { Tenant } from './tenant.js';
import { User } from './user.js';

const p = defineEntity.properties;

/** An account the admin may pick (never a secret: ids, names and learned settings). */
export interface ChoosableAccount {
  id: string;
  name: string;
  approvedBy?: string | undefined;
  settings?: Record<string, string> | undefined;
}

/** What the token answer said about the grant, kept until the choice activates it. Not secret. */
export interface ChoiceTokenDetails {
  tokenType: string;
  expiresAt: string | null;
  scopes: string[] | null;
}

/**
 * A choice after consent: the provider's answer reaches several accounts (Atlassian sites) and
 * the admin who connected picks one. Bound to that admin's session, single use, and short-lived;
 * its grant stays `pending` meanwhile (revoked if the choice is cancelled or expires).
 */
export const AccountChoice = defineEntity({
  name: 'AccountChoice',
  tableName: 'account_choices',
  properties: {
    id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
    connector: p.string().length(64).$type<ConnectorId>(),
    tenant: p.manyToOne(Tenant).ref().deleteRule('cascade'),
    user: p.manyToOne(User).ref().deleteRule('cascade'),
    session: p.manyToOne(Session).ref().deleteRule('cascade'),
    grant: p.manyToOne(ConnectorGrant).ref().deleteRule('cascade'),
    accounts: p.json<ChoosableAccount[]>(),
    token: p.json<ChoiceTokenDetails>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    expiresAt: p.datetime().index(),
  },
});
export type AccountChoice = InferEntity<typeof AccountChoice>;
