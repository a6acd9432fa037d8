import { and, sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { Db } from '../db/client.js';
import { auditLog } from '../db/schema/audit.js';
import { wholeCategoryOf, type AuditFilters } from './filters.js';

const dialect = new PgDialect();

/** How a filter value goes into a query: as a bound parameter, or written in as a literal (COPY takes no parameters). */
type Embed = (value: string) => SQL;
const asParameter: Embed = (value) => sql`${value}`;
/** pg's own escaping: quotes doubled, and backslashes as an E'' string; the value stays one value whatever it holds. */
const asLiteral: Embed = (value) => sql.raw(pg.escapeLiteral(value));

/**
 * The one translation of audit filters into SQL: `from <= occurred_at <= to`, event types, actor, resource. Types that
 * make a whole category are asked as that category (the same entries: an entry's category follows from its type),
 * which its index serves.
 */
function whereOf(filters: AuditFilters, embed: Embed): SQL {
  const t = auditLog;
  const category = wholeCategoryOf(filters.types);
  return and(
    sql`${t.occurredAt} >= ${embed(filters.from.toISOString())}::timestamptz`,
    sql`${t.occurredAt} <= ${embed(filters.to.toISOString())}::timestamptz`,
    filters.types.length === 0
      ? undefined
      : category !== undefined
        ? sql`${t.category} = ${embed(category)}`
        : sql`${t.eventType} in (${sql.join(filters.types.map(embed), sql`, `)})`,
    filters.actorId !== undefined ? sql`${t.actorId} = ${embed(filters.actorId)}` : undefined,
    filters.resourceId !== undefined ? sql`${t.resourceId} = ${embed(filters.resourceId)}` : undefined,
    filters.resourceType !== undefined ? sql`${t.resourceType} = ${embed(filters.resourceType)}` : undefined,
  )!;
}

/** The filters as a condition with bound parameters, for queries that read entries (the console's Audit page). */
export function auditFiltersWhere(filters: AuditFilters): SQL {
  return whereOf(filters, asParameter);
}

/** The CSV columns, in the order of the export header (an interface: README, "Identifiers and exports"). */
export const CSV_COLUMNS = [
  'id', 'occurred_at', 'category', 'event_type', 'actor_type', 'actor_id', 'actor_name', 'platform', 'channel_id',
  'resource_type', 'resource_id', 'outcome', 'details', 'request_id', 'hash',
] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];

/**
 * First characters a spreadsheet reads as a formula or a control (fullwidth forms included: some apps fold them). A
 * cell starting with one is exported with a `'` in front. (Postgres text never holds NUL, the other such character.)
 */
export const FORMULA_START = ['=', '+', '-', '@', '\t', '\r', '\n', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20'] as const;

/** Columns whose text is never a formula: digits, a timestamp, a hex hash. */
const NEVER_FORMULA: ReadonlySet<CsvColumn> = new Set(['id', 'occurred_at', 'hash']);

/** Each column as the text of its CSV cell: ISO 8601 UTC with milliseconds, details as JSON, nulls as nulls. */
function cellsOf(): Record<CsvColumn, SQL> {
  const t = auditLog;
  return {
    id: sql`${t.id}::text`,
    occurred_at: sql`to_char(${t.occurredAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
    category: sql`${t.category}`,
    event_type: sql`${t.eventType}`,
    actor_type: sql`${t.actorType}`,
    actor_id: sql`${t.actorId}`,
    actor_name: sql`${t.actorName}`,
    platform: sql`${t.platform}`,
    channel_id: sql`${t.channelId}`,
    resource_type: sql`${t.resourceType}`,
    resource_id: sql`${t.resourceId}`,
    outcome: sql`${t.outcome}`,
    details: sql`${t.details}::text`,
    request_id: sql`${t.requestId}`,
    hash: sql`${t.hash}`,
  };
}

const FORMULA_START_LIST = sql.raw(FORMULA_START.map((character) => pg.escapeLiteral(character)).join(', '));

function neutralized(cell: SQL): SQL {
  return sql`case when left(${cell}, 1) in (${FORMULA_START_LIST}) then '''' || ${cell} else ${cell} end`;
}

/**
 * The matching entries in id order, one column per CSV column (named as in the header), every value already the text
 * of its cell; with `neutralize`, cells a spreadsheet would evaluate are prefixed with `'`.
 */
function exportRows(filters: AuditFilters, options: { neutralize: boolean }, embed: Embed): SQL {
  const cells = cellsOf();
  const columns = CSV_COLUMNS.map((name) => {
    const cell = options.neutralize && !NEVER_FORMULA.has(name) ? neutralized(cells[name]) : cells[name];
    return sql`${cell} as ${sql.identifier(name)}`;
  });
  return sql`select ${sql.join(columns, sql`, `)} from ${auditLog} where ${whereOf(filters, embed)} order by ${auditLog.id}`;
}

/**
 * `COPY (rows query) TO STDOUT` as CSV with the header. COPY takes no parameters, so the filter values are built into
 * the query as literals escaped by pg; the built query then has no parameters left.
 */
export function exportCopyStatement(filters: AuditFilters, options: { neutralize: boolean }): string {
  const { text, values } = toQuery(exportRows(filters, options, asLiteral));
  if (values.length > 0) throw new Error('the export query still has parameters');
  return `copy (${text}) to stdout with (format csv, header true)`;
}

/** How many entries match and the span of their timestamps. */
export function exportSummaryQuery(filters: AuditFilters): { text: string; values: unknown[] } {
  const t = auditLog;
  return toQuery(sql`select count(*)::text as count, min(${t.occurredAt}) as first_at, max(${t.occurredAt}) as last_at
    from ${t} where ${whereOf(filters, asParameter)}`);
}

function toQuery(query: SQL): { text: string; values: unknown[] } {
  const rendered = dialect.sqlToQuery(query);
  return { text: rendered.sql, values: rendered.params };
}

/** The pg Pool under a drizzle database (streaming needs a client of its own for the whole export). */
export function poolOf(source: Db | pg.Pool): pg.Pool {
  if (source instanceof pg.Pool) return source;
  const client: unknown = Reflect.get(source, '$client');
  if (client instanceof pg.Pool) return client;
  throw new Error('streaming the audit log needs a database opened on a pg Pool');
}
