import { exportStartedView } from '../blocks/views/audit.js';
import { describeFilters, filtersToPayload } from '../src/audit/filters.js';
import type { Reply } from '../src/chat/types.js';
import { canExportAudit } from '../src/domain/policy.js';
import { AppError } from '../src/errors.js';
import { requestAuditExport } from '../workflows/audit-export.js';
import { roleOf } from '../workflows/roles.js';
import { assertTextLength } from './args.js';
import { parseAuditFilters } from './audit-export-args.js';
import { requesterOf, type CommandContext } from './context.js';

/**
 * `/audit export [filters]` (admins): checks the role, then the filters, and hands the export to the `audit-export`
 * job, which streams the CSV into the caller's DM. Bare `@name` actors are refused: commands carry no name lookup.
 */
export async function runAuditExport(ctx: CommandContext, text: string): Promise<Reply> {
  const { s, invocation } = ctx;
  if (!canExportAudit(await roleOf(s, invocation.user))) {
    throw new AppError('forbidden', 'Only admins can export the audit log.');
  }
  const filters = parseAuditFilters(assertTextLength(text), { now: s.clock.now(), mentions: invocation.mentions });
  ctx.audit.details.filters = filtersToPayload(filters);
  await requestAuditExport(s, requesterOf(invocation), filters);
  return { view: exportStartedView(describeFilters(filters)) };
}
