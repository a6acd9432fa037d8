import { addHours } from 'date-fns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environments, type NewEnvironmentRow } from '../../src/db/schema/environments.js';
import type { JobName } from '../../src/queue/jobs.js';
import { RECONCILE_LANES, runReconcile } from '../../workflows/reconcile.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { commandServices, RecordingJobQueue, type CommandTestKit } from '../support/command-kit.js';

/**
 * A queue whose existence checks wait until RECONCILE_LANES of them are open at once (or a short while, for the last
 * few labs), so a test can see how many labs the reconciler works on side by side.
 */
class GatedJobQueue extends RecordingJobQueue {
  open = 0;
  peak = 0;
  private waiting: (() => void)[] = [];

  override async has(name: JobName, jobId: string): Promise<boolean> {
    this.open += 1;
    this.peak = Math.max(this.peak, this.open);
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      if (this.open >= RECONCILE_LANES) this.releaseAll();
      else setTimeout(resolve, 200);
    });
    this.open -= 1;
    return super.has(name, jobId);
  }

  private releaseAll(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

const LABS = 40;
let database: TestDatabase;
let kit: CommandTestKit;
let jobs: GatedJobQueue;

beforeAll(async () => {
  database = await createTestDatabase();
  kit = await commandServices(database.db);
  jobs = new GatedJobQueue();
  kit.s.jobs = jobs;
  const now = kit.clock.now();
  const rows = Array.from({ length: LABS }, (_, index): NewEnvironmentRow => ({
    id: `env-lane${index.toString(36).padStart(2, '0')}`,
    presetId: 'quick-sandbox',
    platform: 'slack',
    ownerId: `U0LANE${index}`,
    ownerName: `owner ${index}`,
    state: 'running',
    ttlSeconds: 7200,
    requestedAt: now,
    approvalDeadline: addHours(now, 24),
    runningAt: now,
    expiresAt: addHours(now, 2),
    maxExpiresAt: addHours(now, 8),
    updatedAt: now,
  }));
  await kit.s.db.insert(environments).values(rows);
});
afterAll(async () => {
  await database.drop();
});

describe('runReconcile over many labs', () => {
  it('works on RECONCILE_LANES labs side by side, never more, and restores every timer once', async () => {
    const report = await runReconcile(kit.s);

    expect(jobs.peak).toBe(RECONCILE_LANES);
    expect(report.checked).toBe(LABS);
    // The default offsets (24h, 1h, 15m) leave two reminders ahead of a 2-hour expiry, plus the expiry itself.
    expect(report.restored).toEqual({ remind: 2 * LABS, expire: LABS });
    expect(new Set(jobs.added.map((job) => job.options.jobId)).size).toBe(3 * LABS);

    const again = await runReconcile(kit.s);
    expect(again.restored).toEqual({});
  });
});
