import { AUDIT_EVENTS, isAuditCategory, isAuditEventType, type AuditCategory, type AuditEventType } from '../src/audit/events.js';
import { allEventTypes, type AuditFilters } from '../src/audit/filters.js';
import type { MentionedUser } from '../src/chat/types.js';
import { AppError } from '../src/errors.js';
import { clip } from './args.js';
import { readMention } from './mentions.js';
import { AUDIT_USAGE, usageHint } from './usage.js';

/** `/audit export [--from …] [--to …] [--type …] [--actor …]`: the text after `export`, read into audit filters. */

export interface ParseFiltersOptions {
  now: Date;
  /** The users the door resolved in the command's text: `--actor` may mention one of them. */
  mentions?: readonly MentionedUser[];
}

export const DEFAULT_SPAN_DAYS = 7;
const DAY_MS = 86_400_000;
const FLAGS = ['from', 'to', 'type', 'actor'] as const;
type Flag = (typeof FLAGS)[number];
/** Tokens: a mention `<@U1|some name>` (may hold spaces), a double-quoted string, or a run of non-spaces. */
const TOKEN = /<@[^>]*>|"[^"]*"|\S+/g;
const USER_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Parses the arguments of `/audit export` (the text after `export`). With no dates: the last 7 days up to now; with
 * only `--to`: the 7 days before it. Refuses unknown or repeated flags, stray words, bad dates, `--from` after `--to`,
 * unknown types and malformed actors with an `invalid_filter` AppError that says how to do it right.
 */
export function parseAuditFilters(text: string, options: ParseFiltersOptions): AuditFilters {
  const flags = readFlags(text);
  const to = flags.to === undefined ? options.now : parseFilterTime(flags.to, 'end', '--to');
  const from = flags.from === undefined ? new Date(to.getTime() - DEFAULT_SPAN_DAYS * DAY_MS) : parseFilterTime(flags.from, 'start', '--from');
  if (from.getTime() > to.getTime()) {
    throw invalid(`--from (${from.toISOString()}) is after --to (${to.toISOString()}).`, 'Give a --from that is on or before --to.');
  }
  const types = flags.type === undefined ? [] : parseTypes(flags.type);
  const actorId = flags.actor === undefined ? undefined : parseActor(flags.actor, options.mentions);
  return actorId === undefined ? { from, to, types } : { from, to, types, actorId };
}

function readFlags(text: string): Partial<Record<Flag, string>> {
  // `--type team, audit`: spaces after commas belong to the list, not between flags.
  const tokens = (text.replace(/,\s+/g, ',').match(TOKEN) ?? []).map(unquote);
  const flags: Partial<Record<Flag, string>> = {};
  for (let index = 0; index < tokens.length; index += 1) {
    const token = tokens[index]!;
    if (!token.startsWith('--')) throw invalid(`Unexpected "${clip(token)}": every filter is a --flag followed by a value.`);
    const [name, inline] = splitInline(token.slice(2));
    if (!isFlag(name)) throw invalid(`Unknown option --${clip(name)}. Options: ${FLAGS.map((flag) => `--${flag}`).join(', ')}.`);
    if (flags[name] !== undefined) throw invalid(`--${name} is given twice; give it once (several types go comma-separated).`);
    const value = inline ?? tokens[index + 1];
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) {
      throw invalid(`--${name} needs a value.`);
    }
    if (inline === undefined) index += 1;
    flags[name] = value;
  }
  return flags;
}

/** A comma-separated list of categories and events, as the event types they stand for (in the list's order). */
export function parseTypes(text: string): AuditEventType[] {
  const names = text.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
  if (names.length === 0) throw invalid('--type needs at least one category or event.', validTypesHint());
  const unknown = names.filter((name) => !isAuditCategory(name) && !isAuditEventType(name));
  if (unknown.length > 0) {
    throw invalid(`Unknown audit type${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `"${clip(name)}"`).join(', ')}. ${validTypesHint()}`);
  }
  const selected = new Set<string>(names.flatMap((name) => (isAuditCategory(name) ? [...AUDIT_EVENTS[name]] : [name])));
  return allEventTypes().filter((type) => selected.has(type));
}

function parseActor(text: string, mentions: readonly MentionedUser[] | undefined): string {
  const mention = readMention(text, mentions);
  if (mention?.kind === 'user') return mention.user.id;
  if (mention) {
    throw invalid(`${clip(mention.shown)} is not someone this chat knows.`, 'Mention a member of the workspace (type @ and pick them from the list), or give their user id.');
  }
  if (USER_ID.test(text)) return text;
  throw invalid(`"${clip(text)}" is not a user: --actor takes a mention (@alice) or a user id (U0123ABCD).`);
}

function validTypesHint(): string {
  const categories = (Object.keys(AUDIT_EVENTS) as AuditCategory[]).map(
    (category) => `${category} (${AUDIT_EVENTS[category].join(', ')})`,
  );
  return `Valid types are a category or one of its events: ${categories.join('; ')}.`;
}


/** `YYYY-MM-DD`, optionally `THH:MM[:SS[.mmm]]` and a zone (`Z` or `±HH:MM`); no zone means UTC. */
const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** How long the last unit written lasts: an inclusive `--to` reaches the end of it (a day, minute, second or ms). */
const PRECISION_MS = { day: 86_400_000, minute: 60_000, second: 1_000, millisecond: 1 } as const;

/**
 * A `--from` / `--to` value as an instant. `start` gives the first millisecond of what was written, `end` the last: so
 * `--to 2026-11-26` means up to 2026-11-26T23:59:59.999Z and `--to 2026-11-26T10:00` up to 10:00:59.999.
 */
export function parseFilterTime(text: string, edge: 'start' | 'end', flag: string): Date {
  const match = TIME.exec(text.trim());
  if (!match) throw badTime(text, flag);
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const parts = {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(hour ?? 0),
    minute: Number(minute ?? 0),
    second: Number(second ?? 0),
    ms: Number((fraction ?? '0').padEnd(3, '0')),
  };
  const local = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second, parts.ms);
  if (!sameParts(new Date(local), parts)) throw badTime(text, flag);
  const offsetMs = zone === undefined ? 0 : zoneOffsetMs(zone, text, flag);
  const start = local - offsetMs;
  if (edge === 'start') return new Date(start);
  const precision =
    hour === undefined ? 'day' : second === undefined ? 'minute' : fraction === undefined ? 'second' : 'millisecond';
  return new Date(start + PRECISION_MS[precision] - 1);
}

function sameParts(date: Date, parts: { year: number; month: number; day: number; hour: number; minute: number; second: number }): boolean {
  return (
    date.getUTCFullYear() === parts.year &&
    date.getUTCMonth() === parts.month - 1 &&
    date.getUTCDate() === parts.day &&
    date.getUTCHours() === parts.hour &&
    date.getUTCMinutes() === parts.minute &&
    date.getUTCSeconds() === parts.second
  );
}

function zoneOffsetMs(zone: string, text: string, flag: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2));
  if (hours > 14 || minutes > 59) throw badTime(text, flag);
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes) * 60_000;
}

function badTime(text: string, flag: string): AppError {
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return new AppError('invalid_filter', `${flag} "${shown}" is not a date or time.`, {
    hint: `Give a UTC date (2026-11-26) or an ISO 8601 time (2026-11-26T10:00:00Z) after ${flag}.`,
  });
}

function splitInline(token: string): [string, string | undefined] {
  const equals = token.indexOf('=');
  return equals === -1 ? [token.toLowerCase(), undefined] : [token.slice(0, equals).toLowerCase(), token.slice(equals + 1)];
}

function isFlag(name: string): name is Flag {
  return (FLAGS as readonly string[]).includes(name);
}

function unquote(token: string): string {
  return token.length >= 2 && token.startsWith('"') && token.endsWith('"') ? token.slice(1, -1) : token;
}

function invalid(message: string, hint = usageHint(AUDIT_USAGE.export)): AppError {
  return new AppError('invalid_filter', message, { hint });
}
