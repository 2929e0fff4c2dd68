import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { intercom } from './intercom/definition.js';
import { linear } from './linear/definition.js';
import { defaultConnectionSettings, parseConnectionSettings, settingKeys, templateValues } from './settings.js';

describe('connection settings', () => {
  it('Intercom: region defaults to us and maps to its hosts', () => {
    expect(defaultConnectionSettings(intercom)).toEqual({ region: 'us' });
    expect(parseConnectionSettings(intercom, { region: 'au' })).toEqual({ success: true, settings: { region: 'au' } });
    expect(templateValues(intercom, { region: 'eu' })).toEqual({ region: 'eu', appHost: 'app.eu', apiHost: 'api.eu' });
    expect(settingKeys(intercom)).toEqual([{ name: 'region', key: 'INTERCOM_REGION' }]);
  });

  it('Intercom: refuses other regions and undeclared settings, naming the field', () => {
    for (const raw of [{ region: 'EU' }, { region: 'eu ' }, { region: '' }, { region: 'eu', subdomain: 'x' }, 'eu', ['eu']]) {
      const parsed = parseConnectionSettings(intercom, raw);
      expect(parsed.success, JSON.stringify(raw)).toBe(false);
    }
    const parsed = parseConnectionSettings(intercom, { region: 'mars' });
    if (parsed.success) throw new Error('expected a refusal');
    expect(Object.keys(z.flattenError(parsed.error).fieldErrors)).toEqual(['region']);
  });

  it('a connector without settings accepts none', () => {
    expect(parseConnectionSettings(linear, undefined)).toEqual({ success: true, settings: {} });
    expect(parseConnectionSettings(linear, {})).toEqual({ success: true, settings: {} });
    const parsed = parseConnectionSettings(linear, { region: 'eu' });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(parsed.error).toBeInstanceOf(z.ZodError);
    expect(settingKeys(linear)).toEqual([]);
  });
});
