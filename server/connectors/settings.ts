/**
 * Connection settings (docs/decisions/012-connection-settings.md): what a connector asks
 * before Connect (Intercom's region, Zendesk's subdomain), validated by the definition's schema,
 * stored as its non-sensitive keys, and used to fill its endpoint templates.
 */
import { z } from 'zod';
import type { ConnectorDefinition } from './types.js';

export type ConnectionSettings = Readonly<Record<string, string>>;

export type SettingsParse =
  | { readonly success: true; readonly settings: ConnectionSettings }
  | { readonly success: false; readonly error: z.ZodError };

/**
 * Validates what a form or API call sent. A connector without settings accepts only nothing;
 * a connector with settings gets its schema's defaults for what was left out.
 */
export function parseConnectionSettings(definition: ConnectorDefinition, raw: unknown): SettingsParse {
  const spec = definition.settings;
  if (!spec) {
    const empty = raw === undefined || (typeof raw === 'object' && raw !== null && Object.keys(raw).length === 0);
    return empty ? { success: true, settings: {} } : { success: false, error: noSettingsError(definition) };
  }
  const parsed = spec.schema.safeParse(raw ?? {});
  if (!parsed.success) return { success: false, error: parsed.error };
  const settings: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed.data)) {
    if (typeof value === 'string') settings[name] = value;
  }
  return { success: true, settings };
}

/** The settings a connection gets when none were given, or null when some are required. */
export function defaultConnectionSettings(definition: ConnectorDefinition): ConnectionSettings | null {
  const parsed = parseConnectionSettings(definition, {});
  return parsed.success ? parsed.settings : null;
}

/** What endpoint templates are filled from: the settings and the values the definition derives from them. */
export function templateValues(definition: ConnectorDefinition, settings: ConnectionSettings): ConnectionSettings {
  return { ...settings, ...(definition.settings?.templateValues?.(settings) ?? {}) };
}

/** The setting names and the non-sensitive keys they are stored under. */
export function settingKeys(definition: ConnectorDefinition): { name: string; key: string }[] {
  return Object.entries(definition.settings?.fields ?? {}).map(([name, field]) => ({ name, key: field.key }));
}

function noSettingsError(definition: ConnectorDefinition): z.ZodError {
  return new z.ZodError([{ code: 'custom', path: [], message: `${definition.name} takes no connection settings`, input: undefined }]);
}
