import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  EnvelopeError,
  makeCheckValue,
  openSecret,
  parseMasterKey,
  rewrapSecret,
  sealSecret,
  verifyCheckValue,
  type SealedSecret,
} from '../../src/credentials/envelope.js';

const newKey = () => parseMasterKey(randomBytes(32).toString('base64'));
const SECRET = Buffer.from('{"accessKeyId":"AKIAEXAMPLEEXAMPLE12","secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}');

/** Flips one bit of one base64 part of a sealed value (`v1.iv.tag.ciphertext`). */
function flip(sealed: string, part: 1 | 2 | 3): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part]!, 'base64');
  bytes[0] = bytes[0]! ^ 0x01;
  parts[part] = bytes.toString('base64');
  return parts.join('.');
}

function refusal(run: () => unknown): EnvelopeError {
  try {
    run();
  } catch (error) {
    if (error instanceof EnvelopeError) return error;
    throw error;
  }
  throw new Error('expected an EnvelopeError');
}

describe('the envelope', () => {
  it('opens what it sealed, with a fresh data key and iv each time', () => {
    const master = newKey();
    const first = sealSecret(master, SECRET, 'key-abc234');
    const second = sealSecret(master, SECRET, 'key-abc234');
    expect(openSecret(master, first, 'key-abc234').equals(SECRET)).toBe(true);
    expect(first.wrappedKey).not.toBe(second.wrappedKey);
    expect(first.ciphertext).not.toBe(second.ciphertext);
    expect(first.ciphertext).toMatch(/^v1\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    expect(JSON.stringify(first)).not.toContain('AKIA');
  });

  it('refuses to open with another master key, saying it may be another key', () => {
    const sealed = sealSecret(newKey(), SECRET, 'key-abc234');
    const error = refusal(() => openSecret(newKey(), sealed, 'key-abc234'));
    expect(error.kind).toBe('tampered');
    expect(error.message).toBe('The stored data key does not open: it was altered, copied from another record, or sealed under another key.');
  });

  it('refuses a tampered ciphertext, tag or iv, and a wrapped key moved to another record', () => {
    const master = newKey();
    const sealed = sealSecret(master, SECRET, 'key-abc234');
    for (const part of [1, 2, 3] as const) {
      const tampered: SealedSecret = { ...sealed, ciphertext: flip(sealed.ciphertext, part) };
      expect(refusal(() => openSecret(master, tampered, 'key-abc234')).message).toMatch(/^The stored secret does not open: it was altered/);
    }
    expect(refusal(() => openSecret(master, { ...sealed, wrappedKey: flip(sealed.wrappedKey, 3) }, 'key-abc234')).message).toMatch(/data key does not open/);
    expect(refusal(() => openSecret(master, sealed, 'key-other2')).kind).toBe('tampered');
    expect(refusal(() => openSecret(master, { ...sealed, ciphertext: 'not sealed' }, 'key-abc234')).message).toMatch(/not in the sealed format/);
  });

  it('rewraps the data key under a new master key and leaves the ciphertext as it was', () => {
    const [from, to] = [newKey(), newKey()];
    const sealed = sealSecret(from, SECRET, 'key-abc234');
    const rewrapped = rewrapSecret(from, to, sealed, 'key-abc234');
    expect(rewrapped.ciphertext).toBe(sealed.ciphertext);
    expect(openSecret(to, rewrapped, 'key-abc234').equals(SECRET)).toBe(true);
    expect(() => openSecret(from, rewrapped, 'key-abc234')).toThrow(EnvelopeError);
  });
});

describe('the check value', () => {
  it('passes for the key it was made with', () => {
    const master = newKey();
    expect(() => verifyCheckValue(master, makeCheckValue(master))).not.toThrow();
  });

  it('says a different key is the wrong key', () => {
    const error = refusal(() => verifyCheckValue(newKey(), makeCheckValue(newKey())));
    expect(error.kind).toBe('wrong_key');
    expect(error.message).toBe('CREDENTIALS_KEY is not the key the stored cloud keys were sealed with.');
  });

  it('says a check value altered under the right key was tampered with', () => {
    const master = newKey();
    const check = makeCheckValue(master);
    const error = refusal(() => verifyCheckValue(master, { ...check, sealed: flip(check.sealed, 3) }));
    expect(error.kind).toBe('tampered');
    expect(error.message).toMatch(/check value of the cloud keys was altered/);
    // A check value resealed with another key under the right fingerprint is caught too.
    const forged = { fingerprint: check.fingerprint, sealed: makeCheckValue(newKey()).sealed };
    expect(refusal(() => verifyCheckValue(master, forged)).kind).toBe('tampered');
  });

  it('names the fingerprint of a key without revealing it, and refuses keys that are not 32 bytes', () => {
    const text = randomBytes(32).toString('base64');
    const master = parseMasterKey(text);
    expect(master.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(master.fingerprint).toBe(parseMasterKey(text).fingerprint);
    expect(text).not.toContain(master.fingerprint);
    const short = refusal(() => parseMasterKey(randomBytes(16).toString('base64')));
    expect(short.kind).toBe('malformed_key');
    expect(short.message).toMatch(/^CREDENTIALS_KEY must be 32 random bytes in base64 \(44 characters\)\. Make one with `openssl rand -base64 32`/);
    expect(refusal(() => parseMasterKey('not base64 at all!!', 'CREDENTIALS_KEY_OLD')).message).toMatch(/^CREDENTIALS_KEY_OLD must be/);
  });
});
