import { and, inArray, isNull, lt } from 'drizzle-orm';
import { environments, type EnvironmentRow } from '../src/db/schema/environments.js';
import type { EnvState } from '../src/domain/lifecycle.js';
import { jobIds, type JobName, type JobPayload } from '../src/queue/jobs.js';
import type { Services } from '../src/services.js';
import { reconcileInvitations } from './invitations.js';
import { scheduleTimers, type AddJob } from './timers.js';

/** States in which some job must exist for the environment to move on. */
const IN_FLIGHT: readonly EnvState[] = ['pending_approval', 'approved', 'deploying', 'running', 'destroying'];

/** A card is re-posted only when its notify job has been gone for this long (it may simply not have run yet). */
const CARD_GRACE_MS = 60_000;

/**
 * Environments reconciled at once. Each is a few round trips to Redis (and one to Postgres when running); overlapping
 * them makes a pass over 10,000 environments take seconds rather than minutes, while the pool and Redis see a bounded load.
 */
export const RECONCILE_LANES = 16;

export interface ReconcileReport {
  checked: number;
  /** Jobs that were missing and have been added back, by job name. */
  restored: Partial<Record<JobName, number>>;
}

/**
 * Rebuilds, from Postgres, every job the environments in flight need (approval expiries, deploys, destroys, reminders
 * and expiries) and those of invitations (expiries, the invitee's card, the inviter's notice). Runs at start-up and every RECONCILE_INTERVAL, so a wiped Redis or a crash between a commit and its enqueue
 * loses nothing. Jobs have deterministic ids and their handlers check Postgres, so a job added twice runs once.
 */
export async function runReconcile(s: Services): Promise<ReconcileReport> {
  const inFlight = await s.db.select().from(environments).where(inArray(environments.state, [...IN_FLIGHT]));
  const report: ReconcileReport = { checked: inFlight.length, restored: {} };
  const ensure = async <N extends JobName>(name: N, payload: JobPayload<N>, jobId: string, runAt?: Date) => {
    if (await s.jobs.has(name, jobId)) return;
    // A finished job with the same id would make the add a no-op: clear it first.
    await s.jobs.remove(name, jobId);
    await s.jobs.add(name, payload, { jobId, ...(runAt ? { runAt } : {}) });
    report.restored[name] = (report.restored[name] ?? 0) + 1;
  };
  await inLanes(inFlight, RECONCILE_LANES, async (env) => {
    try {
      await reconcileOne(s, env, ensure);
    } catch (error) {
      s.log.error({ err: error, envId: env.id }, 'could not reconcile a lab');
    }
  });
  await repostMissingCards(s, ensure);
  try {
    await reconcileInvitations(s, ensure);
  } catch (error) {
    s.log.error({ err: error }, 'could not reconcile the invitations');
  }
  if (Object.keys(report.restored).length > 0) s.log.info({ report }, 'reconciler restored missing jobs');
  return report;
}

async function reconcileOne(s: Services, env: EnvironmentRow, ensure: AddJob): Promise<void> {
  switch (env.state) {
    case 'pending_approval':
      return ensure('approval-expire', { envId: env.id }, jobIds.approvalExpire(env.id), env.approvalDeadline);
    case 'approved':
    case 'deploying':
      return ensure('deploy', { envId: env.id }, jobIds.deploy(env.id));
    case 'destroying':
      return ensure('destroy', { envId: env.id }, jobIds.destroy(env.id));
    case 'running':
      return scheduleTimers(s, env, ensure);
    default:
      return;
  }
}

async function repostMissingCards(s: Services, ensure: AddJob): Promise<void> {
  const cutoff = new Date(s.clock.now().getTime() - CARD_GRACE_MS);
  const cardless = await s.db
    .select({ id: environments.id })
    .from(environments)
    .where(and(isNull(environments.approvalCard), inArray(environments.state, ['pending_approval']), lt(environments.requestedAt, cutoff)));
  for (const { id } of cardless) {
    await ensure('notify', { envId: id, event: 'plan.created' }, jobIds.notify(id, 'plan.created'));
  }
}

/** Runs `work` over every item, at most `lanes` at a time. */
async function inLanes<T>(items: readonly T[], lanes: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
}
