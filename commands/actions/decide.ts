import { decisionAckView, REJECT_REASON_FIELD, rejectDialogView } from '../../blocks/views/approval-card.js';
import type { ActionInvocation, DialogSubmission, Reply } from '../../src/chat/types.js';
import { describeState } from '../../src/domain/lifecycle.js';
import { AppError } from '../../src/errors.js';
import { checkMayDecide, decidePlan, REJECT_REASON_LIMITS } from '../../workflows/decide.js';
import { getEnvironment } from '../../workflows/environment-queries.js';
import { NOTHING_MORE, type HandlerContext } from '../context.js';

/** Approve on the approval card. The card itself is edited by the notification that follows the decision. */
export async function approve(ctx: HandlerContext<ActionInvocation>, envId: string): Promise<Reply> {
  return decide(ctx, envId, 'approve');
}

/**
 * Reject on the approval card opens the reason dialog, but only for someone who may decide this plan now: anyone
 * else is told why straight away instead of typing a reason for nothing.
 */
export async function openRejectDialog(ctx: HandlerContext<ActionInvocation>, envId: string): Promise<Reply> {
  const { s } = ctx;
  const env = await getEnvironment(s, envId);
  await checkMayDecide(s, env, ctx.actor);
  if (env.state !== 'pending_approval') {
    throw new AppError('already_decided', `${envId} is no longer waiting for a decision: it is ${describeState(env.state)}.`, {
      hint: `\`/env status ${envId}\` shows who decided and when.`,
    });
  }
  return { view: NOTHING_MORE, openDialog: rejectDialogView(envId, REJECT_REASON_LIMITS) };
}

/** The reject dialog's submission: the reason is checked by the decision itself. */
export async function submitRejectReason(ctx: HandlerContext<DialogSubmission>, envId: string): Promise<Reply> {
  const reason = ctx.invocation.fields[REJECT_REASON_FIELD];
  if (reason !== undefined) ctx.audit.details.reason = reason.slice(0, REJECT_REASON_LIMITS.max + 1);
  return decide(ctx, envId, 'reject', reason);
}

async function decide(ctx: HandlerContext, envId: string, decision: 'approve' | 'reject', reason?: string): Promise<Reply> {
  const { s, invocation } = ctx;
  const env = await decidePlan(s, {
    envId,
    actor: ctx.actor,
    decision,
    reason,
    requestId: invocation.requestId,
    channelId: invocation.channelId,
  });
  return { view: decisionAckView(env, s.catalog.find(env.presetId), decision) };
}
