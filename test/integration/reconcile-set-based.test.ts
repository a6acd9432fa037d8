import { addHours, addMinutes } from 'date-fns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environments, type NewEnvironmentRow } from '../../src/db/schema/environments.js';
import { remindersSent } from '../../src/db/schema/reminders.js';
import { jobIds, type JobToAdd } from '../../src/queue/jobs.js';
import { RECONCILE_BATCH, runReconcile } from '../../workflows/reconcile.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { commandServices, RecordingJobQueue, type CommandTestKit } from '../support/command-kit.js';

/** A queue that records the size of every batch the reconciler hands it. */
class BatchRecordingJobQueue extends RecordingJobQueue {
  readonly batches: number[] = [];

  override restoreMissing(jobs: readonly JobToAdd[]): Promise<JobToAdd[]> {
    this.batches.push(jobs.length);
    return super.restoreMissing(jobs);
  }
}

let database: TestDatabase;
let kit: CommandTestKit;
let queries = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  kit = await commandServices(database.db);
  // Every statement the services send goes through the pool's query (drizzle's and the raw ones alike).
  const pool = kit.s.db.$client;
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    queries += 1;
    return query(...args);
  };
});
afterAll(async () => {
  await database.drop();
});

async function addRunningLabs(from: number, count: number): Promise<void> {
  const now = kit.clock.now();
  const rows = Array.from({ length: count }, (_, offset): NewEnvironmentRow => {
    const index = from + offset;
    return {
      id: `env-set${index.toString(36).padStart(3, '0')}`,
      presetId: 'quick-sandbox',
      platform: 'slack',
      ownerId: `U0SET${index}`,
      ownerName: `owner ${index}`,
      state: 'running',
      ttlSeconds: 7200,
      requestedAt: now,
      approvalDeadline: addHours(now, 24),
      runningAt: now,
      expiresAt: addHours(now, 2),
      maxExpiresAt: addHours(now, 8),
      updatedAt: now,
    };
  });
  await kit.s.db.insert(environments).values(rows);
}

async function reconcileCounting(jobs: RecordingJobQueue) {
  kit.s.jobs = jobs;
  queries = 0;
  const report = await runReconcile(kit.s);
  return { report, queries };
}

describe('runReconcile, set-based', () => {
  it('reads Postgres in the same few queries for 40 labs as for 400, and restores every timer once, skipping reminders sent', async () => {
    await addRunningLabs(0, 40);
    const now = kit.clock.now();
    // Three labs were already reminded an hour ahead of their current expiry; one was reminded about an older expiry.
    await kit.s.db.insert(remindersSent).values([
      ...[0, 1, 2].map((index) => ({ envId: `env-set${index.toString(36).padStart(3, '0')}`, offsetSeconds: 3600, expiresAt: addHours(now, 2), sentAt: now })),
      { envId: 'env-set003', offsetSeconds: 3600, expiresAt: addMinutes(now, 30), sentAt: now },
    ]);

    const few = await reconcileCounting(new BatchRecordingJobQueue());
    // The default offsets (24h, 1h, 15m) leave two reminders ahead of a 2-hour expiry, plus the expiry itself.
    expect(few.report).toEqual({ checked: 40, restored: { remind: 2 * 40 - 3, expire: 40 } });

    await addRunningLabs(40, 360);
    const jobs = new BatchRecordingJobQueue();
    const many = await reconcileCounting(jobs);
    expect(many.report).toEqual({ checked: 400, restored: { remind: 2 * 400 - 3, expire: 400 } });
    expect(many.queries).toBe(few.queries);
    // The labs, the reminders sent, the cardless plans, and the invitations.
    expect(many.queries).toBeLessThanOrEqual(4);
    expect(new Set(jobs.added.map((job) => job.options.jobId)).size).toBe(3 * 400 - 3);
    const ids = new Set(jobs.added.map((job) => job.options.jobId));
    expect(ids.has(jobIds.remind('env-set000', 3600, addHours(now, 2)))).toBe(false);
    expect(ids.has(jobIds.remind('env-set003', 3600, addHours(now, 2)))).toBe(true);

    const again = await reconcileCounting(jobs);
    expect(again.report.restored).toEqual({});
  });

  it('hands the queue its jobs in batches, and goes on past a batch that fails', async () => {
    const jobs = new BatchRecordingJobQueue();
    let calls = 0;
    const restore = jobs.restoreMissing.bind(jobs);
    jobs.restoreMissing = (batch) => {
      calls += 1;
      return calls === 2 ? Promise.reject(new Error('Redis went away')) : restore(batch);
    };
    kit.s.jobs = jobs;
    const report = await runReconcile(kit.s, 500);
    expect(jobs.batches).toEqual([500, 197]);
    expect((report.restored.remind ?? 0) + (report.restored.expire ?? 0)).toBe(3 * 400 - 3 - 500);
    expect(RECONCILE_BATCH).toBeGreaterThanOrEqual(1000);
  });
});
