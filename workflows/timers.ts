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
 * The timer jobs of a running environment's current expiry: its expiry, and a reminder for every offset still worth
 * sending and not in `sentOffsets`. Job ids include the expiry, so adding them twice is harmless and an extension gets
 * fresh timers; jobs for an old expiry find nothing to do.
 */
export function timerJobs(env: EnvironmentRow, sentOffsets: ReadonlySet<number>, offsets: readonly number[], now: Date): JobToAdd[] {
  if (env.state !== 'running' || !env.expiresAt) return [];
  const expiresAt = env.expiresAt;
  const reminders = plannedReminders(expiresAt, offsets, now)
    .filter((reminder) => !sentOffsets.has(reminder.offsetSeconds))
    .map((reminder): JobToAdd => ({
      name: 'remind',
      payload: { envId: env.id, offsetSeconds: reminder.offsetSeconds, expiresAt: expiresAt.toISOString() },
      options: { jobId: jobIds.remind(env.id, reminder.offsetSeconds, expiresAt), runAt: reminder.dueAt },
    }));
  return [...reminders, { name: 'expire', payload: { envId: env.id, expiresAt: expiresAt.toISOString() }, options: { jobId: jobIds.expire(env.id, expiresAt), runAt: expiresAt } }];
}

/**
 * Schedules the timers of an environment that has just got its expiry (it started running, or was extended). No reminder
 * can have been sent for an expiry this new, so nothing is read: the timers, and any `alongside` jobs the same change
 * enqueues, go to the queue in one bulk add.
 */
export async function scheduleTimers(s: Services, env: EnvironmentRow, alongside: readonly JobToAdd[] = []): Promise<void> {
  await s.jobs.addMany([...timerJobs(env, new Set(), s.config.REMINDER_OFFSETS, s.clock.now()), ...alongside]);
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
