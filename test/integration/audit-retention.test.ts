import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendAudit } from '../../src/audit/append.js';
import type { AuditEntryInput } from '../../src/audit/types.js';
import { purgeExpiredEntries, runAuditRetention, setRetentionDays } from '../../src/audit/retention.js';
import { verifyChain } from '../../src/audit/verify.js';
import { ManualClock } from '../../src/clock.js';
import { auditLog, auditSettings } from '../../src/db/schema/audit.js';
import { silentLogger } from '../../src/log.js';
import { createTestDatabase, tamperWithAuditLog, type TestDatabase } from '../support/database.js';

const DAY_MS = 86_400_000;
let database: TestDatabase;
/** Real time: the database's DELETE guard compares entries with its own clock. */
const clock = new ManualClock(new Date());
const daysAgo = (days: number): Date => new Date(clock.now().getTime() - days * DAY_MS);

function entry(occurredAt: Date, label: string): AuditEntryInput {
  return {
    eventType: 'plan.created',
    actor: { type: 'user', id: 'U1', name: 'alice' },
    platform: 'slack',
    resource: { type: 'environment', id: 'env-abc123' },
    outcome: 'ok',
    details: { label },
    occurredAt,
  };
}

async function appendAt(...ages: number[]): Promise<void> {
  for (const age of ages) await appendAudit(database.db, clock, entry(daysAgo(age), `${age}d`));
}

async function labels(): Promise<unknown[]> {
  const rows = await database.db.select().from(auditLog).orderBy(asc(auditLog.id));
  return rows.map((row) => (row.eventType === 'audit.purged' ? 'purged' : row.details.label));
}

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});
beforeEach(async () => {
  await tamperWithAuditLog(database, 'truncate audit_log restart identity');
  await setRetentionDays(database.db, 90);
});

describe('purgeExpiredEntries', () => {
  it('removes only the entries older than the retention period, audits it, and leaves a verifiable chain', async () => {
    await appendAt(200, 120, 91, 89, 10, 0);
    const before = await database.db.select().from(auditLog).orderBy(asc(auditLog.id));

    const result = await purgeExpiredEntries(database.db, clock, 90);

    expect(result.purged).toBe(3);
    expect(result.details).toEqual({ count: 3, throughId: 3, anchorHash: before[2]!.hash });
    expect(await labels()).toEqual(['89d', '10d', '0d', 'purged']);
    expect(result.entry).toMatchObject({
      eventType: 'audit.purged',
      category: 'audit',
      actorType: 'system',
      actorId: 'retention',
      details: { count: 3, throughId: 3, anchorHash: before[2]!.hash, retentionDays: 90, cutoff: daysAgo(90).toISOString() },
    });
    expect(await verifyChain(database.db)).toMatchObject({ checked: 4, intact: true, head: { id: 7 } });
  });

  it('keeps the chain verifiable across repeated purges, as days pass', async () => {
    await appendAt(100, 95, 80, 70);
    await purgeExpiredEntries(database.db, clock, 90);
    await appendAt(1);
    clock.advance(15 * DAY_MS);
    try {
      // By the app's clock 80d is now 95 days old, but the database's clock has not moved: its guard still protects it.
      const result = await purgeExpiredEntries(database.db, clock, 90);
      expect(result.purged).toBe(0);
      expect(await labels()).toEqual(['80d', '70d', 'purged', '1d']);
    } finally {
      clock.advance(-15 * DAY_MS);
    }
    await appendAt(95);
    expect(await purgeExpiredEntries(database.db, clock, 60)).toMatchObject({ purged: 0 });
    await setRetentionDays(database.db, 60);
    expect(await purgeExpiredEntries(database.db, clock, 60)).toMatchObject({ purged: 2 });
    expect(await labels()).toEqual(['purged', '1d', '95d', 'purged']);
    expect(await verifyChain(database.db)).toMatchObject({ checked: 4, intact: true });
  });

  it('purges only the oldest run: an old entry after a younger one waits, so the chain has no hole', async () => {
    await appendAt(120, 30, 100);
    expect(await purgeExpiredEntries(database.db, clock, 90)).toMatchObject({ purged: 1 });
    expect(await labels()).toEqual(['30d', '100d', 'purged']);
    expect(await verifyChain(database.db)).toMatchObject({ checked: 3, intact: true });
  });

  it('purges everything when every entry is old; the purge entry then starts the chain', async () => {
    await appendAt(300, 200);
    expect(await purgeExpiredEntries(database.db, clock, 90)).toMatchObject({ purged: 2 });
    expect(await labels()).toEqual(['purged']);
    expect(await verifyChain(database.db)).toMatchObject({ checked: 1, intact: true });
  });

  it('does nothing and writes nothing when no entry is old enough', async () => {
    await appendAt(10, 0);
    expect(await purgeExpiredEntries(database.db, clock, 90)).toMatchObject({ purged: 0, entry: null });
    expect(await database.db.$count(auditLog)).toBe(2);
  });

  it('is still caught by verify when entries after the purge are deleted', async () => {
    await appendAt(120, 10, 5);
    await purgeExpiredEntries(database.db, clock, 90);
    await tamperWithAuditLog(database, 'delete from audit_log where id = 2');
    const result = await verifyChain(database.db);
    expect(result).toMatchObject({ intact: false, checked: 1, firstBroken: { id: 3 } });
    expect(result.intact === false && result.firstBroken.reason).toMatch(/retention purge through #1/);
  });

  it('refuses to verify against a published head that the purge removed', async () => {
    await appendAt(120, 10);
    const [old] = await database.db.select().from(auditLog).where(eq(auditLog.id, 1));
    await purgeExpiredEntries(database.db, clock, 90);
    await expect(verifyChain(database.db, { publishedHead: { id: 1, hash: old!.hash } })).rejects.toMatchObject({ code: 'head_purged' });
  });

  it('runs as the audit-retention job with the configured period', async () => {
    await appendAt(40, 20);
    const result = await runAuditRetention({ db: database.db, clock, config: { AUDIT_RETENTION_DAYS: 30 }, log: silentLogger });
    // The database still holds 90 days: it refuses to go below its own setting, so nothing goes.
    expect(result.purged).toBe(0);
    await setRetentionDays(database.db, 30);
    expect(await runAuditRetention({ db: database.db, clock, config: { AUDIT_RETENTION_DAYS: 30 }, log: silentLogger })).toMatchObject({ purged: 1 });
  });
});

describe('setRetentionDays', () => {
  it('updates the setting the DELETE guard reads', async () => {
    await setRetentionDays(database.db, 30);
    expect(await database.db.select().from(auditSettings)).toEqual([{ id: 'singleton', retentionDays: 30 }]);
    await appendAt(40);
    await database.pool.query('delete from audit_log where id = 1');
    expect(await database.db.$count(auditLog)).toBe(0);
  });

  it('refuses a period the guard could not use', async () => {
    await expect(setRetentionDays(database.db, 0)).rejects.toThrow(/from 1 to 3650/);
    await expect(setRetentionDays(database.db, 1.5)).rejects.toThrow(RangeError);
    expect(await database.db.select().from(auditSettings)).toEqual([{ id: 'singleton', retentionDays: 90 }]);
  });
});
