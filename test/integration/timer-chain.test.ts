import { addHours, addMinutes } from 'date-fns';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { environments, type EnvironmentRow } from '../../src/db/schema/environments.js';
import { remindersSent } from '../../src/db/schema/reminders.js';
import { jobIds } from '../../src/queue/jobs.js';
import type { Services } from '../../src/services.js';
import { runRemind } from '../../workflows/remind.js';
import { nextTimer, offsetsUpTo, scheduleFirstTimer } from '../../workflows/timers.js';
import { RecordingJobQueue } from '../support/command-kit.js';
import { createTestDatabase } from '../support/database.js';
import { RecordingNotifier } from '../support/recording-notifier.js';
import { buildServices } from '../support/services.js';

/** A running lab keeps one timer in the queue: its first reminder, then each reminder adds the next, the last the expiry. */
const clock = new ManualClock('2026-11-26T12:00:00.000Z');
const notifier = new RecordingNotifier('slack');
const jobs = new RecordingJobQueue();
let s: Services;
let labs = 0;

beforeAll(async () => {
  const database = await createTestDatabase();
  s = await buildServices({ db: database.db, settings: { REMINDER_OFFSETS: '24h,1h,15m' }, clock, jobs, notifiers: [notifier] });
  return () => database.drop();
});

async function runningLab(expiresAt: Date): Promise<EnvironmentRow> {
  labs += 1;
  const now = clock.now();
  const [row] = await s.db
    .insert(environments)
    .values({
      id: `env-chain${labs}`,
      presetId: 'quick-sandbox',
      platform: 'slack',
      ownerId: `U0CHAIN${labs}`,
      ownerName: `owner ${labs}`,
      state: 'running',
      ttlSeconds: Math.round((expiresAt.getTime() - now.getTime()) / 1000),
      requestedAt: now,
      approvalDeadline: addHours(now, 24),
      runningAt: now,
      expiresAt,
      maxExpiresAt: addHours(expiresAt, 8),
      updatedAt: now,
    })
    .returning();
  return row!;
}

const remindPayload = (env: EnvironmentRow, offsetSeconds: number) => ({ envId: env.id, offsetSeconds, expiresAt: env.expiresAt!.toISOString() });
const idsAdded = () => jobs.added.map((job) => job.options.jobId);
const sentRows = (envId: string) => s.db.select().from(remindersSent).where(eq(remindersSent.envId, envId));

describe('nextTimer', () => {
  it('picks the earliest reminder not done and still worth sending, and the expiry once none is left', async () => {
    const now = clock.now();
    const env = { id: 'env-next01', state: 'running', expiresAt: addHours(now, 2) } as EnvironmentRow;
    const offsets = [86_400, 3600, 900];
    // The 24 h reminder of a 2 h lab was due long ago: skipped, not sent late.
    expect(nextTimer(env, new Set(), offsets, now)?.options.jobId).toBe(jobIds.remind(env.id, 3600, env.expiresAt!));
    expect(nextTimer(env, offsetsUpTo(3600, offsets), offsets, now)?.options).toEqual({ jobId: jobIds.remind(env.id, 900, env.expiresAt!), runAt: addMinutes(env.expiresAt!, -15) });
    expect(nextTimer(env, offsetsUpTo(900, offsets), offsets, now)).toEqual({
      name: 'expire',
      payload: { envId: env.id, expiresAt: env.expiresAt!.toISOString() },
      options: { jobId: jobIds.expire(env.id, env.expiresAt!), runAt: env.expiresAt },
    });
    // Offsets in any order: the earliest due comes first.
    expect(nextTimer(env, new Set(), [900, 3600], now)?.options.jobId).toBe(jobIds.remind(env.id, 3600, env.expiresAt!));
    expect(nextTimer(env, new Set(), [], now)?.name).toBe('expire');
    expect(nextTimer({ ...env, state: 'destroying' }, new Set(), offsets, now)).toBeUndefined();
  });
});

describe('the timer chain', () => {
  it('schedules the first reminder alone, and each reminder adds the next timer before it sends, even when its DM fails', async () => {
    const env = await runningLab(addHours(clock.now(), 2));
    const expiresAt = env.expiresAt!;
    await scheduleFirstTimer(s, env);
    expect(idsAdded()).toEqual([jobIds.remind(env.id, 3600, expiresAt)]);

    notifier.failNext('dm');
    await expect(runRemind(s, remindPayload(env, 3600))).rejects.toThrow('dm failed');
    // The reminder was not recorded as sent (it is retried), but the next timer is already in the queue.
    expect(await sentRows(env.id)).toEqual([]);
    expect(idsAdded()).toContain(jobIds.remind(env.id, 900, expiresAt));

    await runRemind(s, remindPayload(env, 3600));
    // A retry of a reminder already sent sends nothing and adds the same next timer again: the same id, which BullMQ
    // takes once.
    await runRemind(s, remindPayload(env, 3600));
    expect(notifier.calls.filter((call) => call.kind === 'dm')).toHaveLength(1);
    expect(idsAdded().filter((id) => id === jobIds.remind(env.id, 900, expiresAt))).toHaveLength(3);
    expect(jobs.added.some((job) => job.name === 'expire')).toBe(false);

    await runRemind(s, remindPayload(env, 900));
    expect(idsAdded().at(-1)).toBe(jobIds.expire(env.id, expiresAt));
    expect((await sentRows(env.id)).map((row) => row.offsetSeconds).sort()).toEqual([3600, 900].sort());
  });

  it('adds nothing for a reminder of an expiry that no longer applies', async () => {
    const env = await runningLab(addHours(clock.now(), 3));
    const before = jobs.added.length;
    await runRemind(s, { ...remindPayload(env, 3600), expiresAt: addHours(clock.now(), 1).toISOString() });
    expect(jobs.added.length).toBe(before);
    expect(await sentRows(env.id)).toEqual([]);
  });
});
