import { ConfigValue } from './config-value.js';
import { ConnectorInstallation } from './connector-installation.js';
import { EncryptedSecret } from './secret-value.js';
import { Session } from './session.js';
import { Tenant } from './tenant.js';
import { User } from './user.js';

export { ConfigValue, ConnectorInstallation, EncryptedSecret, Session, Tenant, User };

/** The explicit entity list the ORM is configured with. */
export const entities = [Tenant, User, Session, ConnectorInstallation, ConfigValue, EncryptedSecret];
