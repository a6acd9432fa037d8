import { exportStartedView } from '../blocks/views/audit.js';
import { describeFilters, filtersToPayload } from '../src/audit/filters.js';
import type { Reply } from '../src/chat/types.js';
import { checkMayExportAudit, requestAuditExport } from '../workflows/audit-export.js';
import { assertTextLength } from './args.js';
import { parseAuditFilters } from './audit-export-args.js';
import { jobRequestOf, type CommandContext } from './context.js';

/**
 * `/audit export [filters]` (admins): checks the role, then the filters, and hands the export to the `audit-export`
 * job, which streams the CSV into the caller's DM. Bare `@name` actors are refused: commands carry no name lookup.
 */
export async function runAuditExport(ctx: CommandContext, text: string): Promise<Reply> {
  const { s, invocation } = ctx;
  await checkMayExportAudit(s, ctx.actor);
  const filters = parseAuditFilters(assertTextLength(text), { now: s.clock.now(), mentions: invocation.mentions });
  ctx.audit.details.filters = filtersToPayload(filters);
  await requestAuditExport(s, ctx.actor, jobRequestOf(invocation), filters);
  return { view: exportStartedView(describeFilters(filters)) };
}
