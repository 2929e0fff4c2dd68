import { asana } from './asana/definition.js';
import { confluence } from './confluence/definition.js';
import { gather } from './gather/definition.js';
import { github } from './github/definition.js';
import { gong } from './gong/definition.js';
import { googleDrive } from './google-drive/definition.js';
import { googleEmail } from './google-email/definition.js';
import { hubspot } from './hubspot/definition.js';
import { intercom } from './intercom/definition.js';
import { jira } from './jira/definition.js';
import { linear } from './linear/definition.js';
import { notion } from './notion/definition.js';
import { salesforce } from './salesforce/definition.js';
import { slack } from './slack/definition.js';
import { trello } from './trello/definition.js';
import { zendesk } from './zendesk/definition.js';
import type { ConnectorDefinition } from './types.js';

/** Every connector, in catalog order. Adding one: docs/adding-a-connector.md. */
export const connectors = [
  intercom,
  slack,
  github,
  linear,
  notion,
  googleDrive,
  googleEmail,
  hubspot,
  salesforce,
  jira,
  confluence,
  gong,
  gather,
  trello,
  zendesk,
  asana,
] as const;

type Registry = typeof connectors;
export type ConnectorId = Registry[number]['id'];

/** Every configuration key any connector declares: a union the compiler checks. */
type KeysWhere<D, Sensitive extends boolean> = D extends ConnectorDefinition<string, infer K>
  ? { [P in keyof K]: K[P] extends { sensitive: Sensitive } ? P : never }[keyof K] & string
  : never;
export type SensitiveKey = KeysWhere<Registry[number], true>;
export type NonSensitiveKey = KeysWhere<Registry[number], false>;
export type ConfigKey = SensitiveKey | NonSensitiveKey;

export const connectorIds: readonly ConnectorId[] = connectors.map((c) => c.id);

const byId = new Map<string, ConnectorDefinition>(connectors.map((c) => [c.id, c as ConnectorDefinition]));

export function isConnectorId(value: string): value is ConnectorId {
  return byId.has(value);
}

export function getConnector(id: ConnectorId | (string & {})): ConnectorDefinition {
  const definition = byId.get(id);
  if (!definition) throw new Error(`Unknown connector: ${id}`);
  return definition;
}

interface KeyEntry {
  readonly key: ConfigKey;
  readonly connector: ConnectorId;
  readonly sensitive: boolean;
  readonly description: string;
}

/** The global key registry, derived from the definitions. */
export const configKeys: readonly KeyEntry[] = connectors.flatMap((c) =>
  Object.entries(c.keys as Record<string, { sensitive: boolean; description: string }>).map(([key, spec]) => ({
    key: key as ConfigKey,
    connector: c.id,
    sensitive: spec.sensitive,
    description: spec.description,
  })),
);

export const sensitiveKeys: readonly SensitiveKey[] = configKeys
  .filter((k) => k.sensitive)
  .map((k) => k.key as SensitiveKey);
export const nonSensitiveKeys: readonly NonSensitiveKey[] = configKeys
  .filter((k) => !k.sensitive)
  .map((k) => k.key as NonSensitiveKey);

export function findKey(key: string): KeyEntry | undefined {
  return configKeys.find((k) => k.key === key);
}

