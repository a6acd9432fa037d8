import { AppError } from '../errors.js';
import { AUDIT_EVENTS, isAuditCategory, isAuditEventType, type AuditCategory, type AuditEventType } from './events.js';
import { parseFilterTime } from './filter-time.js';

/** What `/audit export` selects: entries with `from <= occurred_at <= to`, of these types, by this actor. */
export interface AuditFilters {
  from: Date;
  to: Date;
  /** Event types to include; empty means every type. */
  types: AuditEventType[];
  actorId?: string;
}

/** The filters as carried in the `audit-export` job payload (timestamps as ISO strings). */
export interface AuditFiltersPayload {
  from: string;
  to: string;
  types: string[];
  actorId?: string;
}

export interface ParseFiltersOptions {
  now: Date;
  /** Turns a bare `@name` into a user id (platforms whose commands carry names, not ids). Without it, `@name` is refused. */
  resolveUserName?: (name: string) => Promise<string | undefined>;
}

export const DEFAULT_SPAN_DAYS = 7;
const DAY_MS = 86_400_000;
export const EXPORT_USAGE =
  '/audit export [--from YYYY-MM-DD|ISO time] [--to YYYY-MM-DD|ISO time] [--type category-or-event,...] [--actor @user|user id]';
const FLAGS = ['from', 'to', 'type', 'actor'] as const;
type Flag = (typeof FLAGS)[number];
/** Tokens: a mention `<@U1|some name>` (may hold spaces), a double-quoted string, or a run of non-spaces. */
const TOKEN = /<@[^>]*>|"[^"]*"|\S+/g;
const SLACK_MENTION = /^<@([A-Za-z0-9._-]+)(?:\|[^<>]*)?>$/;
const NAME_MENTION = /^@([A-Za-z0-9._-]{1,64})$/;
const USER_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Parses the arguments of `/audit export` (the text after `export`). With no dates: the last 7 days up to now; with
 * only `--to`: the 7 days before it. Refuses unknown or repeated flags, stray words, bad dates, `--from` after `--to`,
 * unknown types and malformed actors with an `invalid_filter` AppError that says how to do it right.
 */
export async function parseAuditFilters(text: string, options: ParseFiltersOptions): Promise<AuditFilters> {
  const flags = readFlags(text);
  const to = flags.to === undefined ? options.now : parseFilterTime(flags.to, 'end', '--to');
  const from = flags.from === undefined ? new Date(to.getTime() - DEFAULT_SPAN_DAYS * DAY_MS) : parseFilterTime(flags.from, 'start', '--from');
  if (from.getTime() > to.getTime()) {
    throw invalid(`--from (${from.toISOString()}) is after --to (${to.toISOString()}).`, 'Give a --from that is on or before --to.');
  }
  const types = flags.type === undefined ? [] : parseTypes(flags.type);
  const actorId = flags.actor === undefined ? undefined : await parseActor(flags.actor, options.resolveUserName);
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

function parseTypes(text: string): AuditEventType[] {
  const names = text.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
  if (names.length === 0) throw invalid('--type needs at least one category or event.', validTypesHint());
  const unknown = names.filter((name) => !isAuditCategory(name) && !isAuditEventType(name));
  if (unknown.length > 0) {
    throw invalid(`Unknown audit type${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `"${clip(name)}"`).join(', ')}. ${validTypesHint()}`);
  }
  const selected = new Set<string>(names.flatMap((name) => (isAuditCategory(name) ? [...AUDIT_EVENTS[name]] : [name])));
  return allEventTypes().filter((type) => selected.has(type));
}

async function parseActor(text: string, resolve: ParseFiltersOptions['resolveUserName']): Promise<string> {
  const mention = SLACK_MENTION.exec(text);
  if (mention) return mention[1]!;
  const named = NAME_MENTION.exec(text);
  if (named) {
    const id = resolve ? await resolve(named[1]!) : undefined;
    if (id !== undefined) return id;
    throw invalid(`No user named @${named[1]!} is known here.`, 'Mention the user so the mention carries their id, or give the user id.');
  }
  if (USER_ID.test(text)) return text;
  throw invalid(`"${clip(text)}" is not a user: --actor takes a mention (@alice) or a user id (U0123ABCD).`);
}

/** Every event type of the catalog, in catalog order. */
export function allEventTypes(): AuditEventType[] {
  return Object.values(AUDIT_EVENTS).flat();
}

function validTypesHint(): string {
  const categories = (Object.keys(AUDIT_EVENTS) as AuditCategory[]).map(
    (category) => `${category} (${AUDIT_EVENTS[category].join(', ')})`,
  );
  return `Valid types are a category or one of its events: ${categories.join('; ')}.`;
}

/** One line for the reply and the upload comment: the span, the types (by category when whole) and the actor. */
export function describeFilters(filters: AuditFilters): string {
  const span = `${formatUtc(filters.from)} to ${formatUtc(filters.to)}`;
  const parts = [span, filters.types.length === 0 ? 'all types' : `types: ${describeTypes(filters.types)}`];
  if (filters.actorId !== undefined) parts.push(`actor: ${filters.actorId}`);
  return parts.join(' · ');
}

function describeTypes(types: readonly AuditEventType[]): string {
  const selected = new Set<string>(types);
  return (Object.keys(AUDIT_EVENTS) as AuditCategory[])
    .flatMap((category) => {
      const events: readonly string[] = AUDIT_EVENTS[category];
      if (events.every((event) => selected.has(event))) return [category];
      return events.filter((event) => selected.has(event));
    })
    .join(', ');
}

/** `2026-11-26 23:59:59.999 UTC`, with the milliseconds only when there are some. */
export function formatUtc(date: Date): string {
  const iso = date.toISOString().replace('T', ' ').replace('Z', '');
  return `${iso.endsWith('.000') ? iso.slice(0, -4) : iso} UTC`;
}

export function filtersToPayload(filters: AuditFilters): AuditFiltersPayload {
  const payload: AuditFiltersPayload = { from: filters.from.toISOString(), to: filters.to.toISOString(), types: [...filters.types] };
  if (filters.actorId !== undefined) payload.actorId = filters.actorId;
  return payload;
}

/** Reads filters back from a job payload; types no longer in the catalog are refused rather than silently dropped. */
export function filtersFromPayload(payload: AuditFiltersPayload): AuditFilters {
  const unknown = payload.types.filter((type) => !isAuditEventType(type));
  if (unknown.length > 0) throw invalid(`Unknown audit event types in the export request: ${unknown.join(', ')}.`);
  const filters: AuditFilters = { from: new Date(payload.from), to: new Date(payload.to), types: payload.types.filter(isAuditEventType) };
  if (payload.actorId !== undefined) filters.actorId = payload.actorId;
  return filters;
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

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

export function invalid(message: string, hint = `Usage: ${EXPORT_USAGE}`): AppError {
  return new AppError('invalid_filter', message, { hint });
}
