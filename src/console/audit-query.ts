import { DEFAULT_SPAN_DAYS, parseFilterTime, parseTypes } from '../../commands/audit-export-args.js';
import type { AuditCursor } from '../audit/page.js';
import type { AuditFilters } from '../audit/filters.js';
import { AppError } from '../errors.js';

/** The Audit page's filters as its form and links carry them in the query string (all optional). */
export interface AuditQuery {
  from?: string | undefined;
  to?: string | undefined;
  type?: string | undefined;
  actor?: string | undefined;
  resource?: string | undefined;
  before?: string | undefined;
}

/** What the page shows: the filters, the values to put back in the form, and where the page starts. */
export interface AuditSelection {
  filters: AuditFilters;
  form: { from: string; to: string; type: string; actor: string; resource: string };
  after: AuditCursor | undefined;
}

const DAY_MS = 86_400_000;
const ACTOR = /^[A-Za-z0-9._:-]{1,64}$/;
const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)~(\d{1,18})$/;

function invalid(message: string): AppError {
  return new AppError('invalid_filter', message, { hint: 'Pick the dates and the event type from the form.' });
}

/**
 * Reads the page's query the way `/audit export` reads its flags (the same date and type parsers): dates are UTC days
 * or ISO times, `to` is inclusive (a day reaches its last millisecond), a type is a category or one event. Without
 * dates: from the day a week ago to the end of today (UTC).
 */
export function readAuditQuery(query: AuditQuery, now: Date): AuditSelection {
  const text = (value: string | undefined) => (value ?? '').trim();
  // Without dates, the days that hold the last week: the form then shows exactly what the table and the export use.
  const toText = text(query.to) || now.toISOString().slice(0, 10);
  const fromText = text(query.from) || new Date(now.getTime() - DEFAULT_SPAN_DAYS * DAY_MS).toISOString().slice(0, 10);
  const to = parseFilterTime(toText, 'end', 'To');
  const from = parseFilterTime(fromText, 'start', 'From');
  if (from.getTime() > to.getTime()) throw invalid(`The range starts (${from.toISOString()}) after it ends (${to.toISOString()}).`);
  const type = text(query.type);
  const actor = text(query.actor);
  const resource = text(query.resource);
  if (actor !== '' && !ACTOR.test(actor)) throw invalid('The actor is a user id (U0123ABCD), an API key prefix, or a system component.');
  if (resource.length > 200) throw invalid('The resource id is too long.');
  const filters: AuditFilters = { from, to, types: type === '' ? [] : parseTypes(type) };
  if (actor !== '') filters.actorId = actor;
  if (resource !== '') filters.resourceId = resource;
  return {
    filters,
    form: { from: fromText, to: toText, type, actor, resource },
    after: readCursor(text(query.before)),
  };
}

function readCursor(text: string): AuditCursor | undefined {
  if (text === '') return undefined;
  const match = CURSOR.exec(text);
  if (!match) throw invalid('That page link is not one the console made.');
  return { occurredAt: new Date(match[1]!), id: Number(match[2]) };
}

export function cursorText(cursor: AuditCursor): string {
  return `${cursor.occurredAt.toISOString()}~${cursor.id}`;
}

/** The query string of the page with these form values (and a cursor), as links carry it. */
export function queryString(form: AuditSelection['form'], before?: AuditCursor): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) if (value !== '') params.set(key, value);
  if (before) params.set('before', cursorText(before));
  return params.toString();
}
