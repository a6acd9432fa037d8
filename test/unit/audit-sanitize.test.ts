import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sanitizeDetails, sanitizeText } from '../../src/audit/sanitize.js';

describe('sanitizeText', () => {
  it('neutralises control characters, line and paragraph separators and bidi overrides, keeping tab and newline', () => {
    expect(sanitizeText('a\u0000b\u0007c\u001b[2Jd\u007fe\u0085f')).toBe('a\uFFFDb\uFFFDc\uFFFD[2Jd\uFFFDe\uFFFDf');
    expect(sanitizeText('x\u2028y\u2029z')).toBe('x\uFFFDy\uFFFDz');
    expect(sanitizeText('invoice\u202Etxt.exe \u2066hidden\u2069')).toBe('invoice\uFFFDtxt.exe \uFFFDhidden\uFFFD');
    expect(sanitizeText('tab\tnew\nline')).toBe('tab\tnew\nline');
    expect(sanitizeText('carriage\r')).toBe('carriage\uFFFD');
  });

  it('replaces lone surrogates but keeps real astral characters', () => {
    expect(sanitizeText('a\uD800b\uDC00c')).toBe('a\uFFFDb\uFFFDc');
    expect(sanitizeText('rocket 🚀 ok')).toBe('rocket 🚀 ok');
  });

  it('masks secrets wherever they appear in text', () => {
    const masked = sanitizeText(
      'bot xoxb-1234-5678-abcdef app xapp-1-A0-123 key AKIAIOSFODNN7EXAMPLE temp ASIAIOSFODNN7EXAMPLE ' +
        'Authorization: Bearer eyJhbGciOi.abc api aitz_live0123456789abcdefghijklmnopqrstu gh ghp_abcdefghijklmnopqrstuvwxyz0123 ' +
        'db postgres://bot:hunter2@db.internal:5432/app',
    );
    for (const secret of ['xoxb-', 'xapp-', 'AKIA', 'ASIA', 'eyJhbGciOi', 'aitz_live', 'ghp_', 'hunter2']) {
      expect(masked).not.toContain(secret);
    }
    expect(masked).toContain('postgres://bot:[redacted]@db.internal:5432/app');
    expect(sanitizeText('-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY----- after')).toBe('[redacted] after');
  });

  it('keeps the short prefix that names an API key, not the key', () => {
    expect(sanitizeText('key aitz_Ab12Cd34 revoked')).toBe('key aitz_Ab12Cd34 revoked');
  });

  it('leaves ordinary text alone', () => {
    expect(sanitizeText('Approved web-pentest for alice: "needs 4h", café ☕')).toBe('Approved web-pentest for alice: "needs 4h", café ☕');
  });

  it('clips long text without splitting a surrogate pair', () => {
    expect(sanitizeText('a'.repeat(5000))).toBe(`${'a'.repeat(2000)}…`);
    expect(sanitizeText(`${'a'.repeat(1999)}😀tail`)).toBe(`${'a'.repeat(1999)}…`);
  });

  it('always returns well-formed text free of control characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 3000 }), (text) => {
        const clean = sanitizeText(text);
        expect(Buffer.from(clean, 'utf8').toString('utf8')).toBe(clean);
        // eslint-disable-next-line no-control-regex
        expect(clean).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
        expect(clean.length).toBeLessThanOrEqual(2001);
      }),
    );
  });
});

describe('sanitizeDetails', () => {
  it('drops secret-named keys at any depth and masks secret-looking values', () => {
    expect(
      sanitizeDetails({
        preset: 'web-pentest',
        token: 'abc',
        botToken: 'abc',
        SLACK_SIGNING_SECRET: 'abc',
        password: 'x',
        aws_access_key_id: 'x',
        privateKey: 'x',
        nested: { apiKey: 'x', Authorization: 'x', cookie: 'x', ok: [{ credentials: 'x', note: 'xoxp-1-2-3' }] },
      }),
    ).toEqual({ preset: 'web-pentest', nested: { ok: [{ note: '[redacted]' }] } });
  });

  it('keeps JSON-safe values, turns the rest into text, and bounds size and depth', () => {
    const deep = { a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } };
    expect(
      sanitizeDetails({
        n: 1.5,
        inf: Infinity,
        nan: Number.NaN,
        big: 10n,
        when: new Date('2026-11-26T00:00:00Z'),
        bad: new Date('nope'),
        yes: true,
        none: null,
        gone: undefined,
        deep,
        list: Array.from({ length: 150 }, (_, index) => index),
        'key\u0000': 'v\u0007',
      }),
    ).toEqual({
      n: 1.5,
      inf: 'Infinity',
      nan: 'NaN',
      big: '10',
      when: '2026-11-26T00:00:00.000Z',
      bad: 'Invalid Date',
      yes: true,
      none: null,
      deep: { a: { b: { c: { d: { e: { f: '[truncated]' } } } } } },
      list: Array.from({ length: 100 }, (_, index) => index),
      'key\uFFFD': 'v\uFFFD',
    });
  });
});
