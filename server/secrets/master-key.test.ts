import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv } from '../env.js';
import { parseMasterKey, parsePreviousKeys } from './local-backend.js';
import { decodeMasterKey, decodePreviousKeys } from './master-key.js';

const valid = randomBytes(32).toString('base64'); // 44 characters, one '=' of padding
const bytes = (n: number) => Buffer.alloc(n, 7).toString('base64');
// A key whose base64 has '+' and '/' in it, so the URL-safe spelling differs.
const slashy = Buffer.alloc(32, 0xfb).toString('base64');
// The same 32 bytes spelt with a padding bit set: the last character before '=' carries two
// unused low bits, which canonical base64 leaves at zero and Buffer.from ignores.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const paddingBitSet = `${valid.slice(0, 42)}${ALPHABET[ALPHABET.indexOf(valid[42]!) | 1]}=`;

describe('strict master key parsing', () => {
  it('accepts a canonical base64 key of 32 non-zero bytes', () => {
    const decoded = decodeMasterKey(valid);
    expect(decoded.ok && decoded.key.equals(Buffer.from(valid, 'base64'))).toBe(true);
  });

  it.each([
    ['!!!! before a valid key', `!!!!${valid}`, /standard base64/],
    ['a space inside', `${valid.slice(0, 10)} ${valid.slice(10)}`, /standard base64/],
    ['a trailing newline', `${valid}\n`, /standard base64/],
    ['all zero bytes', Buffer.alloc(32).toString('base64'), /must not be all zero/],
    ['31 bytes', bytes(31), /exactly 32 bytes \(it decodes to 31\)/],
    ['33 bytes', bytes(33), /exactly 32 bytes \(it decodes to 33\)/],
    ['missing padding', valid.replace(/=+$/, ''), /standard base64/],
    ['too much padding', `${valid}=`, /standard base64/],
    ['URL-safe alphabet', slashy.replace(/\+/g, '-').replace(/\//g, '_'), /standard base64/],
    ['non-zero padding bits', paddingBitSet, /not canonical/],
    ['empty', '', /standard base64/],
  ])('rejects %s', (_name, value, problem) => {
    const decoded = decodeMasterKey(value);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.problem).toMatch(problem);
    // The environment names the variable; the backend's parser says the same.
    expect(() => parseEnv({ SECRETS_MASTER_KEY: value || ' ' })).toThrow(EnvError);
    expect(() => parseMasterKey(value, 1)).toThrow(/^SECRETS_MASTER_KEY /);
  });

  it('the non-zero padding bits case really is a second spelling of a key', () => {
    // Buffer.from would decode both spellings; only the canonical one is accepted.
    expect(paddingBitSet).not.toBe(valid);
    expect(Buffer.from(paddingBitSet, 'base64').equals(Buffer.from(valid, 'base64'))).toBe(true);
  });

  it('names SECRETS_MASTER_KEY in the environment error, without the value', () => {
    const value = `!!!!${valid}`;
    const message = (() => {
      try {
        parseEnv({ SECRETS_MASTER_KEY: value });
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message).toContain('SECRETS_MASTER_KEY: must be standard base64');
    expect(message).not.toContain(valid);
  });
});

describe('SECRETS_PREVIOUS_MASTER_KEYS', () => {
  const other = randomBytes(32).toString('base64');

  it('parses version:base64 pairs', () => {
    const decoded = decodePreviousKeys(`1:${valid}, 3:${other}`, 4);
    expect(decoded.ok && decoded.keys.map((k) => [k.version, k.key.toString('base64')])).toEqual([
      [1, valid],
      [3, other],
    ]);
    expect(parseEnv({ SECRETS_MASTER_KEY: other, SECRETS_MASTER_KEY_VERSION: '4', SECRETS_PREVIOUS_MASTER_KEYS: `1:${valid}` }).SECRETS_PREVIOUS_MASTER_KEYS).toBe(`1:${valid}`);
  });

  it.each([
    ['a bad key', `1:!!!!${valid}`, /entry 1 \(version 1\): the key must be standard base64/],
    ['an all-zero key', `1:${Buffer.alloc(32).toString('base64')}`, /entry 1 \(version 1\): the key must not be all zero/],
    ['a short key', `1:${valid}, 2:${bytes(31)}`, /entry 2 \(version 2\): the key must decode to exactly 32 bytes/],
    ['a repeated version', `1:${valid},1:${other}`, /entry 2 \(version 1\): version 1 appears more than once/],
    ['no version', valid, /entry 1 must be version:base64/],
    ['version 0', `0:${valid}`, /entry 1: the version must be a positive integer/],
    ['a trailing comma', `1:${valid},`, /entry 2 must be version:base64/],
  ])('rejects %s, naming the entry', (_name, value, problem) => {
    const decoded = decodePreviousKeys(value);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.problems.join('\n')).toMatch(problem);
    expect(() => parseEnv({ SECRETS_PREVIOUS_MASTER_KEYS: value })).toThrow(/SECRETS_PREVIOUS_MASTER_KEYS: entry/);
    expect(() => parsePreviousKeys(value)).toThrow(/^SECRETS_PREVIOUS_MASTER_KEYS: entry/);
  });

  it('rejects a previous key with the current version', () => {
    expect(() =>
      parseEnv({ SECRETS_MASTER_KEY: valid, SECRETS_MASTER_KEY_VERSION: '2', SECRETS_PREVIOUS_MASTER_KEYS: `1:${other},2:${other}` }),
    ).toThrow(/SECRETS_PREVIOUS_MASTER_KEYS: entry 2 \(version 2\): version 2 is SECRETS_MASTER_KEY_VERSION/);
    expect(() => parsePreviousKeys(`2:${other}`, 2)).toThrow(/version 2 is SECRETS_MASTER_KEY_VERSION/);
  });

  it('never echoes key material in its messages', () => {
    const decoded = decodePreviousKeys(`1:${valid},1:${other},2:${bytes(31)}`);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) for (const secret of [valid, other, bytes(31)]) expect(decoded.problems.join()).not.toContain(secret);
  });
});
