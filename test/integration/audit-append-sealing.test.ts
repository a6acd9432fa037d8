import { asc, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendAudit } from '../../src/audit/append.js';
import { chainHash, GENESIS_HASH, type ChainedFields } from '../../src/audit/chain.js';
import { verifyChain } from '../../src/audit/verify.js';
import { ManualClock } from '../../src/clock.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { createTestDatabase, tamperWithAuditLog, type TestDatabase } from '../support/database.js';

/**
 * `appendAudit` writes the entry as pending; the commit of its transaction seals it (id, previous hash, hash) under the
 * chain lock. So the lock is never held while a transaction is still running statements, and the chain the database
 * builds is the one the app's `chainHash` checks.
 */
let database: TestDatabase;
const clock = new ManualClock(new Date());

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});
beforeEach(async () => {
  // Entries are only ever removed by the retention purge; each case starts from a fresh chain instead.
  await tamperWithAuditLog(database, 'delete from audit_log');
});

const entry = (label: string, text = label) =>
  ({
    eventType: 'command.invoked',
    actor: { type: 'user', id: 'U0ALICE', name: 'Ålice "the admin"' },
    platform: 'slack',
    channelId: 'C1',
    outcome: 'ok',
    details: { text, zeta: 1, alpha: { b: [1, 'two', null], a: true } },
    requestId: label,
  }) as const;

const stored = () => database.db.select().from(auditLog).orderBy(asc(auditLog.id));
const pending = async () => Number((await database.pool.query<{ n: string }>('select count(*) as n from audit_pending')).rows[0]!.n);

describe('appendAudit', () => {
  it('seals each entry with the hash the app computes over the stored row, for text that needs escaping anywhere', async () => {
    await appendAudit(database.db, clock, entry('quotes', 'request soc-platform --name "Q3, \\"red\\"\nteam" ü 李 😀'));
    await appendAudit(database.db, clock, entry('escapes', '=HYPERLINK("x")\t\\ \u2028 \u0000'));
    const rows = await stored();

    expect(rows.map((row) => row.requestId)).toEqual(['quotes', 'escapes']);
    expect((rows[0]!.details as { text: string }).text).toBe('request soc-platform --name "Q3, \\"red\\"\nteam" ü 李 😀');
    expect(rows[0]!.prevHash).toBe(GENESIS_HASH);
    expect(rows[1]!.prevHash).toBe(rows[0]!.hash);
    for (const row of rows) expect(row.hash).toBe(chainHash(row.prevHash, row as ChainedFields));
    expect(await pending()).toBe(0);
  });

  it('holds no lock while the transaction runs: a later append commits first and the earlier one chains after it', async () => {
    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstAppended!: () => void;
    const appended = new Promise<void>((resolve) => (firstAppended = resolve));
    const first = database.db.transaction(async (tx) => {
      await appendAudit(tx, clock, entry('first appended'));
      firstAppended();
      await firstMayCommit;
    });
    await appended;
    // Were the chain lock taken at the append, this would wait for the first transaction, which waits for it: a hang.
    await appendAudit(database.db, clock, entry('second appended'));
    expect((await stored()).map((row) => row.requestId)).toEqual(['second appended']);
    releaseFirst();
    await first;

    const rows = await stored();
    expect(rows.map((row) => row.requestId)).toEqual(['second appended', 'first appended']);
    expect(rows[1]!.prevHash).toBe(rows[0]!.hash);
    expect(await verifyChain(database.db)).toMatchObject({ checked: 2, intact: true });
  });

  it('seals the entries of one transaction in the order they were appended', async () => {
    await database.db.transaction(async (tx) => {
      for (const text of ['a', 'b', 'c']) await appendAudit(tx, clock, entry(text));
      expect(await tx.$count(auditLog)).toBe(0);
    });
    expect((await stored()).map((row) => row.requestId)).toEqual(['a', 'b', 'c']);
    expect(await verifyChain(database.db)).toMatchObject({ checked: 3, intact: true });
  });

  it('leaves nothing behind when the transaction rolls back', async () => {
    await expect(
      database.db.transaction(async (tx) => {
        await appendAudit(tx, clock, entry('undone'));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await stored()).toEqual([]);
    expect(await pending()).toBe(0);
  });

  it('refuses at the append under REPEATABLE READ, and inserts nothing even when the caller swallows the refusal', async () => {
    await expect(
      database.db.transaction((tx) => appendAudit(tx, clock, entry('forked?')), { isolationLevel: 'repeatable read' }),
    ).rejects.toThrow(/READ COMMITTED/);
    await database.db.transaction(
      async (tx) => {
        await tx.execute(sql`savepoint attempt`);
        await expect(appendAudit(tx, clock, entry('forked?'))).rejects.toThrow(/READ COMMITTED/);
        await tx.execute(sql`rollback to savepoint attempt`);
      },
      { isolationLevel: 'serializable' },
    );
    expect(await stored()).toEqual([]);
    expect(await pending()).toBe(0);
  });
});
