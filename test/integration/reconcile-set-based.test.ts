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
  it('reads Postgres in the same few queries for 40 labs as for 400, and restores the next timer of each lab once, skipping reminders sent', async () => {
    await addRunningLabs(0, 40);
    const now = kit.clock.now();
    const expiry = addHours(now, 2);
    // Three labs were already reminded an hour ahead of their current expiry; one was reminded about an older expiry;
    // one was sent both reminders ahead of its current expiry.
    await kit.s.db.insert(remindersSent).values([
      ...[0, 1, 2].map((index) => ({ envId: `env-set${index.toString(36).padStart(3, '0')}`, offsetSeconds: 3600, expiresAt: expiry, sentAt: now })),
      { envId: 'env-set003', offsetSeconds: 3600, expiresAt: addMinutes(now, 30), sentAt: now },
      { envId: 'env-set004', offsetSeconds: 3600, expiresAt: expiry, sentAt: now },
      { envId: 'env-set004', offsetSeconds: 900, expiresAt: expiry, sentAt: now },
    ]);

    const few = await reconcileCounting(new BatchRecordingJobQueue());
    // The default offsets (24h, 1h, 15m) leave two reminders ahead of a 2-hour expiry: a lab's next timer is the first
    // of them not sent, or, when both were, the expiry. One job per lab.
    expect(few.report).toEqual({ checked: 40, restored: { remind: 39, expire: 1 } });

    await addRunningLabs(40, 360);
    const jobs = new BatchRecordingJobQueue();
    const many = await reconcileCounting(jobs);
    expect(many.report).toEqual({ checked: 400, restored: { remind: 399, expire: 1 } });
    expect(many.queries).toBe(few.queries);
    // The labs, the reminders sent, the cardless plans, and the invitations.
    expect(many.queries).toBeLessThanOrEqual(4);
    const ids = new Set(jobs.added.map((job) => job.options.jobId));
    expect(ids.size).toBe(400);
    expect(ids.has(jobIds.remind('env-set000', 3600, expiry))).toBe(false);
    expect(ids.has(jobIds.remind('env-set000', 900, expiry))).toBe(true);
    expect(ids.has(jobIds.remind('env-set003', 3600, expiry))).toBe(true);
    expect(ids.has(jobIds.expire('env-set004', expiry))).toBe(true);
    expect(ids.has(jobIds.expire('env-set005', expiry))).toBe(false);

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
    const report = await runReconcile(kit.s, 150);
    expect(jobs.batches).toEqual([150, 100]);
    expect((report.restored.remind ?? 0) + (report.restored.expire ?? 0)).toBe(400 - 150);
    expect(RECONCILE_BATCH).toBeGreaterThanOrEqual(1000);
  });
});
