import { describe, expect, it } from 'vitest';
import { fillTemplate, placeholders, TemplateError, templateShape } from './templates.js';

const ZENDESK = 'https://{subdomain}.zendesk.com/oauth/tokens';

describe('endpoint templates', () => {
  it('fills placeholders in the host and keeps the rest byte for byte', () => {
    expect(fillTemplate(ZENDESK, { subdomain: 'acme' })).toBe('https://acme.zendesk.com/oauth/tokens');
    expect(fillTemplate('https://{apiHost}.intercom.io', { apiHost: 'api.eu' })).toBe('https://api.eu.intercom.io');
    expect(fillTemplate('https://{h}.example.com/a?b=c%3D', { h: 'Acme-1' })).toBe('https://acme-1.example.com/a?b=c%3D');
  });

  it('leaves a URL without placeholders alone', () => {
    expect(fillTemplate('https://api.linear.app/oauth/token', {})).toBe('https://api.linear.app/oauth/token');
  });

  it.each([
    ['a path', 'evil.com/'],
    ['credentials', 'a@b'],
    ['an empty label', '..'],
    ['a leading dot', '.acme'],
    ['a port', 'acme:8080'],
    ['a query', 'acme?x'],
    ['a fragment', 'acme#x'],
    ['unicode', 'аcme'],
    ['punycode-looking unicode', 'ac\u0301me'],
    ['a percent escape', 'evil%2ecom'],
    ['a backslash', 'evil.com\\'],
    ['whitespace', 'ac me'],
    ['a leading hyphen', '-acme'],
    ['an empty value', ''],
    ['a very long value', 'a'.repeat(5000)],
    ['a label over 63 characters', 'a'.repeat(64)],
  ])('refuses %s', (_what, value) => {
    expect(() => fillTemplate(ZENDESK, { subdomain: value })).toThrow(TemplateError);
  });

  it('never repeats the refused value in its message', () => {
    expect(() => fillTemplate(ZENDESK, { subdomain: 'secret@evil.com' })).toThrow(/\{subdomain\}/);
    try {
      fillTemplate(ZENDESK, { subdomain: 'secret@evil.com' });
    } catch (error) {
      expect((error as Error).message).not.toContain('evil');
    }
  });

  it('refuses a missing value, and ignores inherited properties', () => {
    expect(() => fillTemplate(ZENDESK, {})).toThrow(/no value for \{subdomain\}/);
    expect(() => fillTemplate('https://{toString}.zendesk.com', {})).toThrow(TemplateError);
  });

  it('a dotted value stays a subdomain of the fixed suffix', () => {
    expect(fillTemplate(ZENDESK, { subdomain: 'evil.com.attacker' })).toBe('https://evil.com.attacker.zendesk.com/oauth/tokens');
    expect(new URL(fillTemplate(ZENDESK, { subdomain: 'a.b' })).hostname.endsWith('.zendesk.com')).toBe(true);
  });

  it('accepts placeholders only in the host, before a fixed domain', () => {
    expect(templateShape(ZENDESK)).toMatchObject({ suffix: '.zendesk.com', rest: '/oauth/tokens' });
    expect(placeholders('https://{a}.{b}.example.com')).toEqual(['a', 'b']);
    expect(() => fillTemplate('https://{host}/oauth', { host: 'acme.zendesk.com' })).toThrow(/fixed domain/);
    expect(() => fillTemplate('https://{host}.com/oauth', { host: 'acme' })).toThrow(/fixed domain/);
    expect(() => fillTemplate('https://acme.zendesk.com/{path}', { path: 'x' })).toThrow(/only stand in the host/);
    expect(() => fillTemplate('https://{h}.zendesk.com:{port}', { h: 'a', port: '1' })).toThrow(TemplateError);
  });
});
