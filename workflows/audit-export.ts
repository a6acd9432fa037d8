import { appendAudit } from '../src/audit/append.js';
import { actedBy } from '../src/audit/types.js';
import { openAuditExport, type ExportSummary } from '../src/audit/export.js';
import { describeFilters, filtersFromPayload, filtersToPayload, formatUtc, type AuditFilters } from '../src/audit/filters.js';
import { jobIds, type JobPayload } from '../src/queue/jobs.js';
import type { Actor } from '../src/domain/actor.js';
import { canExportAudit } from '../src/domain/policy.js';
import { AppError } from '../src/errors.js';
import type { Services } from '../src/services.js';
import { auditRequester, requesterActor, type AuditJobRequest } from './audit-verify.js';
import { authorize } from './roles.js';

export type AuditExportPayload = JobPayload<'audit-export'>;

export interface AuditExportOutcome {
  filename: string;
  count: number;
  firstAt: Date | null;
  lastAt: Date | null;
}

/** Reading and exporting the audit log: admins only, through any door. */
export async function checkMayExportAudit(s: Pick<Services, 'db' | 'config'>, actor: Actor): Promise<void> {
  if (!canExportAudit(await authorize(s, actor, 'read'))) throw new AppError('forbidden', 'Only admins can export the audit log.');
}

/** `/audit export`: the CSV is written by a job and arrives in the requester's DM. */
export async function requestAuditExport(
  s: Pick<Services, 'db' | 'jobs' | 'config'>,
  actor: Actor,
  request: AuditJobRequest,
  filters: AuditFilters,
): Promise<void> {
  await checkMayExportAudit(s, actor);
  const requester = auditRequester(actor, request);
  await s.jobs.add('audit-export', { ...requester, filters: filtersToPayload(filters) }, { jobId: jobIds.auditExport(requester.requestId) });
}

/**
 * The `audit-export` job: streams the filtered entries as CSV into the requester's DM, then appends `audit.exported`
 * with the filters and the count. A failed upload throws (the job retries) and leaves no `audit.exported` entry.
 */
export async function runAuditExport(
  s: Pick<Services, 'db' | 'clock' | 'notifiers'>,
  payload: AuditExportPayload,
): Promise<AuditExportOutcome> {
  const filters = filtersFromPayload(payload.filters);
  const notifier = s.notifiers.get(payload.platform);
  const filename = exportFilename(filters);
  const csv = await openAuditExport(s.db, filters);
  const upload = notifier.upload(payload.userId, {
    filename,
    title: `Audit log export ${formatUtc(filters.from)} to ${formatUtc(filters.to)}`,
    comment: exportComment(csv.summary, filters),
    content: csv.stream,
  });
  // Both settle: a failed upload stops reading (the export then fails too), a failed export breaks the upload.
  const [written] = await Promise.all([csv.done, upload.catch((error: unknown) => {
    csv.stream.destroy();
    throw error;
  })]);
  await appendAudit(s.db, s.clock, {
    eventType: 'audit.exported',
    ...actedBy(requesterActor(payload), {
      filters: payload.filters,
      count: written.count,
      firstAt: written.firstAt?.toISOString() ?? null,
      lastAt: written.lastAt?.toISOString() ?? null,
    }),
    platform: payload.platform,
    channelId: payload.channelId || null,
    resource: { type: 'audit_log', id: filename },
    outcome: 'ok',
    requestId: payload.requestId,
  });
  return { filename, ...written };
}

/** `audit-2026-11-19-to-2026-11-26.csv` */
export function exportFilename(filters: AuditFilters): string {
  return `audit-${filters.from.toISOString().slice(0, 10)}-to-${filters.to.toISOString().slice(0, 10)}.csv`;
}

/** The message posted with the file: how many entries, their span, and the filters asked for. */
export function exportComment(summary: ExportSummary, filters: AuditFilters): string {
  const asked = `Filters: ${describeFilters(filters)}.`;
  if (summary.count === 0 || !summary.firstAt || !summary.lastAt) return `Audit log export: no entries matched. ${asked}`;
  const entries = summary.count === 1 ? '1 entry' : `${summary.count.toLocaleString('en-US')} entries`;
  return `Audit log export: ${entries} from ${formatUtc(summary.firstAt)} to ${formatUtc(summary.lastAt)}. ${asked}`;
}
