import { and, eq } from 'drizzle-orm';
import { remindersSent } from '../src/db/schema/reminders.js';
import { environments, type EnvironmentRow } from '../src/db/schema/environments.js';
import { jobIds, type JobToAdd } from '../src/queue/jobs.js';
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
 * The next timer of a running environment's current expiry: the earliest reminder still worth sending and not in
 * `doneOffsets`, or, when none is left, the expiry itself. A lab has one timer in the queue at a time: each reminder
 * schedules the next timer as it runs (`runRemind`), so the queue holds one job per running lab rather than one per
 * reminder, and the reconciler rebuilds one job per lab. Job ids include the expiry, so adding one twice is harmless
 * and an extension gets fresh timers; jobs for an old expiry find nothing to do.
 */
export function nextTimer(env: EnvironmentRow, doneOffsets: ReadonlySet<number>, offsets: readonly number[], now: Date): JobToAdd | undefined {
  if (env.state !== 'running' || !env.expiresAt) return undefined;
  const expiresAt = env.expiresAt;
  const [reminder] = plannedReminders(expiresAt, offsets, now)
    .filter((planned) => !doneOffsets.has(planned.offsetSeconds))
    .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  if (reminder) {
    return {
      name: 'remind',
      payload: { envId: env.id, offsetSeconds: reminder.offsetSeconds, expiresAt: expiresAt.toISOString() },
      options: { jobId: jobIds.remind(env.id, reminder.offsetSeconds, expiresAt), runAt: reminder.dueAt },
    };
  }
  return { name: 'expire', payload: { envId: env.id, expiresAt: expiresAt.toISOString() }, options: { jobId: jobIds.expire(env.id, expiresAt), runAt: expiresAt } };
}

/** The offsets a reminder at `offsetSeconds` comes after or with: once it is handled, what is left are the later ones and the expiry. */
export function offsetsUpTo(offsetSeconds: number, offsets: readonly number[]): Set<number> {
  return new Set(offsets.filter((offset) => offset >= offsetSeconds));
}

/**
 * Schedules the first timer of an environment that has just got its expiry (it started running, or was extended). No
 * reminder can have been sent for an expiry this new, so nothing is read: the timer, and any `alongside` jobs the same
 * change enqueues, go to the queue in one bulk add. With `newIds` the caller vouches that no job had the ids before
 * (a lab's first expiry, when it starts running), and the queue does not look them up.
 */
export async function scheduleFirstTimer(s: Services, env: EnvironmentRow, alongside: readonly JobToAdd[] = [], options: { newIds?: boolean } = {}): Promise<void> {
  const first = nextTimer(env, new Set(), s.config.REMINDER_OFFSETS, s.clock.now());
  await s.jobs.addMany([...(first ? [first] : []), ...alongside], options);
}

/** The reminders already sent about the current expiry of every running environment, in one query. */
export async function sentRemindersOfRunning(s: Services): Promise<Map<string, Set<number>>> {
  const rows = await s.db
    .select({ envId: remindersSent.envId, offsetSeconds: remindersSent.offsetSeconds })
    .from(remindersSent)
    .innerJoin(environments, and(eq(environments.id, remindersSent.envId), eq(environments.expiresAt, remindersSent.expiresAt)))
    .where(eq(environments.state, 'running'));
  const sent = new Map<string, Set<number>>();
  for (const row of rows) sent.set(row.envId, (sent.get(row.envId) ?? new Set()).add(row.offsetSeconds));
  return sent;
}

/** Removes the timers of an expiry that no longer applies (after an extension or a destroy). Best effort: stale jobs are no-ops anyway. */
export async function cancelTimers(s: Services, envId: string, expiresAt: Date | null): Promise<void> {
  if (!expiresAt) return;
  await s.jobs.remove('expire', jobIds.expire(envId, expiresAt));
  for (const offsetSeconds of s.config.REMINDER_OFFSETS) {
    await s.jobs.remove('remind', jobIds.remind(envId, offsetSeconds, expiresAt));
  }
}
