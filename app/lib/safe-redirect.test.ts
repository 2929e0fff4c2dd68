import { describe, expect, it } from 'vitest';
import { DEFAULT_REDIRECT, MAX_REDIRECT_LENGTH, safeRedirect } from './safe-redirect';

/** Values an attacker could put in `redirectTo`; each must fall back to the integrations page. */
const rejected: [label: string, value: unknown][] = [
  ['tab after the slash', '/\t/evil.example'],
  ['tab, as the query string decodes %09', decodeURIComponent('/%09/evil.example')],
  ['line feed (%0a)', decodeURIComponent('/%0a/evil.example')],
  ['carriage return (%0d)', decodeURIComponent('/%0d/evil.example')],
  ['CR LF header injection', '/x\r\nSet-Cookie: a=b'],
  ['NUL', '/x\u0000y'],
  ['DEL', '/\u007f/evil.example'],
  ['C1 control (NEL)', '/\u0085/evil.example'],
  ['scheme-relative', '//evil.example'],
  ['scheme-relative with path', '//evil.example/integrations'],
  ['slash backslash', '/\\evil.example'],
  ['backslash slash', '\\/evil.example'],
  ['double backslash', '\\\\evil.example'],
  ['encoded double slash without a leading slash', '%2F%2Fevil.example'],
  ['encoded slash after the slash', '/%2F/evil.example'],
  ['encoded slash, lower case', '/%2fevil.example'],
  ['encoded backslash', '/%5Cevil.example'],
  ['encoded tab left encoded', '%09/evil.example'],
  ['dot segment collapsing to //', '/.//evil.example'],
  ['parent segment collapsing to //', '/..//evil.example'],
  ['encoded parent segment collapsing to //', '/%2e%2e//evil.example'],
  ['ideographic full stop, no leading slash', '\u3002evil.example'],
  ['fullwidth solidus pair', '\uff0f\uff0fevil.example'],
  ['javascript: URL', 'javascript:alert(1)'],
  ['javascript: URL in upper case', 'JAVASCRIPT:alert(1)'],
  ['https: without slashes', 'https:evil.example'],
  ['absolute https URL', 'https://evil.example'],
  ['absolute URL with credentials', 'https://plugboard.invalid@evil.example/'],
  ['leading space', ' /x'],
  ['mailto:', 'mailto:a@evil.example'],
  ['data: URL', 'data:text/html,<script>alert(1)</script>'],
  ['relative path', 'integrations'],
  ['empty string', ''],
  ['too long', `/${'a'.repeat(MAX_REDIRECT_LENGTH)}`],
  ['null (missing parameter)', null],
  ['a File from form data', { name: 'x' }],
];

/** Same-site paths that must survive, as the parser normalises them. */
const accepted: [value: string, expected: string][] = [
  ['/integrations/intercom', '/integrations/intercom'],
  ['/integrations?q=a#b', '/integrations?q=a#b'],
  ['/integrations/intercom?confirm=disconnect', '/integrations/intercom?confirm=disconnect'],
  ['/', '/'],
  ['/integrations/../login', '/login'],
  ['/a b', '/a%20b'],
  // Unicode look-alikes of `.` and `/` inside a path stay a path, percent-encoded.
  ['/\u3002evil.example', '/%E3%80%82evil.example'],
  ['/\uff0f\uff0fevil.example', '/%EF%BC%8F%EF%BC%8Fevil.example'],
  // A query may carry an encoded slash: it is not part of the path.
  ['/integrations?next=%2F%2Fevil.example', '/integrations?next=%2F%2Fevil.example'],
  [`/${'a'.repeat(MAX_REDIRECT_LENGTH - 1)}`, `/${'a'.repeat(MAX_REDIRECT_LENGTH - 1)}`],
];

describe('safeRedirect', () => {
  it.each(rejected)('falls back for %s', (_label, value) => {
    expect(safeRedirect(value)).toBe(DEFAULT_REDIRECT);
  });

  it.each(accepted)('keeps %s', (value, expected) => {
    expect(safeRedirect(value)).toBe(expected);
  });

  it('uses the given fallback', () => {
    expect(safeRedirect('//evil.example', '/login')).toBe('/login');
  });

  it('never yields a value a browser resolves to another origin, or a bad header', () => {
    for (const [, value] of [...rejected, ...accepted.map(([v]) => [v, v] as const)]) {
      const target = safeRedirect(value);
      expect(new URL(target, 'https://app.example').origin).toBe('https://app.example');
      // What fetch and browsers do with a Location value: strip tabs/newlines, read \ as /.
      expect(new URL(target.replace(/[\t\n\r]/g, '').replace(/\\/g, '/'), 'https://app.example').origin).toBe(
        'https://app.example',
      );
      expect(() => new Headers({ location: target })).not.toThrow();
    }
  });
});
