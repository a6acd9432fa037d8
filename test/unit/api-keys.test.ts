import type * as crypto from 'node:crypto';
import { timingSafeEqual } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import {
  API_KEY_PATTERN,
  apiKeyPrefix,
  checkKeyLifetime,
  hashApiKey,
  keyMatches,
  newApiKey,
  parseApiKeyName,
  parseKeyScope,
} from '../../src/domain/api-keys.js';
import { isAppError } from '../../src/errors.js';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof crypto>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (isAppError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('API keys', () => {
  it('are aitz_ and 40 random base62 characters, stored as a SHA-256 hash with a visible prefix', () => {
    const keys = Array.from({ length: 200 }, () => newApiKey());
    for (const { key, prefix, hash } of keys) {
      expect(key).toMatch(/^aitz_[0-9A-Za-z]{40}$/);
      expect(API_KEY_PATTERN.test(key)).toBe(true);
      expect(prefix).toBe(key.slice(0, 13));
      expect(prefix).toMatch(/^aitz_[0-9A-Za-z]{8}$/);
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(hash).toBe(hashApiKey(key));
      expect(hash).not.toContain(key.slice(13));
    }
    expect(new Set(keys.map((key) => key.key)).size).toBe(keys.length);
    // Every base62 character turns up: the randomness is spread over the whole alphabet.
    expect(new Set(keys.flatMap((key) => [...key.key.slice(5)])).size).toBe(62);
    expect(apiKeyPrefix('aitz_AbCdEfGh123')).toBe('aitz_AbCdEfGh');
  });

  it('matches a presented key by comparing SHA-256 digests in constant time, an unknown prefix included', () => {
    const { key, hash } = newApiKey();
    const compare = vi.mocked(timingSafeEqual);
    compare.mockClear();
    expect(keyMatches(key, hash)).toBe(true);
    expect(keyMatches(`${key.slice(0, -1)}${key.endsWith('a') ? 'b' : 'a'}`, hash)).toBe(false);
    expect(keyMatches(key, undefined)).toBe(false);
    expect(keyMatches(key, 'not a hash')).toBe(false);
    expect(keyMatches(key, '0'.repeat(64))).toBe(false);
    // Each check, known prefix or not, is one comparison of two 32-byte digests.
    expect(compare).toHaveBeenCalledTimes(5);
    for (const [given, stored] of compare.mock.calls) {
      expect((given as Buffer).length).toBe(32);
      expect((stored as Buffer).length).toBe(32);
    }
  });

  it('checks names, scopes and lifetimes', () => {
    expect(parseApiKeyName(' ci-deploy_1.x ')).toBe('ci-deploy_1.x');
    for (const bad of ['', '-x', 'has space', 'x'.repeat(65), 'emoji😀', '<@U1>']) expect(codeOf(() => parseApiKeyName(bad)), bad).toBe('invalid_key_name');
    // A key pasted as the name of another: refused, never stored as a name.
    expect(codeOf(() => parseApiKeyName(newApiKey().key))).toBe('invalid_key_name');
    expect(parseKeyScope('READ')).toBe('read');
    expect(parseKeyScope('write')).toBe('write');
    expect(codeOf(() => parseKeyScope('admin'))).toBe('invalid_scope');
    expect(codeOf(() => checkKeyLifetime(90 * 86_400))).toBeUndefined();
    expect(codeOf(() => checkKeyLifetime(60))).toBe('invalid_expiry');
    expect(codeOf(() => checkKeyLifetime(400 * 86_400))).toBe('invalid_expiry');
  });
});
