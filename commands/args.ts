import { AppError } from '../src/errors.js';

/** Longest command text accepted, in characters: far above any real command, far below abuse. */
export const MAX_ARGUMENT_TEXT = 2000;

/** How a command declares its flags: `value` flags take one argument (`--ttl 8h`, `--ttl=8h`), `boolean` ones none. */
export type FlagSpec = Readonly<Record<string, { kind: 'value' | 'boolean'; example?: string }>>;

export interface ParsedArgs {
  positionals: string[];
  /** Value flags by name; boolean flags map to `true`. */
  flags: Map<string, string | true>;
}

interface Token {
  text: string;
  /** Quoted tokens are always values, never flags, whatever they contain. */
  quoted: boolean;
}

// Chat clients turn typed quotes into typographic ones; accept both. An opener pairs with any closer of its family.
const DOUBLE_OPENERS = new Set(['"', '\u201c', '\u201e']);
const DOUBLE_CLOSERS = new Set(['"', '\u201c', '\u201d']);
const SINGLE_OPENERS = new Set(["'", '\u2018']);
const SINGLE_CLOSERS = new Set(["'", '\u2019']);
// Chat clients also turn a typed `--` into an em or en dash.
const FLAG_PREFIX = /^(?:--|\u2014|\u2013)(?=[^-\u2014\u2013])/u;
const FLAG_NAME = /^[a-z][a-z0-9-]*$/;
const SPACE = /\s/u;

/** Refuses command text over MAX_ARGUMENT_TEXT characters before any work is done on it. */
export function assertTextLength(text: string): string {
  // Counting UTF-16 units first keeps a huge input from being split into code points just to be refused.
  const length = text.length > MAX_ARGUMENT_TEXT * 2 ? text.length : [...text].length;
  if (length > MAX_ARGUMENT_TEXT) {
    throw new AppError('text_too_long', `The command text is ${length} characters long; at most ${MAX_ARGUMENT_TEXT} are accepted.`);
  }
  return text;
}

/**
 * Splits command text into tokens: whitespace separates, a quote at the start of a token (or right after `=` in
 * `--flag=`) keeps spaces together until its closing quote, and so does a mention token. Works on code points, so any
 * Unicode text is safe.
 */
export function tokenize(text: string): Token[] {
  const characters = [...assertTextLength(text)];
  const tokens: Token[] = [];
  let index = 0;
  while (index < characters.length) {
    if (SPACE.test(characters[index]!)) {
      index += 1;
      continue;
    }
    const { token, next } = readToken(characters, index);
    tokens.push(token);
    index = next;
  }
  return tokens;
}

function readToken(characters: string[], start: number): { token: Token; next: number } {
  let text = '';
  let quoted = false;
  let index = start;
  while (index < characters.length && !SPACE.test(characters[index]!)) {
    const character = characters[index]!;
    if (index === start && character === '<' && characters[index + 1] === '@') {
      // A mention token (`<@U123|Ann Lee>`) is one word, whatever its name holds.
      const end = characters.indexOf('>', index);
      if (end !== -1) {
        text += characters.slice(index, end + 1).join('');
        index = end + 1;
        continue;
      }
    }
    const closers = quoteClosers(character);
    if (closers && (index === start || (text.endsWith('=') && FLAG_PREFIX.test(text)))) {
      const end = characters.findIndex((candidate, position) => position > index && closers.has(candidate));
      if (end === -1) {
        throw new AppError('unterminated_quote', `A quote opened before "${clip(characters.slice(index).join(''))}" is never closed.`);
      }
      text += characters.slice(index + 1, end).join('');
      quoted = quoted || index === start;
      index = end + 1;
      continue;
    }
    text += character;
    index += 1;
  }
  return { token: { text, quoted }, next: index };
}

function quoteClosers(character: string): Set<string> | undefined {
  if (DOUBLE_OPENERS.has(character)) return DOUBLE_CLOSERS;
  if (SINGLE_OPENERS.has(character)) return SINGLE_CLOSERS;
  return undefined;
}

/** Tokenizes and sorts text into positionals and the flags `spec` allows; unknown, repeated or malformed flags are refused. */
export function parseArgs(text: string, spec: FlagSpec): ParsedArgs {
  const tokens = tokenize(text);
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let index = 0; index < tokens.length; index += 1) {
    const token = tokens[index]!;
    const flag = token.quoted ? undefined : flagOf(token.text);
    if (!flag) {
      positionals.push(token.text);
      continue;
    }
    const definition = Object.hasOwn(spec, flag.name) ? spec[flag.name] : undefined;
    if (!definition) throw unknownFlag(flag.name, spec);
    if (flags.has(flag.name)) {
      throw new AppError('duplicate_flag', `--${flag.name} is given more than once; give it once.`);
    }
    if (definition.kind === 'boolean') {
      if (flag.inlineValue !== undefined) throw new AppError('invalid_flag', `--${flag.name} takes no value.`);
      flags.set(flag.name, true);
      continue;
    }
    if (flag.inlineValue !== undefined) {
      flags.set(flag.name, flag.inlineValue);
      continue;
    }
    const next = tokens[index + 1];
    if (!next || (!next.quoted && flagOf(next.text))) {
      const example = definition.example ? `, e.g. --${flag.name} ${definition.example}` : '';
      throw new AppError('missing_flag_value', `--${flag.name} needs a value${example}.`);
    }
    flags.set(flag.name, next.text);
    index += 1;
  }
  return { positionals, flags };
}

function flagOf(text: string): { name: string; inlineValue: string | undefined } | undefined {
  const prefix = FLAG_PREFIX.exec(text);
  if (!prefix) {
    if (text === '--' || text === '\u2014' || text === '\u2013') {
      throw new AppError('invalid_flag', 'A lone "--" is not a flag: flags look like --name value.');
    }
    return undefined;
  }
  const body = text.slice(prefix[0].length);
  const equals = body.indexOf('=');
  const name = (equals === -1 ? body : body.slice(0, equals)).toLowerCase();
  if (!FLAG_NAME.test(name)) {
    throw new AppError('invalid_flag', `"${clip(text)}" is not a flag: flags look like --name value.`);
  }
  return { name, inlineValue: equals === -1 ? undefined : body.slice(equals + 1) };
}

function unknownFlag(name: string, spec: FlagSpec): AppError {
  const known = Object.keys(spec).map((flag) => `--${flag}`);
  const allowed = known.length === 0 ? 'this command takes no flags' : `allowed: ${known.join(', ')}`;
  return new AppError('unknown_flag', `--${clip(name)} is not a flag of this command (${allowed}).`);
}

/** Text quoted back to the user in a message: one line, bounded. */
export function clip(text: string, limit = 40): string {
  const characters = [...text.replace(/\s+/gu, ' ')];
  return characters.length > limit ? `${characters.slice(0, limit).join('')}…` : characters.join('');
}

/** Splits "request soc-platform --ttl 8h" into the sub-command word and the rest, as typed. */
export function splitSubcommand(text: string): { word: string; rest: string } {
  const match = /^\s*(\S*)\s*([\s\S]*)$/u.exec(assertTextLength(text));
  return { word: match?.[1] ?? '', rest: match?.[2] ?? '' };
}

export function isSubcommand<T extends string>(names: readonly T[], word: string): word is T {
  return (names as readonly string[]).includes(word);
}
