import { and, eq, sql, type SQL } from 'drizzle-orm';
import { sanitizeText } from '../src/audit/sanitize.js';
import { actedBy } from '../src/audit/types.js';
import { decisions, type DecisionRow } from '../src/db/schema/decisions.js';
import { members } from '../src/db/schema/members.js';
import type { DbOrTx } from '../src/db/client.js';
import { environments, type EnvironmentRow } from '../src/db/schema/environments.js';
import { describeState } from '../src/domain/lifecycle.js';
import { canDecidePlans, isSameUser } from '../src/domain/policy.js';
import { formatUtc } from '../src/domain/time.js';
import type { Actor } from '../src/domain/actor.js';
import type { Role } from '../src/domain/users.js';
import { AppError } from '../src/errors.js';
import { jobIds } from '../src/queue/jobs.js';
import type { Services } from '../src/services.js';
import { notFound, ownerOf } from './environment-queries.js';
import { authorize, authorizeStanding, MEMBER_FACTS, refuseReadOnlyChange, standingFrom } from './roles.js';
import { enqueueAfterCommit, transitionAudited } from './state-change.js';

export interface DecideInput {
  envId: string;
  actor: Actor;
  decision: 'approve' | 'reject';
  reason?: string;
  requestId: string;
  channelId?: string;
}

export const REJECT_REASON_LIMITS = { min: 3, max: 500 } as const;

/** Refuses an actor who may not decide this plan: not an approver or admin, or the requester themself. */
export async function checkMayDecide(s: Services, env: EnvironmentRow, actor: Actor, db: DbOrTx = s.db): Promise<void> {
  checkRoleMayDecide(env, actor, await authorize(s, actor, 'change', db));
}

function checkRoleMayDecide(env: EnvironmentRow, actor: Actor, role: Role): void {
  if (!canDecidePlans(role)) {
    throw new AppError('forbidden', 'Only approvers and admins can approve or reject plans.');
  }
  if (isSameUser(actor.user, ownerOf(env))) {
    throw new AppError('self_approval', 'You cannot decide on your own request: another approver has to.');
  }
}

/**
 * Approves or rejects a pending plan exactly once: the state moves with a conditional UPDATE and the decision row's
 * primary key allows one decision per plan, so of many concurrent clicks one decides and the rest are told who did.
 * The plan and the decider's role are read in one statement, and the move, its entry and the decision written in
 * another, in one transaction.
 */
export async function decidePlan(s: Services, input: DecideInput): Promise<EnvironmentRow> {
  const reason = input.decision === 'reject' ? checkReason(input.reason) : null;
  const to = input.decision === 'approve' ? 'approved' : 'rejected';
  const { user } = input.actor;
  refuseReadOnlyChange(input.actor, 'change');
  const decided = await s.db.transaction(async (tx) => {
    const [current] = await tx
      .select({ env: environments, member: MEMBER_FACTS })
      .from(environments)
      .leftJoin(members, and(eq(members.platform, user.platform), eq(members.userId, user.id)))
      .where(eq(environments.id, input.envId));
    if (!current) throw notFound(input.envId);
    checkRoleMayDecide(current.env, input.actor, await authorizeStanding(input.actor, 'change', standingFrom(s, current.member), tx));
    const decidedAt = s.clock.now();
    const decision = (whenMoved: SQL) => sql`insert into decisions (env_id, outcome, decider_id, decider_name, reason, decided_at)
      select ${input.envId}, ${to}, ${user.id}, ${sanitizeText(user.name)}, ${reason}, ${decidedAt.toISOString()}::timestamptz where ${whenMoved}`;
    return transitionAudited(
      s,
      tx,
      current.env,
      'pending_approval',
      to,
      {},
      [
        {
          eventType: to === 'approved' ? 'plan.approved' : 'plan.rejected',
          ...actedBy(input.actor, reason ? { reason } : {}),
          channelId: input.channelId ?? null,
          requestId: input.requestId,
        },
      ],
      decision,
    );
  });
  if (!decided) throw await alreadyDecided(s, input.envId);

  // The decision's jobs are added while the approval's expiry is taken off: one round trip to Redis for both. A plan
  // is decided once, so no job had the ids of its decision's jobs before.
  await enqueueAfterCommit(s, decided.id, [
    async () => {
      await Promise.all([
        s.jobs.addMany(
          [
            { name: 'notify', payload: { envId: decided.id, event: 'plan.decided' }, options: { jobId: jobIds.notify(decided.id, 'plan.decided') } },
            ...(decided.state === 'approved' ? [{ name: 'deploy', payload: { envId: decided.id }, options: { jobId: jobIds.deploy(decided.id) } } as const] : []),
          ],
          { newIds: true },
        ),
        s.jobs.remove('approval-expire', jobIds.approvalExpire(decided.id)),
      ]);
    },
  ]);
  return decided;
}

function checkReason(reason: string | undefined): string {
  const text = sanitizeText((reason ?? '').trim());
  if (text.length < REJECT_REASON_LIMITS.min) {
    throw new AppError('reason_required', `Say why the plan is rejected (at least ${REJECT_REASON_LIMITS.min} characters).`);
  }
  if (text.length > REJECT_REASON_LIMITS.max) {
    throw new AppError('reason_too_long', `The reason is ${text.length} characters long; at most ${REJECT_REASON_LIMITS.max} are allowed.`);
  }
  return text;
}

/** The refusal for a plan that is no longer pending, saying who decided and when. */
async function alreadyDecided(s: Services, envId: string): Promise<AppError> {
  const [decision] = await s.db.select().from(decisions).where(eq(decisions.envId, envId));
  return new AppError('already_decided', describeDecision(envId, decision));
}

export function describeDecision(envId: string, decision: DecisionRow | undefined): string {
  if (!decision) return `${envId} is no longer waiting for a decision.`;
  const at = formatUtc(decision.decidedAt);
  if (decision.outcome === 'expired') return `${envId} expired without a decision at ${at}.`;
  const by = decision.deciderName ? `by ${decision.deciderName}` : 'by policy';
  return `${envId} was already ${describeState(decision.outcome)} ${by} at ${at}.`;
}
