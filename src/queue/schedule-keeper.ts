import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { RetryOverrides } from './jobs.js';
import { upsertSchedules, type ScheduleOptions } from './schedules.js';

export interface ScheduleKeeper {
  /** Checks now; resolves once the schedules are known to exist (or the check failed and was logged). */
  check(): Promise<void>;
  /** Stops checking. Does not wait for a check in flight: with Redis away it would wait for the reconnect. */
  stop(): void;
}

/**
 * The repeating jobs live in Redis like any job, so a Redis restarted without persistence, or flushed, loses them,
 * and with them the reconciler that would rebuild everything else. This puts them back: it checks on every reconnect
 * and every reconcile interval that the reconcile scheduler exists, and upserts all schedules when it does not.
 */
export function keepSchedules(connection: Redis, prefix: string, schedules: ScheduleOptions, retries: RetryOverrides | undefined, log: Logger): ScheduleKeeper {
  const queue = new Queue('reconcile', { connection, prefix });
  let inFlight: Promise<void> | undefined;
  let stopped = false;

  const restoreIfMissing = async () => {
    try {
      if (await queue.getJobScheduler('reconcile')) return;
      await upsertSchedules(connection, prefix, schedules, retries);
      log.warn({ prefix }, 'the repeating jobs were missing from Redis (restarted empty or flushed); restored them');
    } catch (error) {
      if (!stopped) log.warn({ err: error }, 'could not check the repeating jobs; trying again at the next interval');
    }
  };
  const check = () => {
    if (stopped) return Promise.resolve();
    inFlight ??= restoreIfMissing().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
  const onReady = () => void check();
  connection.on('ready', onReady);
  const timer = setInterval(onReady, schedules.reconcileEveryMs);
  timer.unref();

  return {
    check,
    stop() {
      stopped = true;
      clearInterval(timer);
      connection.off('ready', onReady);
      queue.close().catch(() => undefined);
    },
  };
}
