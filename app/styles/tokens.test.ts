/**
 * The colour tokens in tailwind.css meet WCAG 2.2 AA: text ≥ 4.5:1 on the surfaces it is used
 * on (1.4.3), control borders and the focus ring ≥ 3:1 against the page and cards (1.4.11).
 * Read from the stylesheet itself, so changing a token to a weaker colour fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const css = readFileSync(new URL('./tailwind.css', import.meta.url), 'utf8');

function token(name: string): [number, number, number] {
  const match = new RegExp(`--${name}:\\s*(\\d+)\\s+(\\d+)\\s+(\\d+);`).exec(css);
  if (!match) throw new Error(`token --${name} not found`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

function luminance([r, g, b]: [number, number, number]): number {
  const [R, G, B] = [r, g, b].map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * R + 0.7152 * G + 0.0722 * B;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(token(a)), luminance(token(b))].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const TEXT: Array<[string, string]> = [
  ['foreground', 'background'],
  ['foreground', 'card'],
  ['foreground', 'muted'],
  ['muted-foreground', 'background'],
  ['muted-foreground', 'card'],
  ['muted-foreground', 'muted'],
  ['primary', 'background'],
  ['primary', 'card'],
  ['primary-foreground', 'primary'],
  ['danger-foreground', 'danger'],
  ['secondary-foreground', 'secondary'],
  ['danger', 'danger-soft'],
  ['danger', 'card'],
  ['success', 'success-soft'],
  ['warning', 'warning-soft'],
  ['info', 'info-soft'],
  ['sandbox', 'sandbox-soft'],
];

const NON_TEXT: Array<[string, string]> = [
  ['input', 'background'],
  ['input', 'card'],
  ['ring', 'background'],
  ['ring', 'card'],
];

describe('colour tokens', () => {
  it.each(TEXT)('text %s on %s is at least 4.5:1', (fg, bg) => {
    expect(contrast(fg, bg)).toBeGreaterThanOrEqual(4.5);
  });

  it.each(NON_TEXT)('%s against %s is at least 3:1', (fg, bg) => {
    expect(contrast(fg, bg)).toBeGreaterThanOrEqual(3);
  });

  it('measures a known pair correctly (black on white is 21:1)', () => {
    expect((1 + 0.05) / (0 + 0.05)).toBe(21);
    expect(contrast('card', 'card')).toBe(1);
  });
});
