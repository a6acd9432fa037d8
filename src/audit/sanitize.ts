import { SECRET_VALUES } from '../domain/secrets.js';

/** Keys whose values are secrets: dropped from audit details wherever they appear. */
const SECRET_KEY =
  /(token|secret|password|passwd|passphrase|api[_-]?key|access[_-]?key|private[_-]?key|credential|authorization|signature|cookie)/i;
/** `scheme://user:password@host`: the password is masked, the rest kept. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s/@]+@/gi;
// C0 and C1 control characters other than tab and newline, plus the Unicode line/paragraph separators and bidi overrides.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** A UTF-16 surrogate without its partner: not encodable as UTF-8, so Postgres would store something else than we hash. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const MAX_TEXT = 2000;
const MAX_ITEMS = 100;
const MAX_DEPTH = 6;

/** Free text as stored: control characters and lone surrogates shown as U+FFFD, secrets masked, clipped to a sane length. */
export function sanitizeText(text: string): string {
  const clean = text
    .replace(CONTROL, '\uFFFD')
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(SECRET_VALUES, '[redacted]')
    .replace(URL_PASSWORD, '$1[redacted]@');
  return clean.length > MAX_TEXT ? `${clipWhole(clean, MAX_TEXT)}…` : clean;
}

/** Details as stored: secret-named keys removed, strings sanitised, size and depth bounded. */
export function sanitizeDetails(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) return '[truncated]';
  if (typeof value === 'string') return sanitizeText(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value === null || typeof value === 'boolean') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((item) => sanitizeDetails(item, depth + 1));
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([key, item]) => !SECRET_KEY.test(key) && item !== undefined)
        .slice(0, MAX_ITEMS)
        .map(([key, item]) => [sanitizeText(key), sanitizeDetails(item, depth + 1)]),
    );
  }
  return sanitizeText(String(value));
}

/** The first `length` UTF-16 units, without splitting a surrogate pair. */
function clipWhole(text: string, length: number): string {
  const code = text.charCodeAt(length - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
}
