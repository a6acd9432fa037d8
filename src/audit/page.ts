import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { auditLog, type AuditRow } from '../db/schema/audit.js';
import type { AuditFilters } from './filters.js';
import { auditFiltersWhere } from './query.js';

/** One stored entry, every column, as the log holds it. */
export type AuditEntry = AuditRow;

/** Where a page of entries starts: after the entry with this timestamp and id, newest first. */
export interface AuditCursor {
  occurredAt: Date;
  id: number;
}

export interface AuditPage {
  entries: AuditRow[];
  /** The cursor of the next (older) page; undefined on the last page. */
  next: AuditCursor | undefined;
}

export const MAX_PAGE_SIZE = 200;

/**
 * One page of the entries matching `filters`, newest first (`occurred_at`, then `id`, descending), after `cursor`.
 * Keyset paging: each page is one range scan of an index that fits the filters (time, type, category, actor,
 * resource), so the thousandth page costs what the first does, whatever the size of the log.
 */
export async function readAuditPage(db: Db, filters: AuditFilters, options: { after?: AuditCursor; size: number }): Promise<AuditPage> {
  const size = Math.min(Math.max(1, Math.floor(options.size)), MAX_PAGE_SIZE);
  const after = options.after;
  const rows = await db
    .select()
    .from(auditLog)
    .where(
      and(
        auditFiltersWhere(filters),
        after ? sql`(${auditLog.occurredAt}, ${auditLog.id}) < (${after.occurredAt.toISOString()}::timestamptz, ${after.id})` : undefined,
      ),
    )
    .orderBy(desc(auditLog.occurredAt), desc(auditLog.id))
    .limit(size + 1);
  const entries = rows.slice(0, size);
  const last = entries.at(-1);
  return { entries, next: rows.length > size && last ? { occurredAt: last.occurredAt, id: last.id } : undefined };
}

/** One entry by id, or undefined. */
export async function readAuditEntry(db: Db, id: number): Promise<AuditRow | undefined> {
  const [row] = await db.select().from(auditLog).where(eq(auditLog.id, id));
  return row;
}

/** The newest `audit.verified` entry: when the chain was last checked, and what the check found. */
export async function latestVerification(db: Db): Promise<AuditRow | undefined> {
  const [row] = await db
    .select()
    .from(auditLog)
    .where(eq(auditLog.eventType, 'audit.verified'))
    .orderBy(desc(auditLog.occurredAt), desc(auditLog.id))
    .limit(1);
  return row;
}
