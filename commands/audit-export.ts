import { exportStartedView } from '../blocks/views/export-started.js';
import { describeFilters, filtersToPayload, parseAuditFilters } from '../src/audit/filters.js';
import type { Reply } from '../src/chat/types.js';
import { canExportAudit } from '../src/domain/policy.js';
import { AppError } from '../src/errors.js';
import { jobIds } from '../src/queue/catalog.js';
import { roleOf } from '../workflows/roles.js';
import { assertTextLength } from './args.js';
import type { HandlerContext } from './context.js';

/**
 * `/audit export [filters]` (admins): checks the role, then the filters, and hands the export to the `audit-export`
 * job, which streams the CSV into the caller's DM. Bare `@name` actors are refused: commands carry no name lookup.
 */
export async function runAuditExport(ctx: HandlerContext, text: string): Promise<Reply> {
  const { s, invocation } = ctx;
  if (!canExportAudit(await roleOf(s, invocation.user))) {
    throw new AppError('forbidden', 'Only admins can export the audit log.');
  }
  const filters = await parseAuditFilters(assertTextLength(text), { now: s.clock.now() });
  const payload = filtersToPayload(filters);
  ctx.audit.details.filters = payload;
  await s.jobs.add(
    'audit-export',
    {
      requestId: invocation.requestId,
      platform: invocation.platform,
      userId: invocation.user.id,
      userName: invocation.user.name,
      channelId: invocation.channelId,
      filters: payload,
    },
    { jobId: jobIds.auditExport(invocation.requestId) },
  );
  return { view: exportStartedView(describeFilters(filters)) };
}
