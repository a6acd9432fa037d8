import { and, eq, gte, inArray, lte, sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { Db } from '../db/client.js';
import { auditLog } from '../db/schema/audit.js';
import type { AuditFilters } from './filters.js';

const dialect = new PgDialect();

/** The one translation of export filters into SQL: `from <= occurred_at <= to`, event types, actor. */
export function whereOf(filters: AuditFilters): SQL {
  return and(
    gte(auditLog.occurredAt, filters.from),
    lte(auditLog.occurredAt, filters.to),
    filters.types.length > 0 ? inArray(auditLog.eventType, filters.types) : undefined,
    filters.actorId !== undefined ? eq(auditLog.actorId, filters.actorId) : undefined,
  )!;
}

/** The CSV columns, in the order of the export header (interfaces.md). */
export const CSV_COLUMNS = [
  'id', 'occurred_at', 'category', 'event_type', 'actor_type', 'actor_id', 'actor_name', 'platform', 'channel_id',
  'resource_type', 'resource_id', 'outcome', 'details', 'request_id', 'hash',
] as const;

/**
 * The matching entries in id order, every column already text in its CSV form (ISO 8601 UTC with milliseconds, details
 * as JSON), so rows go from Postgres to the CSV without parsing dates or JSON.
 */
export function exportRowsQuery(filters: AuditFilters): { text: string; values: unknown[] } {
  const t = auditLog;
  const query = sql`select ${t.id}::text, to_char(${t.occurredAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    ${t.category}, ${t.eventType}, ${t.actorType}, ${t.actorId}, ${t.actorName}, ${t.platform}, ${t.channelId},
    ${t.resourceType}, ${t.resourceId}, ${t.outcome}, ${t.details}::text, ${t.requestId}, ${t.hash}
    from ${t} where ${whereOf(filters)} order by ${t.id}`;
  return toQuery(query);
}

/**
 * The rows query with its values written in as SQL literals, for `COPY (…) TO STDOUT`, which takes no parameters.
 * Every value is a string (timestamps as ISO text, event types, the actor id) and is quoted by `pg.escapeLiteral`.
 */
export function exportRowsCopyQuery(filters: AuditFilters): string {
  const { text, values } = exportRowsQuery(filters);
  return text.replace(/\$(\d+)/g, (_, position: string) => {
    const value = values[Number(position) - 1];
    if (typeof value !== 'string') throw new Error(`export query parameter $${position} is not text`);
    return pg.escapeLiteral(value);
  });
}

/** How many entries match and the span of their timestamps. */
export function exportSummaryQuery(filters: AuditFilters): { text: string; values: unknown[] } {
  const t = auditLog;
  return toQuery(sql`select count(*)::text as count, min(${t.occurredAt}) as first_at, max(${t.occurredAt}) as last_at
    from ${t} where ${whereOf(filters)}`);
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
