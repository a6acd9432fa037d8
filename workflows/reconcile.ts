import { and, inArray, isNull, lt } from 'drizzle-orm';
import { environments, type EnvironmentRow } from '../src/db/schema/environments.js';
import type { EnvState } from '../src/domain/lifecycle.js';
import { jobIds, type JobName, type JobToAdd } from '../src/queue/jobs.js';
import type { Services } from '../src/services.js';
import { invitationJobs } from './invitations.js';
import { nextTimer, sentRemindersOfRunning } from './timers.js';

/** States in which some job must exist for the environment to move on. */
const IN_FLIGHT: readonly EnvState[] = ['pending_approval', 'approved', 'deploying', 'running', 'destroying'];

/** A card is re-posted only when its notify job has been gone for this long (it may simply not have run yet). */
const CARD_GRACE_MS = 60_000;

/**
 * Jobs checked and restored at once. Each batch is one pipeline of state checks and one bulk add per queue, so a pass
 * over 10,000 environments is a few dozen round trips to Redis, and no batch holds Redis up for long.
 */
export const RECONCILE_BATCH = 5000;

export interface ReconcileReport {
  checked: number;
  /** Jobs that were missing and have been added back, by job name. */
  restored: Partial<Record<JobName, number>>;
}

/**
 * Rebuilds, from Postgres, every job the environments in flight need (approval expiries, deploys, destroys, and the next
 * timer of each running lab: its next reminder, or its expiry) and those of invitations (expiries, the invitee's card, the inviter's notice). Runs at start-up and every RECONCILE_INTERVAL, so a wiped Redis or a crash between a commit and its enqueue
 * loses nothing. Set-based: the environments and the reminders already sent are read in two queries, whatever their
 * number, and the jobs they need are checked and added in batches. Jobs have deterministic ids and their handlers check
 * Postgres, so a job added twice runs once.
 */
export async function runReconcile(s: Services, batchSize = RECONCILE_BATCH): Promise<ReconcileReport> {
  const inFlight = await s.db.select().from(environments).where(inArray(environments.state, [...IN_FLIGHT]));
  const sent = inFlight.some((env) => env.state === 'running') ? await sentRemindersOfRunning(s) : new Map<string, Set<number>>();
  const now = s.clock.now();
  const needed = inFlight.flatMap((env) => jobsNeeded(s, env, sent.get(env.id) ?? new Set(), now));
  needed.push(...(await missingCardJobs(s)));
  needed.push(...(await invitationJobs(s)));

  const report: ReconcileReport = { checked: inFlight.length, restored: {} };
  for (let start = 0; start < needed.length; start += batchSize) {
    const batch = needed.slice(start, start + batchSize);
    try {
      for (const job of await s.jobs.restoreMissing(batch)) report.restored[job.name] = (report.restored[job.name] ?? 0) + 1;
    } catch (error) {
      s.log.error({ err: error, jobs: batch.length }, 'could not reconcile a batch of jobs; the next pass tries again');
    }
  }
  if (Object.keys(report.restored).length > 0) s.log.info({ report }, 'reconciler restored missing jobs');
  return report;
}

/** The jobs an environment in flight needs to move on. */
function jobsNeeded(s: Services, env: EnvironmentRow, sentOffsets: ReadonlySet<number>, now: Date): JobToAdd[] {
  switch (env.state) {
    case 'pending_approval':
      return [{ name: 'approval-expire', payload: { envId: env.id }, options: { jobId: jobIds.approvalExpire(env.id), runAt: env.approvalDeadline } }];
    case 'approved':
    case 'deploying':
      return [{ name: 'deploy', payload: { envId: env.id }, options: { jobId: jobIds.deploy(env.id) } }];
    case 'destroying':
      return [{ name: 'destroy', payload: { envId: env.id }, options: { jobId: jobIds.destroy(env.id) } }];
    case 'running': {
      const timer = nextTimer(env, sentOffsets, s.config.REMINDER_OFFSETS, now);
      return timer ? [timer] : [];
    }
    default:
      return [];
  }
}

/** The approval cards to post again: plans waiting for a while with no card. */
async function missingCardJobs(s: Services): Promise<JobToAdd[]> {
  const cutoff = new Date(s.clock.now().getTime() - CARD_GRACE_MS);
  const cardless = await s.db
    .select({ id: environments.id })
    .from(environments)
    .where(and(isNull(environments.approvalCard), inArray(environments.state, ['pending_approval']), lt(environments.requestedAt, cutoff)));
  return cardless.map(({ id }): JobToAdd => ({ name: 'notify', payload: { envId: id, event: 'plan.created' }, options: { jobId: jobIds.notify(id, 'plan.created') } }));
}
