import { describe, expect, it } from 'vitest';
import { gongApiBaseUrl } from './definition.js';

describe('Gong: the learned API base', () => {
  it.each(['https://us-60061.api.gong.io', 'https://api.gong.io', 'https://US-1.API.GONG.IO/'])('accepts %s', (value) => {
    expect(gongApiBaseUrl.safeParse(value)).toMatchObject({ success: true, data: value.replace(/\/$/, '').toLowerCase() });
  });
  it.each([
    'http://us-1.api.gong.io',
    'https://gong.io.evil.example',
    'https://evilgong.io',
    'https://us-1.api.gong.io:8443',
    'https://us-1.api.gong.io/v2',
    'https://us-1.api.gong.io?x=1',
    'https://a@us-1.api.gong.io',
    'https://-bad.gong.io',
    'https://gong.io',
    '',
  ])('refuses %s', (value) => {
    expect(gongApiBaseUrl.safeParse(value).success).toBe(false);
  });
});
