import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { jobOptions } from '../../src/queue/queue.js';
import { runReconcile, type ReconcileReport } from '../../workflows/reconcile.js';
import { createTestDatabase } from '../../test/support/database.js';
import type { PrivateRedis } from '../../test/support/redis-server.js';
import { uniquePrefix } from '../../test/support/redis.js';
import { seedRunningLabs } from './seed.js';
import { createWorkerSide, type WorkerSide } from './worker-side.js';

export interface RebuildFigures {
  /** The reconciler putting every timer back from Postgres after FLUSHALL. */
  rebuildMs: number;
  /** The same number of delayed jobs added with one `addBulk`: what Redis and BullMQ take at the least. */
  bulkAddMs: number;
}

export interface RebuildFixture {
  timers: number;
  /** Wipes Redis and times the reconciler rebuilding every timer, then `addBulk` of as many plain delayed jobs. */
  measure(): Promise<RebuildFigures>;
  close(): Promise<void>;
}

/**
 * `labs` running labs in a database of their own, their timers hours away (a lab keeps one in the queue: its next
 * reminder, or its expiry), scheduled once by the reconciler on a private redis-server that the runs then wipe.
 */
export async function openRebuildFixture(redis: PrivateRedis, labs: number, reminderOffsets: string): Promise<RebuildFixture> {
  const database = await createTestDatabase();
  let side: WorkerSide | undefined;
  const close = async () => {
    await side?.close();
    await database.drop();
  };
  try {
    side = await createWorkerSide({ databaseUrl: database.url, redisUrl: redis.url, prefix: uniquePrefix('bench-timers'), settings: { REMINDER_OFFSETS: reminderOffsets } });
    const now = Date.now();
    await seedRunningLabs(side.s.db, { count: labs, firstExpiry: new Date(now + 2 * 3600_000), lastExpiry: new Date(now + 3 * 3600_000), presetId: 'quick-sandbox' });
    const timers = labs;
    expectRestored(await runReconcile(side.s), timers, 'the first schedule');
    const reconciler = side;
    return {
      timers,
      async measure() {
        await redis.flushAll();
        const started = performance.now();
        expectRestored(await runReconcile(reconciler.s), timers, 'the rebuild');
        const rebuildMs = performance.now() - started;
        await redis.flushAll();
        const bulkAddMs = await timeBulkAdd(redis.url, timers);
        await redis.flushAll();
        return { rebuildMs, bulkAddMs };
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}


function expectRestored(report: ReconcileReport, timers: number, what: string): void {
  const restored = (report.restored.remind ?? 0) + (report.restored.expire ?? 0);
  if (restored !== timers) throw new Error(`${what}: the reconciler restored ${restored} of ${timers} timers`);
}

/** `count` delayed jobs with the options the bot gives its timers, in one `addBulk`. */
async function timeBulkAdd(url: string, count: number): Promise<number> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue('expire', { connection, prefix: uniquePrefix('bench-bulk') });
  try {
    const now = Date.now();
    const jobs = Array.from({ length: count }, (_, index) => {
      const runAt = new Date(now + 3600_000 + index);
      return {
        name: 'expire',
        data: { envId: `env-${index.toString(36).padStart(6, '0')}`, expiresAt: runAt.toISOString() },
        opts: jobOptions('expire', { jobId: `expire-bulk-${index}`, runAt }, now),
      };
    });
    const started = performance.now();
    await queue.addBulk(jobs);
    return performance.now() - started;
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
