import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendAudit } from '../../src/audit/append.js';
import { MAX_GROUP } from '../../src/audit/append-group.js';
import { verifyChain } from '../../src/audit/verify.js';
import { ManualClock } from '../../src/clock.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { createTestDatabase, tamperWithAuditLog, type TestDatabase } from '../support/database.js';

/**
 * Appends from the pool share their commits: those arriving while an INSERT is in flight commit together in the next
 * one, sealed in the order they were appended; a lone append commits at once; a refused entry fails alone.
 */
let database: TestDatabase;
const clock = new ManualClock(new Date());
let inserts = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  const pool = database.db.$client;
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
    if (text?.includes('insert into audit_pending')) inserts += 1;
    return query(...args);
  };
});
afterAll(async () => {
  await database.drop();
});
beforeEach(async () => {
  await tamperWithAuditLog(database, 'delete from audit_log');
  inserts = 0;
});

const entry = (label: string) =>
  ({ eventType: 'command.invoked', actor: { type: 'user', id: 'U0ALICE', name: 'alice' }, platform: 'slack', outcome: 'ok', details: { text: label }, requestId: label }) as const;
const stored = () => database.db.select().from(auditLog).orderBy(asc(auditLog.id));

describe('appendAudit from the pool, in groups', () => {
  it('commits a lone append at once, in one INSERT of its own', async () => {
    await appendAudit(database.db, clock, entry('alone'));
    expect((await stored()).map((row) => row.requestId)).toEqual(['alone']);
    expect(inserts).toBe(1);
  });

  it('commits concurrent appends together, chained in the order they were appended, each once', async () => {
    const labels = Array.from({ length: MAX_GROUP + 50 }, (_, index) => `e${index}`);
    await Promise.all(labels.map((label) => appendAudit(database.db, clock, entry(label))));

    expect((await stored()).map((row) => row.requestId)).toEqual(labels);
    // The first goes alone; the rest wait for it and go in groups of at most MAX_GROUP.
    expect(inserts).toBe(3);
    expect(await verifyChain(database.db)).toMatchObject({ checked: labels.length, intact: true });
    const pending = await database.pool.query<{ n: string }>('select count(*) as n from audit_pending');
    expect(pending.rows[0]!.n).toBe('0');
  });

  it('fails a refused entry alone: the others of its group are committed', async () => {
    await database.pool.query("alter table audit_pending add constraint no_poison check (request_id <> 'poison')");
    try {
      const labels = ['a', 'b', 'poison', 'c'];
      const results = await Promise.allSettled(labels.map((label) => appendAudit(database.db, clock, entry(label))));
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/no_poison/);
      expect((await stored()).map((row) => row.requestId)).toEqual(['a', 'b', 'c']);
      expect(await verifyChain(database.db)).toMatchObject({ checked: 3, intact: true });
    } finally {
      await database.pool.query('alter table audit_pending drop constraint no_poison');
    }
  });
});
