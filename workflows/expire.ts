import { systemActor } from '../src/audit/types.js';
import { decisions } from '../src/db/schema/decisions.js';
import type { EnvironmentRow } from '../src/db/schema/environments.js';
import type { JobPayload } from '../src/queue/jobs.js';
import { jobIds } from '../src/queue/jobs.js';
import type { Services } from '../src/services.js';
import { startDestroyJob } from './destroy.js';
import { lockEnvironment } from './environment-queries.js';
import { auditEnvironment, enqueueAfterCommit, transition } from './state-change.js';

const TIMER = systemActor('timer');

/** The expiry job: a running environment whose expiry is still the one this job was set for is destroyed. */
export async function runExpire(s: Services, payload: JobPayload<'expire'>): Promise<void> {
  const destroying = await s.db.transaction(async (tx): Promise<EnvironmentRow | undefined> => {
    const env = await lockEnvironment(tx, payload.envId);
    if (env.state !== 'running' || env.expiresAt?.toISOString() !== payload.expiresAt) return undefined;
    const moved = await transition(s, tx, env.id, 'running', 'destroying', { destroyReason: 'expired' });
    await auditEnvironment(s, tx, moved!, { eventType: 'ttl.expired', actor: TIMER, details: { expires_at: payload.expiresAt } });
    await auditEnvironment(s, tx, moved!, { eventType: 'destroy.initiated', actor: TIMER, details: { reason: 'expired' } });
    return moved;
  });
  if (destroying) await startDestroyJob(s, destroying);
}

/** The approval timeout: a plan still pending at its deadline expires, with a decision row so nobody decides later. */
export async function runApprovalExpiry(s: Services, payload: JobPayload<'approval-expire'>): Promise<void> {
  const expired = await s.db.transaction(async (tx): Promise<EnvironmentRow | undefined> => {
    const env = await lockEnvironment(tx, payload.envId);
    if (env.state !== 'pending_approval') return undefined;
    if (s.clock.now() < env.approvalDeadline) {
      s.log.warn({ envId: env.id }, 'approval expiry ran before the deadline; the reconciler reschedules it');
      return undefined;
    }
    const moved = await transition(s, tx, env.id, 'pending_approval', 'approval_expired', { finishedAt: s.clock.now() });
    await tx.insert(decisions).values({ envId: env.id, outcome: 'expired', reason: 'no decision in time', decidedAt: s.clock.now() });
    await auditEnvironment(s, tx, moved!, {
      eventType: 'plan.expired',
      actor: TIMER,
      details: { deadline: env.approvalDeadline.toISOString() },
    });
    return moved;
  });
  if (!expired) return;
  await enqueueAfterCommit(s, expired.id, [
    () => s.jobs.add('notify', { envId: expired.id, event: 'plan.decided' }, { jobId: jobIds.notify(expired.id, 'plan.decided') }),
  ]);
}
