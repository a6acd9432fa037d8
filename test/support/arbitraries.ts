import fc from 'fast-check';
import { ACTION_IDS } from '../../blocks/view.js';

/** Strings that have broken parsers, templates, shells and chat markup elsewhere. */
export const INJECTIONS = [
  "'; drop table environments; --",
  '" or 1=1 --',
  '<script>alert(1)</script>',
  '${process.env.SLACK_SIGNING_SECRET}',
  '{{7*7}}',
  '$(rm -rf /)',
  '`id`',
  '../../etc/passwd',
  '%00',
  '\u0000',
  '<!channel> <!here> @everyone',
  '<@U0ADMIN|admin>',
  '=cmd|"/c calc"!A1',
  '\u202eevil\u202c',
  '\ud800',
  'env-aaaaaa\nrole UBOB admin',
  '--ttl --ttl --ttl',
  '"unterminated',
  '\u201csmart quotes\u201d \u2014ttl 8h',
  '__proto__',
  'constructor',
  'toString',
] as const;

/** Words the command parsers know, so random text often gets past the first check and into the deeper ones. */
const KNOWN_WORDS = [
  'help', 'presets', 'request', 'list', 'status', 'extend', 'destroy', 'role', 'export', 'verify', 'head', 'all',
  'quick-sandbox', 'soc-platform', 'ir-dfir-lab', 'env-7k2p9q', 'env-', 'ENV-7K2P9Q', 'admin', 'approver', 'user',
  '--ttl', '--name', '--all', '--from', '--to', '--type', '--actor', '--ttl=8h', '--', '\u2014ttl', '8h', '+2h', '-5h',
  '0s', '1d12h', '99999999d', 'abc', '2024-01-01', '2024-13-45T25:61:61Z', 'team', 'lifecycle', '@alice', '<@U1>',
  '<@U1|a b>', '<@U0ALICE|alice>', '<@U0ALICE|alice', '"My lab"', "'x'", '\u201cquoted\u201d', '=', ',', ',,', '""',
];

/** Any text: unicode of every kind, lone surrogates, injection strings, soups of known words and 10 KB strings. */
export function anyText(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 120 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 120 }) },
    { weight: 2, arbitrary: fc.constantFrom(...INJECTIONS) },
    { weight: 4, arbitrary: wordSoup() },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 10_000, maxLength: 10_240 }) },
    { weight: 1, arbitrary: wordSoup().map((soup) => `${soup} ${'x'.repeat(10_000)}`) },
  );
}

/** Known words, injections and random bits in random order: inputs that look almost right. */
export function wordSoup(): fc.Arbitrary<string> {
  const piece = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...KNOWN_WORDS) },
    { weight: 1, arbitrary: fc.constantFrom(...INJECTIONS) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  );
  return fc.tuple(fc.array(piece, { maxLength: 8 }), fc.constantFrom(' ', '  ', '\t', '\n', '\u00a0', '')).map(([pieces, separator]) => pieces.join(separator || ' '));
}

/** Button action ids: the real ones, near misses and junk. */
export function anyActionId(): fc.Arbitrary<string> {
  return fc.oneof(fc.constantFrom(...ACTION_IDS), fc.constantFrom('Approve', 'approve ', 'destroy2', ''), fc.string({ maxLength: 300 }));
}

/** JSON values, from scalars to nested objects, some with very long strings. */
export function anyJson(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.string({ minLength: 10_000, maxLength: 10_240 }) },
    { weight: 1, arbitrary: fc.constantFrom(null, [], {}, '', 0, true) },
  );
}

/** Like `base`, with some fields dropped, replaced by junk or made huge: a payload from a confused or hostile sender. */
export function mangled(base: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(base);
  return fc
    .tuple(fc.subarray(keys), fc.subarray(keys), fc.subarray(keys), fc.dictionary(fc.string({ maxLength: 12 }), anyJson(), { maxKeys: 3 }), anyJson())
    .map(([dropped, replaced, huge, extra, junk]) => {
      const result: Record<string, unknown> = { ...base, ...extra };
      for (const key of replaced) result[key] = junk;
      for (const key of huge) result[key] = typeof base[key] === 'string' ? `${String(base[key])}${'y'.repeat(10_000)}` : base[key];
      for (const key of dropped) delete result[key];
      return result;
    });
}

/** Content types a client may send, right or wrong. */
export function anyContentType(): fc.Arbitrary<string | undefined> {
  return fc.constantFrom(
    undefined,
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=utf-8',
    'application/json',
    'application/json; charset=latin1',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/xml',
    '',
    'garbage/\u00ff; x=""',
    'application/x-www-form-urlencoded;;;',
  );
}

/** Request bodies: text, JSON, form-looking strings, binary, empty, 10 KB. */
export function anyBody(): fc.Arbitrary<string | Uint8Array> {
  return fc.oneof(
    anyText(),
    anyJson().map((value) => JSON.stringify(value) ?? ''),
    fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 40 }), { maxKeys: 6 }).map((fields) => new URLSearchParams(fields).toString()),
    fc.uint8Array({ maxLength: 2048 }),
    fc.constant(''),
  );
}

/** Runs per property: enough to shake out crashes, few enough for `npm test` to stay quick. */
export const RUNS = { parser: 300, http: 40 } as const;

/** Options of the HTTP properties: a failure is reported as found, since shrinking it would take a request per step. */
export const HTTP_PROPERTY = { numRuns: RUNS.http, endOnFailure: true } as const;
