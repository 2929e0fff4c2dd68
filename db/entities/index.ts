import { AccountChoice } from './account-choice.js';
import { ConfigValue } from './config-value.js';
import { ConnectionIntent } from './connection-intent.js';
import { ConnectorEvent } from './connector-event.js';
import { ConnectorGrant } from './connector-grant.js';
import { ConnectorInstallation } from './connector-installation.js';
import { OAuthState } from './oauth-state.js';
import { EncryptedSecret } from './secret-value.js';
import { ServiceKey } from './service-key.js';
import { Session } from './session.js';
import { Tenant } from './tenant.js';
import { User } from './user.js';

export { AccountChoice, ConfigValue, ConnectionIntent, ConnectorEvent, ConnectorGrant, ConnectorInstallation, EncryptedSecret, OAuthState, ServiceKey, Session, Tenant, User };

/** The explicit entity list the ORM is configured with. */
export const entities = [Tenant, User, Session, ConnectorInstallation, ConfigValue, EncryptedSecret, OAuthState, ConnectorEvent, ConnectorGrant, ConnectionIntent, AccountChoice, ServiceKey];
