import type { ChainHeadModel } from '../blocks/models.js';
import { verifyStartedView } from '../blocks/views/audit.js';
import type { Reply } from '../src/chat/types.js';
import { checkMayVerifyAudit, requestAuditVerify } from '../workflows/audit-verify.js';
import { clip, parseArgs } from './args.js';
import { badArguments, jobRequestOf, withUsage, type HandlerContext } from './context.js';
import { AUDIT_USAGE } from './usage.js';

/** `<id>:<hash>` as the audit channel shows it: a positive entry id and a 64-digit hex SHA-256. */
const HEAD = /^#?(\d{1,15}):([0-9a-f]{64})$/i;

/** `/audit verify [--head <id>:<hash>]`. */
export function parseVerifyArgs(text: string): { head?: ChainHeadModel } {
  const line = AUDIT_USAGE.verify;
  return withUsage(line, () => {
    const { positionals, flags } = parseArgs(text, { head: { kind: 'value', example: '1234:<64 hex digits>' } });
    if (positionals.length > 0) throw badArguments(`Unexpected "${clip(positionals[0]!)}": verify takes only --head.`, line);
    const headText = flags.get('head');
    if (typeof headText !== 'string') return {};
    const match = HEAD.exec(headText.trim());
    const id = match ? Number(match[1]) : 0;
    if (!match || !Number.isSafeInteger(id) || id < 1) {
      throw badArguments(`"${clip(headText)}" is not a published head: give the entry id and its hash as the audit channel shows them, id:hash.`, line);
    }
    return { head: { id, hash: match[2]!.toLowerCase() } };
  });
}

/**
 * `/audit verify` (admins): the check reads the whole log, so it runs as the `audit-verify` job and the answer goes to
 * the caller by DM; the reply only says it started.
 */
export async function runAuditVerify(ctx: HandlerContext, text: string): Promise<Reply> {
  const { s, invocation } = ctx;
  await checkMayVerifyAudit(s, ctx.actor);
  const { head } = parseVerifyArgs(text);
  if (head) ctx.audit.details.head = head;
  await requestAuditVerify(s, ctx.actor, jobRequestOf(invocation), head);
  return { view: verifyStartedView(head) };
}
