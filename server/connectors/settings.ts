/**
 * Connection settings (docs/decisions/012-connection-settings.md): what a connector asks
 * before Connect (Intercom's region, Zendesk's subdomain), validated by the definition's schema,
 * stored as its non-sensitive keys, and used to fill its endpoint templates.
 */
import { z } from 'zod';
import type { ConnectorDefinition, OAuthSpec } from './types.js';

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

/**
 * The setting names and the non-sensitive keys they are stored under: those asked before
 * Connect and those learned from the provider.
 */
export function settingKeys(definition: ConnectorDefinition): { name: string; key: string }[] {
  return [
    ...Object.entries(definition.settings?.fields ?? {}).map(([name, field]) => ({ name, key: field.key })),
    ...Object.entries(definition.oauth?.learned ?? {}).map(([name, spec]) => ({ name, key: spec.key })),
  ];
}

export type LearnedParse =
  | { readonly success: true; readonly values: ConnectionSettings }
  | { readonly success: false; readonly name: string };

/**
 * The values a definition learns from one source (`token`: the token answer; `identity`: the
 * chosen account's settings), each checked by its schema. A value that fails, or a missing one
 * that is not optional, fails the whole answer; the failure names the entry, never the value.
 */
export function parseLearnedValues(
  learned: OAuthSpec<string>['learned'],
  from: 'token' | 'identity',
  answer: Readonly<Record<string, unknown>>,
): LearnedParse {
  const values: Record<string, string> = {};
  for (const [name, spec] of Object.entries(learned ?? {})) {
    if (spec.from !== from) continue;
    const field = spec.field ?? name;
    const raw = Object.hasOwn(answer, field) ? answer[field] : undefined;
    if (raw === undefined || raw === null) {
      if (spec.optional) continue;
      return { success: false, name };
    }
    const parsed = spec.schema.safeParse(raw);
    if (!parsed.success) return { success: false, name };
    values[name] = parsed.data;
  }
  return { success: true, values };
}

/** Labels of the learned values, for the page: name, label, and the stored value. */
export function learnedLabels(definition: ConnectorDefinition): { name: string; label: string }[] {
  return Object.entries(definition.oauth?.learned ?? {}).map(([name, spec]) => ({ name, label: spec.label }));
}

function noSettingsError(definition: ConnectorDefinition): z.ZodError {
  return new z.ZodError([{ code: 'custom', path: [], message: `${definition.name} takes no connection settings`, input: undefined }]);
}
