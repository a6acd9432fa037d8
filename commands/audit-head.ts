import { emptyLogView, headPublishedView } from '../blocks/views/audit.js';
import type { Reply } from '../src/chat/types.js';
import { AppError } from '../src/errors.js';
import { publishChainHeadFor } from '../workflows/audit-head.js';
import { checkMayVerifyAudit } from '../workflows/audit-verify.js';
import { clip, parseArgs } from './args.js';
import { badArguments, withUsage, type HandlerContext } from './context.js';
import { AUDIT_USAGE } from './usage.js';

/**
 * `/audit head` (admins): publishes the chain head to the audit channels now, as the daily job does, and shows it.
 * When no channel could be reached the request fails (retryable); a partial publication is shown as such.
 */
export async function runAuditHead(ctx: HandlerContext, text: string): Promise<Reply> {
  const { s, invocation } = ctx;
  await checkMayVerifyAudit(s, ctx.actor, 'publish the audit chain head');
  withUsage(AUDIT_USAGE.head, () => {
    const { positionals } = parseArgs(text, {});
    if (positionals.length > 0) throw badArguments(`Unexpected "${clip(positionals[0]!)}": head takes no arguments.`, AUDIT_USAGE.head);
  });
  const publication = await publishChainHeadFor(s, ctx.actor, { requestId: invocation.requestId, channelId: invocation.channelId });
  if (!publication.head) return { view: emptyLogView() };
  ctx.audit.resource = { type: 'audit_log', id: `#${publication.head.id}` };
  if (publication.posted.length === 0) {
    throw new AppError('publish_failed', 'The chain head could not be posted to any audit channel.', {
      retry: true,
      hint: 'Check that the bot is a member of the audit channels, then try again.',
    });
  }
  return { view: headPublishedView(publication.head, publication.posted, publication.failed) };
}
