/**
 * Checks every connector definition the way a provider file is validated in CI: a broken
 * definition fails here, not in front of an admin.
 */
import { describe, expect, it } from 'vitest';
import { apiKeyConnectors } from '../apikey/config.js';
import { oauthConnectors } from '../oauth/config.js';
import { placeholders, templateShape } from '../oauth/templates.js';
import { defaultConnectionSettings, templateValues } from './settings.js';
import { configKeys, connectorIds, connectors, findKey, nonSensitiveKeys, sensitiveKeys } from './registry.js';
import { CONNECTOR_CATEGORIES, type ConnectorDefinition } from './types.js';

const all = connectors as readonly ConnectorDefinition[];

describe('connector registry', () => {
  it('has 16 connectors with unique ids in snake_case', () => {
    expect(all).toHaveLength(16);
    expect(new Set(connectorIds).size).toBe(all.length);
    for (const c of all) expect(c.id).toMatch(/^[a-z][a-z0-9_]{1,62}$/);
  });

  it.each(all.map((c) => [c.id, c] as const))('%s: name, brand colour, access items and icon are well formed', (_id, c) => {
    expect(c.name.trim()).not.toBe('');
    expect(c.tagline.trim()).not.toBe('');
    expect(c.brandColor).toMatch(/^#[0-9A-Fa-f]{6}$/);
    expect(c.accessItems.length).toBeGreaterThan(0);
    if (c.icon) {
      expect(c.icon.svgPath).toMatch(/^M[\d.\s,-]/);
      expect(c.icon.title).not.toBe('');
    }
  });

  it('available connectors have an OAuth spec with https endpoints and storage for declared keys', () => {
    const available = all.filter((c) => c.availability === 'available');
    expect(available.map((c) => c.id)).toEqual(['intercom', 'slack', 'github', 'linear', 'notion', 'google_drive', 'google_email', 'hubspot', 'salesforce', 'jira', 'confluence', 'gong', 'gather', 'trello', 'zendesk', 'asana']);
    for (const c of available.filter((a) => !a.apiKey)) {
      const oauth = c.oauth;
      expect(oauth, c.id).toBeDefined();
      if (!oauth) continue;
      for (const url of [oauth.endpoints.authorize, oauth.endpoints.token, oauth.endpoints.revoke, oauth.apiBase, oauth.issuer]) {
        if (url !== undefined) expect(new URL(url).protocol, `${c.id}: ${url}`).toBe('https:');
      }
      if (oauth.revoke === 'rfc7009') expect(oauth.endpoints.revoke, `${c.id}: RFC 7009 needs a revocation endpoint`).toBeDefined();
      expect(c.keys[oauth.storage.accessToken]?.sensitive, 'the access token must be sensitive').toBe(true);
      expect(c.keys[oauth.storage.tokenType]?.sensitive).toBe(false);
      for (const name of Object.values(oauth.envOverrides ?? {})) expect(name).toMatch(/^[A-Z][A-Z0-9_]+$/);
      if (oauth.storage.refreshToken) expect(c.keys[oauth.storage.refreshToken]?.sensitive, 'the refresh token must be sensitive').toBe(true);
      // What the provider tells is shown on pages and returned to services: plain values only,
      // stored under declared keys, with names that do not clash with the asked settings.
      for (const [name, learned] of Object.entries(oauth.learned ?? {})) {
        expect(c.keys[learned.key]?.sensitive, `${c.id}: learned ${name} must be a declared non-sensitive key`).toBe(false);
        expect(Object.keys(c.settings?.fields ?? {}), `${c.id}: ${name} is both asked and learned`).not.toContain(name);
      }
    }
    expect(oauthConnectors.map((c) => c.id)).toEqual(available.filter((c) => !c.apiKey).map((c) => c.id));
  });

  it('API-key connectors keep the key in the secret backend and ask for nothing sensitive beside it', () => {
    const keyed = all.filter((c) => c.apiKey);
    expect(keyed.map((c) => c.id)).toEqual(['gather']);
    for (const c of keyed) {
      const spec = c.apiKey!;
      expect(c.oauth, `${c.id}: one mode only`).toBeUndefined();
      expect(new URL(spec.apiBase).protocol).toBe('https:');
      expect(c.keys[spec.storage.apiKey]?.sensitive, 'the API key must be sensitive').toBe(true);
      expect(c.keys[spec.storage.tokenType]?.sensitive).toBe(false);
      for (const field of Object.values(c.settings?.fields ?? {})) expect(c.keys[field.key]?.sensitive).toBe(false);
      expect(spec.field.maxLength).toBeGreaterThan(0);
    }
    expect(apiKeyConnectors.map((c) => c.id)).toEqual(keyed.map((c) => c.id));
  });

  it('every connector has a catalog category, and connectors without an icon have monograms no other shares', () => {
    for (const c of all) expect(Object.keys(CONNECTOR_CATEGORIES), c.id).toContain(c.category);
    const marks = all.map((c) => (c.icon ? `icon:${c.icon.title}` : `monogram:${(c.monogram ?? c.name.charAt(0)).toUpperCase()}`));
    expect(new Set(marks).size, `duplicate marks: ${marks.join(', ')}`).toBe(all.length);
  });

  it('every key is declared once, upper snake case, and routed by its sensitivity', () => {
    const names = configKeys.map((k) => k.key);
    expect(new Set(names).size).toBe(names.length);
    for (const k of configKeys) expect(k.key).toMatch(/^[A-Z][A-Z0-9_]*$/);
    // The secrets are exactly the tokens the definitions store; everything else is a plain value.
    const tokens = all.flatMap((c) => [c.oauth?.storage.accessToken, c.oauth?.storage.refreshToken, c.apiKey?.storage.apiKey]).filter(Boolean);
    expect([...sensitiveKeys].sort()).toEqual([...tokens].sort());
    expect(sensitiveKeys).toEqual(expect.arrayContaining(['INTERCOM_ACCESS_TOKEN', 'LINEAR_ACCESS_TOKEN', 'LINEAR_REFRESH_TOKEN']));
    expect(nonSensitiveKeys).toEqual(expect.arrayContaining(['INTERCOM_TOKEN_TYPE', 'INTERCOM_REGION', 'LINEAR_EXPIRES_AT', 'JIRA_CLOUD_ID']));
    expect(sensitiveKeys.length + nonSensitiveKeys.length).toBe(configKeys.length);
    for (const key of sensitiveKeys) expect(findKey(key)?.sensitive).toBe(true);
  });

  it('normalizes Intercom token answers and rejects malformed ones', () => {
    const intercom = all.find((c) => c.id === 'intercom')!;
    const normalize = intercom.oauth!.normalizeTokenAnswer!;
    expect(normalize({ token_type: 'Bearer', token: 'a', access_token: 'a' })).toMatchObject({ access_token: 'a', token_type: 'Bearer' });
    expect(normalize({ token: 'only-token' })).toMatchObject({ access_token: 'only-token', token_type: 'Bearer' });
    expect(() => normalize({ token_type: 'Bearer' })).toThrow();
  });

  /** Per connector, per enum option: the other settings that option needs. */
  const SETTING_EXAMPLES: Record<string, Record<string, Record<string, string>>> = {
    salesforce: { my_domain: { myDomain: 'acme--uat' } },
  };
  /** Per connector: values its token answer teaches, which its templates may use. */
  const LEARNED_EXAMPLES: Record<string, Record<string, string>> = {
    salesforce: { instanceUrl: 'https://acme.my.salesforce.com' },
  };

  it.each(all.filter((c) => c.oauth).map((c) => [c.id, c] as const))(
    '%s: endpoint templates use declared settings only, in the host, before a fixed domain',
    (_id, c) => {
      const oauth = c.oauth!;
      const templates = [oauth.endpoints.authorize, oauth.endpoints.token, oauth.endpoints.revoke, oauth.apiBase, oauth.issuer].filter(
        (u): u is string => u !== undefined,
      );
      const used = templates.flatMap(placeholders);
      if (!c.settings) {
        expect(used, 'a connector without settings has fixed endpoints').toEqual([]);
        return;
      }
      const fieldNames = Object.keys(c.settings.fields);
      // Every schema key has a form field, stored under a declared non-sensitive key.
      expect(Object.keys(c.settings.schema.shape).sort()).toEqual([...fieldNames].sort());
      for (const field of Object.values(c.settings.fields)) {
        expect(c.keys[field.key]?.sensitive, `${c.id}: ${field.key} must be a declared non-sensitive key`).toBe(false);
      }
      // The strict schema refuses what it does not declare.
      expect(c.settings.schema.safeParse({ notDeclared: 'x' }).success).toBe(false);
      for (const template of templates) expect(() => templateShape(template), template).not.toThrow();
      // Whatever valid settings a connection has, every placeholder gets a value: try each
      // option of every enum field, and the defaults (a required setting, such as a subdomain,
      // gets a plain sample value).
      // An option that needs another field too (Salesforce's my_domain and its name) is tried
      // with the example values below. Values learned from the token answer (an API base on the
      // org's instance) are part of a connection's settings once it is made.
      const extra = SETTING_EXAMPLES[c.id] ?? {};
      const learned = LEARNED_EXAMPLES[c.id] ?? {};
      for (const [name, value] of Object.entries(learned)) expect(oauth.learned?.[name]?.schema.safeParse(value).success, name).toBe(true);
      const required = Object.fromEntries(Object.keys(c.settings.fields).map((name) => [name, 'example']));
      const samples: Record<string, string>[] = [defaultConnectionSettings(c) ?? required];
      for (const [name, field] of Object.entries(c.settings.fields)) {
        for (const option of field.options ?? []) samples.push({ ...samples[0], [name]: option.value, ...(extra[option.value] ?? {}) });
      }
      for (const settings of samples) {
        expect(c.settings.schema.safeParse(settings).success, JSON.stringify(settings)).toBe(true);
        const values = templateValues(c, { ...settings, ...learned });
        for (const name of used) expect(Object.keys(values), `${c.id}: {${name}} is not a declared setting or template value`).toContain(name);
      }
    },
  );
});
