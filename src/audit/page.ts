import { and, asc, desc, eq, gt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { preparedPerDb } from '../db/prepared.js';
import { auditLog, type AuditRow } from '../db/schema/audit.js';
import type { AuditFilters } from './filters.js';
import type { ChainHead } from './verify.js';
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

/** The longest page of the feed. */
export const MAX_FEED_PAGE = 1000;

/**
 * A page of the feed the REST API serves to scripts and SIEMs: the entries matching `filters`, oldest first in id order
 * (the order of the chain), after the entry `afterId`. A reader resumes from the last id it read; `next` is undefined
 * on the last page.
 */
export async function readAuditFeed(db: Db, filters: AuditFilters, options: { afterId: number; size: number }): Promise<{ entries: AuditRow[]; next: number | undefined }> {
  const size = Math.min(Math.max(1, Math.floor(options.size)), MAX_FEED_PAGE);
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(auditFiltersWhere(filters), gt(auditLog.id, options.afterId)))
    .orderBy(asc(auditLog.id))
    .limit(size + 1);
  const entries = rows.slice(0, size);
  return { entries, next: rows.length > size ? entries.at(-1)?.id : undefined };
}

/** One entry by id, or undefined. */
export async function readAuditEntry(db: Db, id: number): Promise<AuditRow | undefined> {
  const [row] = await db.select().from(auditLog).where(eq(auditLog.id, id));
  return row;
}

/** The state of the chain as the Audit page shows it: its head now, and the newest `audit.verified` entry. */
export interface ChainState {
  head: ChainHead | null;
  /** When the chain was last checked, and what the check found; undefined when it never was. */
  lastVerification: AuditRow | undefined;
}

/**
 * The chain's head and its last verification in one round trip: the rows whose id is the newest id, or the id of the
 * newest `audit.verified` entry (each found on its index). The head is the row with the greater id; the verification
 * is the other row, or, when only one row came back, that row if it is an `audit.verified` entry (both ids were its).
 */
export async function chainStateNow(db: Db): Promise<ChainState> {
  const [newest, older] = await chainStateOf(db).execute();
  if (!newest) return { head: null, lastVerification: undefined };
  const lastVerification = older ?? (newest.eventType === 'audit.verified' ? newest : undefined);
  return { head: { id: newest.id, hash: newest.hash }, lastVerification };
}

const chainStateOf = preparedPerDb((db) => {
  const newestVerification = db
    .select({ id: auditLog.id })
    .from(auditLog)
    .where(eq(auditLog.eventType, 'audit.verified'))
    .orderBy(desc(auditLog.occurredAt), desc(auditLog.id))
    .limit(1);
  return db
    .select()
    .from(auditLog)
    .where(or(eq(auditLog.id, sql`(select max(${auditLog.id}) from ${auditLog})`), eq(auditLog.id, sql`(${newestVerification})`)))
    .orderBy(desc(auditLog.id))
    .prepare('audit_chain_state');
});
