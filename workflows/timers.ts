import { and, eq } from 'drizzle-orm';
import { remindersSent } from '../src/db/schema/reminders.js';
import type { EnvironmentRow } from '../src/db/schema/environments.js';
import { jobIds, type JobName, type JobPayload } from '../src/queue/jobs.js';
import type { Services } from '../src/services.js';

/** A reminder due longer ago than this is stale (the environment started or was extended past it): it is skipped, not sent late. */
export const REMINDER_GRACE_MS = 60_000;

export interface PlannedReminder {
  offsetSeconds: number;
  dueAt: Date;
}

/** The reminders of a running environment's current expiry that are still worth sending, at the configured offsets. */
export function plannedReminders(expiresAt: Date, offsets: readonly number[], now: Date): PlannedReminder[] {
  return offsets
    .map((offsetSeconds) => ({ offsetSeconds, dueAt: new Date(expiresAt.getTime() - offsetSeconds * 1000) }))
    .filter((reminder) => reminder.dueAt.getTime() > now.getTime() - REMINDER_GRACE_MS);
}

/**
 * Makes sure a running environment has its expiry job and a job for every reminder not yet sent. Job ids include the expiry, so
 * scheduling twice is harmless and an extension gets fresh timers; jobs for an old expiry find nothing to do.
 */
export async function scheduleTimers(s: Services, env: EnvironmentRow, add: AddJob = defaultAdd(s)): Promise<void> {
  if (env.state !== 'running' || !env.expiresAt) return;
  const expiresAt = env.expiresAt;
  const sent = await s.db
    .select({ offsetSeconds: remindersSent.offsetSeconds })
    .from(remindersSent)
    .where(and(eq(remindersSent.envId, env.id), eq(remindersSent.expiresAt, expiresAt)));
  const sentOffsets = new Set(sent.map((row) => row.offsetSeconds));
  for (const reminder of plannedReminders(expiresAt, s.config.REMINDER_OFFSETS, s.clock.now())) {
    if (sentOffsets.has(reminder.offsetSeconds)) continue;
    await add(
      'remind',
      { envId: env.id, offsetSeconds: reminder.offsetSeconds, expiresAt: expiresAt.toISOString() },
      jobIds.remind(env.id, reminder.offsetSeconds, expiresAt),
      reminder.dueAt,
    );
  }
  await add('expire', { envId: env.id, expiresAt: expiresAt.toISOString() }, jobIds.expire(env.id, expiresAt), expiresAt);
}

/** Adds a job; the reconciler passes one that first checks the job is missing. */
export type AddJob = <N extends JobName>(name: N, payload: JobPayload<N>, jobId: string, runAt?: Date) => Promise<void>;

function defaultAdd(s: Services): AddJob {
  return (name, payload, jobId, runAt) => s.jobs.add(name, payload, { jobId, ...(runAt ? { runAt } : {}) });
}

/** Removes the timers of an expiry that no longer applies (after an extension or a destroy). Best effort: stale jobs are no-ops anyway. */
export async function cancelTimers(s: Services, envId: string, expiresAt: Date | null): Promise<void> {
  if (!expiresAt) return;
  await s.jobs.remove('expire', jobIds.expire(envId, expiresAt));
  for (const offsetSeconds of s.config.REMINDER_OFFSETS) {
    await s.jobs.remove('remind', jobIds.remind(envId, offsetSeconds, expiresAt));
  }
}
