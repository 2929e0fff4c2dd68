import { describe, expect, it } from 'vitest';
import { connectors } from '../../server/connectors/registry.js';
import { readableOn } from './ConnectorIcon';

function luminance(hex: string): number {
  const n = Number.parseInt(hex.slice(1), 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
};

describe('monogram letters', () => {
  it('pick dark letters on light brand colours and white on dark ones', () => {
    expect(readableOn('#00A1E0')).toBe('#1c2430');
    expect(readableOn('#4A154B')).toBe('#ffffff');
  });

  it('reach 4.5:1 on every connector tile that shows a monogram (WCAG 1.4.3)', () => {
    const monogrammed = connectors.filter((c) => !c.icon);
    expect(monogrammed.length).toBeGreaterThan(0);
    for (const c of monogrammed) {
      expect(contrast(readableOn(c.brandColor), c.brandColor), c.id).toBeGreaterThanOrEqual(4.5);
    }
  });
});
