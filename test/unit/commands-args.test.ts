import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_ARGUMENT_TEXT, parseArgs, splitSubcommand, tokenize, type FlagSpec } from '../../commands/args.js';
import { AppError } from '../../src/errors.js';

const SPEC: FlagSpec = { ttl: { kind: 'value', example: '8h' }, name: { kind: 'value' }, all: { kind: 'boolean' } };

function refusal(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('tokenize', () => {
  it('splits on any whitespace, including newlines and non-breaking spaces', () => {
    expect(tokenize('  a\tb\nc\u00a0d  ').map((token) => token.text)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('keeps quoted text together, with straight or typographic quotes', () => {
    expect(tokenize('"My lab" \u201cTheir lab\u201d \'one more\' \u2018last one\u2019').map((token) => token.text)).toEqual([
      'My lab', 'Their lab', 'one more', 'last one',
    ]);
  });

  it('marks tokens that began with a quote as quoted, and only those', () => {
    expect(tokenize('"--ttl" --ttl').map((token) => token.quoted)).toEqual([true, false]);
  });

  it('treats quotes inside a word as text, so apostrophes need no quoting', () => {
    expect(tokenize('Bob\'s lab\u2019s').map((token) => token.text)).toEqual(["Bob's", 'lab\u2019s']);
  });

  it('reads a quoted value after --flag=', () => {
    expect(tokenize('--name="My lab" x').map((token) => token.text)).toEqual(['--name=My lab', 'x']);
  });

  it('refuses an unclosed quote, naming where it started', () => {
    const error = refusal(() => tokenize('request soc --name "My lab'));
    expect(error.code).toBe('unterminated_quote');
    expect(error.message).toContain('"My lab');
  });

  it('keeps unicode intact: accents, CJK, emoji with joiners, astral characters', () => {
    const text = 'Café 実験 👩\u200d🔬 𝔘𝔫𝔦';
    expect(tokenize(text).map((token) => token.text)).toEqual(['Café', '実験', '👩\u200d🔬', '𝔘𝔫𝔦']);
  });

  it('accepts text of exactly the maximum length and refuses one character more', () => {
    expect(tokenize('a'.repeat(MAX_ARGUMENT_TEXT))).toHaveLength(1);
    const error = refusal(() => tokenize('a'.repeat(MAX_ARGUMENT_TEXT + 1)));
    expect(error.code).toBe('text_too_long');
    expect(error.message).toContain(`at most ${MAX_ARGUMENT_TEXT}`);
  });

  it('refuses 10 KB of text cleanly, and far longer text without splitting it into characters first', () => {
    const error = refusal(() => tokenize('x '.repeat(5120)));
    expect(error.code).toBe('text_too_long');
    expect(error.message).toContain('10240 characters');
    // 500,000 emoji are 1,000,000 UTF-16 units: the length given is the units', so no work was done on the text.
    const huge = refusal(() => tokenize('😀'.repeat(500_000)));
    expect(huge.message).toContain('1000000 characters');
  });

  it('counts characters, not UTF-16 units: 2000 emoji are accepted', () => {
    expect(tokenize('😀'.repeat(MAX_ARGUMENT_TEXT))).toHaveLength(1);
  });

  it('never throws anything but an AppError, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
        try {
          const tokens = tokenize(text);
          for (const token of tokens) expect(typeof token.text).toBe('string');
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
        }
      }),
    );
  });
});

describe('parseArgs', () => {
  it('sorts positionals, value flags and boolean flags', () => {
    const parsed = parseArgs('soc-platform --ttl 8h --name "My lab" --all', SPEC);
    expect(parsed.positionals).toEqual(['soc-platform']);
    expect(Object.fromEntries(parsed.flags)).toEqual({ ttl: '8h', name: 'My lab', all: true });
  });

  it('accepts --flag=value, upper-case flag names and the dashes chat clients substitute for --', () => {
    const parsed = parseArgs('--TTL=2h \u2014name lab', SPEC);
    expect(Object.fromEntries(parsed.flags)).toEqual({ ttl: '2h', name: 'lab' });
  });

  it('takes a quoted token that looks like a flag as a value', () => {
    expect(parseArgs('--name "--all"', SPEC).flags.get('name')).toBe('--all');
  });

  it('takes a single-dash token as a value, so --ttl -5h reaches the duration check', () => {
    expect(parseArgs('--ttl -5h', SPEC).flags.get('ttl')).toBe('-5h');
  });

  it('refuses unknown flags and lists the allowed ones', () => {
    const error = refusal(() => parseArgs('x --force', SPEC));
    expect(error.code).toBe('unknown_flag');
    expect(error.message).toContain('--force');
    expect(error.message).toContain('--ttl, --name, --all');
  });

  it('says when a command takes no flags at all', () => {
    expect(refusal(() => parseArgs('--all', {})).message).toContain('takes no flags');
  });

  it('refuses a flag given twice, even in different spellings', () => {
    expect(refusal(() => parseArgs('--ttl 1h --ttl=2h', SPEC)).code).toBe('duplicate_flag');
    expect(refusal(() => parseArgs('--all --ALL', SPEC)).code).toBe('duplicate_flag');
  });

  it('refuses a value flag without a value, at the end or before another flag', () => {
    const atEnd = refusal(() => parseArgs('soc --ttl', SPEC));
    expect(atEnd.code).toBe('missing_flag_value');
    expect(atEnd.message).toContain('e.g. --ttl 8h');
    expect(refusal(() => parseArgs('--ttl --all', SPEC)).code).toBe('missing_flag_value');
  });

  it('refuses a value on a boolean flag', () => {
    expect(refusal(() => parseArgs('--all=yes', SPEC)).code).toBe('invalid_flag');
  });

  it('refuses malformed flags: a lone --, punctuation in the name', () => {
    expect(refusal(() => parseArgs('--', SPEC)).code).toBe('invalid_flag');
    expect(refusal(() => parseArgs('--t;l 8h', SPEC)).code).toBe('invalid_flag');
  });

  it('is not fooled by prototype names', () => {
    expect(refusal(() => parseArgs('--constructor x', SPEC)).code).toBe('unknown_flag');
    expect(refusal(() => parseArgs('--to-string x', SPEC)).code).toBe('unknown_flag');
  });
});

describe('splitSubcommand', () => {
  it('splits the first word from the rest, keeping the rest as typed', () => {
    expect(splitSubcommand('  request  soc --name "a  b"')).toEqual({ word: 'request', rest: 'soc --name "a  b"' });
    expect(splitSubcommand('')).toEqual({ word: '', rest: '' });
    expect(splitSubcommand('list\n--all')).toEqual({ word: 'list', rest: '--all' });
  });

  it('refuses text over the maximum before splitting it', () => {
    expect(refusal(() => splitSubcommand(`request ${'a'.repeat(10_240)}`)).code).toBe('text_too_long');
  });
});
