import { AppError } from '../errors.js';

/**
 * Text that looks like a secret whatever field it is in: Slack tokens, AWS key ids, bearer headers, aitz_ API keys (a
 * key is `aitz_` and at least 32 characters; its short visible prefix, which names a key in lists and the audit log,
 * is not one), GitHub tokens and PEM private keys. The audit log masks them; fields that are shown to others refuse
 * them.
 */
const SECRET_PATTERNS = [
  String.raw`xox[abeprs]-[A-Za-z0-9-]+`,
  String.raw`xapp-[A-Za-z0-9-]+`,
  String.raw`(?:AKIA|ASIA)[0-9A-Z]{16}`,
  String.raw`Bearer\s+\S+`,
  String.raw`aitz_[A-Za-z0-9]{20,}`,
  String.raw`gh[pousr]_[A-Za-z0-9]{20,}`,
  String.raw`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)`,
].join('|');

/** Every secret in a text (global: for `replace`). */
export const SECRET_VALUES = new RegExp(SECRET_PATTERNS, 'g');
const ANY_SECRET = new RegExp(SECRET_PATTERNS);

/** True when the text holds something that looks like a secret. */
export function holdsSecret(text: string): boolean {
  return ANY_SECRET.test(text);
}

/**
 * The refusal of a name holding a secret (`code` is the name's own refusal code): a name is shown to others and kept
 * in the audit log, so a key pasted into it by mistake is refused, never stored, and never repeated in the answer.
 */
export function secretRefused(code: string, what: string): AppError {
  return new AppError(code, `The ${what} looks like an API key or a token, so it was not taken: a name is shown to others.`, {
    hint: 'Pick another name. If you pasted a real key, revoke it (`/apikey revoke <name>`) and create a new one.',
  });
}
