import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';
import { KEY_SCOPES, type KeyScope } from './actor.js';
import { holdsSecret, secretRefused } from './secrets.js';

/**
 * API keys: `aitz_` and 40 random base62 characters. Only a SHA-256 of the key is stored, with its first characters
 * (the prefix) to recognise it in lists and the audit log; the key itself is shown once, when it is created.
 */
export const API_KEY_START = 'aitz_';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 40 base62 characters: about 238 bits of randomness. */
export const API_KEY_RANDOM_LENGTH = 40;
/** How many random characters the visible prefix keeps (`aitz_AbC12345`): enough to tell keys apart, far from the key. */
export const API_KEY_PREFIX_RANDOM = 8;
/** What a presented key must look like before anything is looked up (at least 32 base62 characters, as issued keys have 40). */
export const API_KEY_PATTERN = /^aitz_[0-9A-Za-z]{32,128}$/;
export const API_KEY_PREFIX_PATTERN = /^aitz_[0-9A-Za-z]{8}$/;
export const API_KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const API_KEY_NAME_HELP = '1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit';

export interface NewApiKey {
  /** The key, shown once and never stored. */
  key: string;
  prefix: string;
  hash: string;
}

export function newApiKey(): NewApiKey {
  let random = '';
  for (let index = 0; index < API_KEY_RANDOM_LENGTH; index += 1) random += BASE62[randomInt(BASE62.length)];
  const key = `${API_KEY_START}${random}`;
  return { key, prefix: apiKeyPrefix(key), hash: hashApiKey(key) };
}

/** The visible start of a key: `aitz_` and its first 8 random characters. */
export function apiKeyPrefix(key: string): string {
  return key.slice(0, API_KEY_START.length + API_KEY_PREFIX_RANDOM);
}

/** The stored form of a key: SHA-256, hex. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A hash no key has (64 hex digits that SHA-256 output is never compared equal to by chance). */
const NO_HASH = '0'.repeat(64);

/**
 * Whether a presented key is the one whose hash is stored, comparing the two SHA-256 digests in constant time. With
 * no stored hash (no key has that prefix) the same work is done against a hash that matches nothing, so an unknown
 * prefix takes as long to refuse as a wrong key.
 */
export function keyMatches(presented: string, storedHash: string | undefined): boolean {
  const given = Buffer.from(hashApiKey(presented), 'hex');
  const stored = Buffer.from(storedHash !== undefined && /^[0-9a-f]{64}$/.test(storedHash) ? storedHash : NO_HASH, 'hex');
  return timingSafeEqual(given, stored) && storedHash !== undefined;
}

/** Checks the name of a new key. */
export function parseApiKeyName(text: string | undefined): string {
  const name = (text ?? '').trim();
  if (!API_KEY_NAME_PATTERN.test(name)) {
    const shown = name.length > 40 ? `${name.slice(0, 40)}…` : name;
    throw new AppError('invalid_key_name', name === '' ? 'A key name is missing.' : `"${shown}" is not a key name.`, {
      hint: `A key name is ${API_KEY_NAME_HELP}.`,
    });
  }
  if (holdsSecret(name)) throw secretRefused('invalid_key_name', 'key name');
  return name;
}

export function parseKeyScope(text: string | undefined): KeyScope {
  const scope = (text ?? '').trim().toLowerCase();
  if ((KEY_SCOPES as readonly string[]).includes(scope)) return scope as KeyScope;
  throw new AppError('invalid_scope', `"${(text ?? '').slice(0, 40)}" is not a key scope.`, { hint: `Scopes: ${KEY_SCOPES.join(', ')}.` });
}

/** The longest a key may live: a year. Keys without an expiry are not issued. */
export const MAX_KEY_LIFETIME_SECONDS = 365 * 24 * 3600;
/** A key's lifetime when `--expires` is not given. */
export const DEFAULT_KEY_LIFETIME_SECONDS = 90 * 24 * 3600;

export function checkKeyLifetime(seconds: number): void {
  if (seconds < 3600 || seconds > MAX_KEY_LIFETIME_SECONDS) {
    throw new AppError('invalid_expiry', 'A key must live between 1 hour and 365 days.', { hint: 'For example `--expires 90d`.' });
  }
}

/** Why a presented credential opens nothing; the client is told only that it is not valid. */
export type KeyRefusal = 'missing' | 'malformed' | 'unknown' | 'revoked' | 'expired';
