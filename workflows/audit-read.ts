import type { Readable } from 'node:stream';
import { and, asc, desc, eq, gt } from 'drizzle-orm';
import { appendAudit } from '../src/audit/append.js';
import { openAuditExport, type ExportSummary } from '../src/audit/export.js';
import { filtersToPayload, type AuditFilters } from '../src/audit/filters.js';
import { auditFilterCondition } from '../src/audit/query.js';
import { actedBy } from '../src/audit/types.js';
import { latestHead, type ChainHead } from '../src/audit/verify.js';
import { auditLog, type AuditRow } from '../src/db/schema/audit.js';
import type { Actor } from '../src/domain/actor.js';
import type { Services } from '../src/services.js';
import { checkMayExportAudit, exportFilename } from './audit-export.js';
import { checkMayVerifyAudit } from './audit-verify.js';

/** Reading the audit log outside chat (the REST API): a page of entries, the CSV export as a stream, the last check. */

export interface AuditPage {
  entries: AuditRow[];
  /** The cursor of the next page: the id of this page's last entry; null when this page is the last. */
  next: number | null;
}

/** Admins read the entries matching `filters` a page at a time, in id order, after the entry `after`. */
export async function readAuditPage(
  s: Pick<Services, 'db'>,
  actor: Actor,
  filters: AuditFilters,
  page: { after: number; limit: number },
): Promise<AuditPage> {
  await checkMayExportAudit(s, actor);
  const rows = await s.db
    .select()
    .from(auditLog)
    .where(and(auditFilterCondition(filters), gt(auditLog.id, page.after)))
    .orderBy(asc(auditLog.id))
    .limit(page.limit + 1);
  const entries = rows.slice(0, page.limit);
  return { entries, next: rows.length > page.limit ? (entries.at(-1)?.id ?? null) : null };
}

export interface AuditCsv {
  filename: string;
  summary: ExportSummary;
  /** The CSV of `/audit export`: the same header, cells neutralised the same way. */
  stream: Readable;
  /** Settles once the stream was read to its end and `audit.exported` written. */
  done: Promise<void>;
}

/** Admins stream the filtered export; once it was read to its end, `audit.exported` records who took it and what. */
export async function streamAuditCsv(
  s: Pick<Services, 'db' | 'clock' | 'log'>,
  actor: Actor,
  filters: AuditFilters,
  request: { requestId: string },
): Promise<AuditCsv> {
  await checkMayExportAudit(s, actor);
  const filename = exportFilename(filters);
  const csv = await openAuditExport(s.db, filters);
  const done = csv.done.then(async (written) => {
    await appendAudit(s.db, s.clock, {
      eventType: 'audit.exported',
      ...actedBy(actor, {
        filters: filtersToPayload(filters),
        count: written.count,
        firstAt: written.firstAt?.toISOString() ?? null,
        lastAt: written.lastAt?.toISOString() ?? null,
      }),
      platform: actor.user.platform,
      resource: { type: 'audit_log', id: filename },
      outcome: 'ok',
      requestId: request.requestId,
    });
  });
  return { filename, summary: csv.summary, stream: csv.stream, done };
}

export interface VerificationState {
  /** The newest `audit.verified` entry; null when the chain was never checked (or that entry was purged). */
  last: AuditRow | null;
  /** The chain's head now. */
  head: ChainHead | null;
}

/** Admins read the result of the last check of the chain, and its head now. */
export async function lastVerification(s: Pick<Services, 'db'>, actor: Actor): Promise<VerificationState> {
  await checkMayVerifyAudit(s, actor, 'read the audit log checks');
  const [last] = await s.db
    .select()
    .from(auditLog)
    .where(eq(auditLog.eventType, 'audit.verified'))
    .orderBy(desc(auditLog.id))
    .limit(1);
  return { last: last ?? null, head: await latestHead(s.db as Services['db']) };
}
