import type { Readable } from 'node:stream';
import { appendAudit } from '../src/audit/append.js';
import { openAuditExport, type ExportSummary } from '../src/audit/export.js';
import { filtersToPayload, type AuditFilters } from '../src/audit/filters.js';
import { readAuditEntry, readAuditFeed, readAuditPage, chainStateNow, type AuditCursor, type AuditPage, type ChainState } from '../src/audit/page.js';
import { actedBy } from '../src/audit/types.js';
import type { AuditRow } from '../src/db/schema/audit.js';
import type { Actor } from '../src/domain/actor.js';
import { canExportAudit } from '../src/domain/policy.js';
import { AppError } from '../src/errors.js';
import type { Services } from '../src/services.js';
import { exportFilename } from './audit-export.js';
import { authorize } from './roles.js';

/** Reading the audit log page by page, and downloading it, as the web console does: admins only, like the export. */

export async function checkMayReadAudit(s: Pick<Services, 'db' | 'config'>, actor: Actor): Promise<void> {
  if (!canExportAudit(await authorize(s, actor, 'read'))) throw new AppError('forbidden', 'Only admins can read the audit log.');
}

export async function readAuditLogEntry(s: Pick<Services, 'db' | 'config'>, actor: Actor, id: number): Promise<AuditRow> {
  await checkMayReadAudit(s, actor);
  const row = await readAuditEntry(s.db, id);
  if (!row) throw new AppError('not_found', `There is no audit entry ${id}.`);
  return row;
}

/** The chain's state alone (the REST API's `GET /audit/verify`): admins only. */
export async function readChainState(s: Pick<Services, 'db' | 'config'>, actor: Actor): Promise<ChainState> {
  await checkMayReadAudit(s, actor);
  return chainStateNow(s.db);
}

/** The REST API's feed of the log, oldest first by id, after the entry `after`: admins only. */
export async function readAuditFeedPage(
  s: Pick<Services, 'db' | 'config'>,
  actor: Actor,
  filters: AuditFilters,
  page: { after: number; size: number },
): Promise<{ entries: AuditRow[]; next: number | undefined }> {
  await checkMayReadAudit(s, actor);
  return readAuditFeed(s.db, filters, { afterId: page.after, size: page.size });
}

/** What the Audit page shows at once: the chain's state and a page of entries, read side by side after one check. */
export async function readAuditOverview(
  s: Pick<Services, 'db' | 'config'>,
  actor: Actor,
  filters: AuditFilters,
  page: { after?: AuditCursor; size: number },
): Promise<{ chain: ChainState; page: AuditPage }> {
  await checkMayReadAudit(s, actor);
  const [chain, entries] = await Promise.all([chainStateNow(s.db), readAuditPage(s.db, filters, page)]);
  return { chain, page: entries };
}

export interface DownloadedExport {
  filename: string;
  /** The CSV, as `/audit export` writes it (same header, same neutralised cells). */
  stream: Readable;
  /** Settles once the whole file was read and `audit.exported` appended; rejects when the export broke off. */
  done: Promise<ExportSummary>;
}

/**
 * The filtered log as a CSV download (the console's Export CSV). Once every row has been read, `audit.exported` is
 * appended as for a chat export, naming the door; an export that breaks off is appended with outcome `error`.
 */
export async function downloadAuditExport(
  s: Pick<Services, 'db' | 'config' | 'clock' | 'log'>,
  actor: Actor,
  filters: AuditFilters,
  request: { requestId: string },
): Promise<DownloadedExport> {
  await checkMayReadAudit(s, actor);
  const filename = exportFilename(filters);
  const csv = await openAuditExport(s.db, filters);
  const record = (outcome: 'ok' | 'error', summary: ExportSummary, error?: unknown) =>
    appendAudit(s.db, s.clock, {
      eventType: 'audit.exported',
      ...actedBy(actor, {
        filters: filtersToPayload(filters),
        count: summary.count,
        firstAt: summary.firstAt?.toISOString() ?? null,
        lastAt: summary.lastAt?.toISOString() ?? null,
        ...(error === undefined ? {} : { error: 'export_interrupted' }),
      }),
      platform: actor.user.platform,
      resource: { type: 'audit_log', id: filename },
      outcome,
      requestId: request.requestId,
    });
  const done = csv.done.then(
    async (written) => {
      await record('ok', written);
      return written;
    },
    async (error: unknown) => {
      await record('error', csv.summary, error).catch((auditError: unknown) => s.log.error({ err: auditError }, 'could not audit an interrupted export'));
      throw error;
    },
  );
  done.catch(() => undefined); // the caller sees the failure on the stream too
  return { filename, stream: csv.stream, done };
}
