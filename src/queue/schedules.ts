import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobName } from './jobs.js';
import { retrySettingsOf, type RetryOverrides } from './jobs.js';

export interface ScheduleOptions {
  /** Milliseconds between reconciler runs (RECONCILE_INTERVAL is in seconds). */
  reconcileEveryMs: number;
  /** Cron pattern (UTC) of the daily audit retention purge. */
  retentionPattern?: string;
  /** Cron pattern (UTC) of the daily audit chain check. */
  verifyPattern?: string;
  /** Cron pattern (UTC) of the daily publication of the audit chain head. */
  headPattern?: string;
}

export const DEFAULT_RETENTION_PATTERN = '30 3 * * *';
/** After the purge, so the check covers the chain as the purge left it. */
export const DEFAULT_VERIFY_PATTERN = '45 3 * * *';
/** After the check, so the head published is one that was just verified. */
export const DEFAULT_HEAD_PATTERN = '0 4 * * *';

/** Finished runs of a repeating job worth keeping for inspection; older ones are dropped. */
const KEEP_RUNS = { count: 50 };

/**
 * Upserts the repeating jobs as BullMQ job schedulers. A scheduler lives in Redis under a fixed id, so every process
 * that starts workers upserts the same one and the schedule runs once, not once per process.
 */
export async function upsertSchedules(
  connection: Redis,
  prefix: string,
  schedules: ScheduleOptions,
  overrides?: RetryOverrides,
): Promise<void> {
  await upsert(connection, prefix, 'reconcile', { every: schedules.reconcileEveryMs }, overrides);
  await upsert(
    connection,
    prefix,
    'audit-retention',
    { pattern: schedules.retentionPattern ?? DEFAULT_RETENTION_PATTERN, tz: 'UTC' },
    overrides,
  );
  await upsert(connection, prefix, 'audit-verify', { pattern: schedules.verifyPattern ?? DEFAULT_VERIFY_PATTERN, tz: 'UTC' }, overrides);
  await upsert(connection, prefix, 'audit-head', { pattern: schedules.headPattern ?? DEFAULT_HEAD_PATTERN, tz: 'UTC' }, overrides);
}

async function upsert(
  connection: Redis,
  prefix: string,
  name: Extract<JobName, 'reconcile' | 'audit-retention' | 'audit-verify' | 'audit-head'>,
  repeat: { every: number } | { pattern: string; tz: string },
  overrides?: RetryOverrides,
): Promise<void> {
  const retry = retrySettingsOf(name, overrides);
  const queue = new Queue(name, { connection, prefix });
  try {
    await queue.upsertJobScheduler(name, repeat, {
      name,
      data: {},
      opts: {
        attempts: retry.attempts,
        backoff: { type: 'exponential', delay: retry.backoffMs },
        removeOnComplete: KEEP_RUNS,
        removeOnFail: KEEP_RUNS,
      },
    });
  } finally {
    await queue.close();
  }
}
