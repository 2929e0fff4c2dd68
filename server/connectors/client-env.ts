/**
 * Where each connector's OAuth app credentials come from: `<ENV>_CLIENT_ID` and
 * `<ENV>_CLIENT_SECRET`, ENV being the connector id upper-cased with every other character
 * as `_` (`google_drive` → `GOOGLE_DRIVE_CLIENT_ID`). One rule instead of a list by hand, so
 * a new connector is configurable the moment it is in the registry, and the env schema
 * (server/env.ts) validates the same names this module reads.
 *
 * This module imports nothing, so env.ts and the OAuth code can both use it without a cycle.
 */

type Digit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9';
/** One character of an id as it appears in a variable name (ASCII ids, as the registry requires). */
type EnvChar<C extends string> = C extends Digit ? C : Uppercase<C> extends Lowercase<C> ? '_' : Uppercase<C>;
type EnvPrefixOf<Id extends string> = Id extends `${infer Head}${infer Tail}` ? `${EnvChar<Head>}${EnvPrefixOf<Tail>}` : '';
/** `google_drive` → `GOOGLE_DRIVE`, at the type level, so the env type names every variable. */
export type ConnectorEnvPrefix<Id extends string> = string extends Id ? string : EnvPrefixOf<Id>;
export type ClientIdVariable<Id extends string> = `${ConnectorEnvPrefix<Id>}_CLIENT_ID`;
export type ClientSecretVariable<Id extends string> = `${ConnectorEnvPrefix<Id>}_CLIENT_SECRET`;

export interface ClientEnvNames<Id extends string = string> {
  readonly clientId: ClientIdVariable<Id>;
  readonly clientSecret: ClientSecretVariable<Id>;
}

export interface ClientCredentials {
  readonly clientId?: string;
  readonly clientSecret?: string;
}

/** `google_drive` → `GOOGLE_DRIVE`. */
export function connectorEnvPrefix<Id extends string>(connectorId: Id): ConnectorEnvPrefix<Id> {
  if (connectorId === '') throw new Error('A connector id cannot be empty');
  return connectorId.replace(/[^A-Za-z0-9]/g, '_').toUpperCase() as ConnectorEnvPrefix<Id>;
}

/** The two variables that hold a connector's OAuth client id and secret. */
export function clientEnvNames<Id extends string>(connectorId: Id): ClientEnvNames<Id> {
  const prefix = connectorEnvPrefix(connectorId);
  return { clientId: `${prefix}_CLIENT_ID`, clientSecret: `${prefix}_CLIENT_SECRET` };
}

/**
 * Every connector's credential variables, in the order given. Two ids that map to the same
 * variables (`google-drive` and `google_drive`) would share one OAuth app without anyone
 * noticing, so that is refused here, at start.
 */
export function clientEnvVariables<Id extends string>(
  connectorIds: readonly Id[],
): readonly (ClientEnvNames<Id> & { readonly connector: Id })[] {
  const owners = new Map<string, Id>();
  return connectorIds.map((connector) => {
    const names = clientEnvNames(connector);
    const owner = owners.get(names.clientId);
    if (owner !== undefined) {
      throw new Error(`Connectors ${owner} and ${connector} would both read ${names.clientId} and ${names.clientSecret}`);
    }
    owners.set(names.clientId, connector);
    return { connector, ...names };
  });
}

const readTrimmed = (env: Record<string, unknown>, name: string): string | undefined => {
  const value = env[name];
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
};

/**
 * The connector's client id and secret from the environment (the parsed env or a raw
 * `process.env`): trimmed, blank counts as unset, and an absent value is an absent property.
 */
export function clientCredentials(env: Record<string, unknown>, connectorId: string): ClientCredentials {
  const names = clientEnvNames(connectorId);
  const clientId = readTrimmed(env, names.clientId);
  const clientSecret = readTrimmed(env, names.clientSecret);
  return {
    ...(clientId === undefined ? {} : { clientId }),
    ...(clientSecret === undefined ? {} : { clientSecret }),
  };
}
