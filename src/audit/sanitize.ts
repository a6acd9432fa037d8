/** Keys whose values are secrets: dropped from audit details wherever they appear. */
const SECRET_KEY = /(token|secret|password|passphrase|api[_-]?key|access[_-]?key|private[_-]?key|credential|authorization|signature)/i;
/** Values that look like secrets whatever their key: Slack tokens, AWS keys, bearer headers, aitz_ API keys. */
const SECRET_VALUE = /(xox[abprs]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|AKIA[0-9A-Z]{16}|Bearer\s+\S+|aitz_[A-Za-z0-9]+)/g;
// C0 and C1 control characters other than tab and newline, plus the Unicode line/paragraph separators and bidi overrides.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const MAX_TEXT = 2000;

/** Free text as stored: control characters shown as U+FFFD, secrets masked, clipped to a sane length. */
export function sanitizeText(text: string): string {
  const clean = text.replace(CONTROL, '\uFFFD').replace(SECRET_VALUE, '[redacted]');
  return clean.length > MAX_TEXT ? `${clean.slice(0, MAX_TEXT)}…` : clean;
}

/** Details as stored: secret-named keys removed, strings sanitised, depth bounded. */
export function sanitizeDetails(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[truncated]';
  if (typeof value === 'string') return sanitizeText(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value === null || typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.slice(0, 100).map((item) => sanitizeDetails(item, depth + 1));
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([key, item]) => !SECRET_KEY.test(key) && item !== undefined)
        .map(([key, item]) => [sanitizeText(key), sanitizeDetails(item, depth + 1)]),
    );
  }
  return String(value);
}
