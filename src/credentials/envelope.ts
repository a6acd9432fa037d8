import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Envelope encryption with AES-256-GCM. Each secret is sealed with a data key of its own; the data key is stored
 * wrapped (sealed) by the key-encryption key, CREDENTIALS_KEY. A copy of the database alone opens nothing, and
 * re-keying rewraps the data keys without touching the sealed secrets. A check value sealed by the key-encryption key
 * tells, before any secret is needed, whether the key given is the one the secrets were sealed under.
 *
 * Every sealed value is `v1.<iv>.<tag>.<ciphertext>` (base64), bound by GCM's associated data to what it belongs to,
 * so a value copied onto another row does not open.
 */

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CHECK_PLAINTEXT = Buffer.from('aithroyz credentials check', 'utf8');
const CHECK_CONTEXT = 'aithroyz:check';

export type EnvelopeFailure = 'malformed_key' | 'wrong_key' | 'tampered';

/** Why sealed data cannot be opened. Its message never holds key material or plaintext. */
export class EnvelopeError extends Error {
  constructor(
    readonly kind: EnvelopeFailure,
    message: string,
  ) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

export function isEnvelopeError(error: unknown, kind?: EnvelopeFailure): error is EnvelopeError {
  return error instanceof EnvelopeError && (kind === undefined || error.kind === kind);
}

/** A key-encryption key: 32 bytes. */
export interface MasterKey {
  readonly bytes: Buffer;
  /** A fingerprint that names the key without revealing it (an HMAC of a constant under the key). */
  readonly fingerprint: string;
}

/** How to make a key, for messages that ask for one. */
export const MAKE_KEY_HINT = 'Make one with `openssl rand -base64 32` (or `node -e "console.log(crypto.randomBytes(32).toString(\'base64\'))"`).';

/** Reads a base64 key of 32 bytes; `name` is the setting it came from, for the message. */
export function parseMasterKey(base64: string, name = 'CREDENTIALS_KEY'): MasterKey {
  const text = base64.trim();
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (bytes.length !== KEY_BYTES) {
    throw new EnvelopeError('malformed_key', `${name} must be 32 random bytes in base64 (44 characters). ${MAKE_KEY_HINT}`);
  }
  return { bytes, fingerprint: fingerprintOf(bytes) };
}

function fingerprintOf(bytes: Buffer): string {
  return createHmac('sha256', bytes).update('aithroyz:key-fingerprint').digest('hex').slice(0, 16);
}

/** A secret as stored: its data key wrapped by the master key, and the secret sealed by the data key. */
export interface SealedSecret {
  wrappedKey: string;
  ciphertext: string;
}

/** Seals `plaintext` for the record named `context` (the cloud key's id) under a fresh data key. */
export function sealSecret(master: MasterKey, plaintext: Buffer, context: string): SealedSecret {
  const dataKey = randomBytes(KEY_BYTES);
  try {
    return {
      wrappedKey: seal(master.bytes, dataKey, wrapContext(context)),
      ciphertext: seal(dataKey, plaintext, secretContext(context)),
    };
  } finally {
    dataKey.fill(0);
  }
}

/** Opens a sealed secret; an EnvelopeError `tampered` when it was altered, moved to another record or sealed under another key. */
export function openSecret(master: MasterKey, sealed: SealedSecret, context: string): Buffer {
  const dataKey = open(master.bytes, sealed.wrappedKey, wrapContext(context), 'data key');
  try {
    return open(dataKey, sealed.ciphertext, secretContext(context), 'secret');
  } finally {
    dataKey.fill(0);
  }
}

/** The same secret under another master key: the data key is rewrapped, the ciphertext stays as it is. */
export function rewrapSecret(from: MasterKey, to: MasterKey, sealed: SealedSecret, context: string): SealedSecret {
  const dataKey = open(from.bytes, sealed.wrappedKey, wrapContext(context), 'data key');
  try {
    return { wrappedKey: seal(to.bytes, dataKey, wrapContext(context)), ciphertext: sealed.ciphertext };
  } finally {
    dataKey.fill(0);
  }
}

/** The check value stored beside the secrets: the fingerprint of the master key and a constant sealed under it. */
export interface CheckValue {
  fingerprint: string;
  sealed: string;
}

export function makeCheckValue(master: MasterKey): CheckValue {
  return { fingerprint: master.fingerprint, sealed: seal(master.bytes, CHECK_PLAINTEXT, CHECK_CONTEXT) };
}

/**
 * Throws unless `master` is the key the check value was made with: `wrong_key` when the fingerprints differ,
 * `tampered` when they match but the sealed constant does not open to what it should.
 */
export function verifyCheckValue(master: MasterKey, check: CheckValue, name = 'CREDENTIALS_KEY'): void {
  if (!sameText(master.fingerprint, check.fingerprint)) {
    throw new EnvelopeError('wrong_key', `${name} is not the key the stored cloud keys were sealed with.`);
  }
  let opened: Buffer;
  try {
    opened = open(master.bytes, check.sealed, CHECK_CONTEXT, 'check value');
  } catch {
    throw new EnvelopeError('tampered', `The stored check value of the cloud keys was altered: ${name} matches its fingerprint but does not open it.`);
  }
  if (!opened.equals(CHECK_PLAINTEXT)) {
    throw new EnvelopeError('tampered', 'The stored check value of the cloud keys was altered.');
  }
}

function wrapContext(context: string): string {
  return `aithroyz:data-key:${context}`;
}

function secretContext(context: string): string {
  return `aithroyz:secret:${context}`;
}

function seal(key: Buffer, plaintext: Buffer, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv.toString('base64'), tag.toString('base64'), ciphertext.toString('base64')].join('.');
}

function open(key: Buffer, sealed: string, context: string, what: string): Buffer {
  const parts = sealed.split('.');
  const [iv, tag, ciphertext] = parts.slice(1).map((part) => Buffer.from(part, 'base64'));
  if (parts.length !== 4 || parts[0] !== VERSION || !iv || !tag || !ciphertext || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new EnvelopeError('tampered', `The stored ${what} is not in the sealed format (${VERSION}.iv.tag.ciphertext): it was altered.`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new EnvelopeError('tampered', `The stored ${what} does not open: it was altered, copied from another record, or sealed under another key.`);
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
