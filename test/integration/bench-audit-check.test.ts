import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAppended } from '../../bench/audit/append.js';
import { appendAudit } from '../../src/audit/append.js';
import { GENESIS_HASH } from '../../src/audit/chain.js';
import { ManualClock } from '../../src/clock.js';
import { createTestDatabase, tamperWithAuditLog, type TestDatabase } from '../support/database.js';

/** The check the append bench runs after each run: it must fail on a gap, a fork, a missing or a pending entry. */
let database: TestDatabase;
const clock = new ManualClock(new Date());
const start = { id: 0, hash: GENESIS_HASH };

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

const entry = (label: string) =>
  ({ eventType: 'command.invoked', actor: { type: 'user', id: 'U0ALICE', name: 'alice' }, platform: 'slack', outcome: 'ok', details: {}, requestId: label }) as const;

async function freshChain(count: number): Promise<void> {
  await tamperWithAuditLog(database, 'delete from audit_log');
  await database.pool.query("select setval(pg_get_serial_sequence('audit_log', 'id'), 1, false)");
  await Promise.all(Array.from({ length: count }, (_, index) => appendAudit(database.db, clock, entry(`e${index}`))));
}

describe('the append bench check', () => {
  it('passes a whole chain of the expected length', async () => {
    await freshChain(5);
    await expect(verifyAppended(database.db, start, 5)).resolves.toBeUndefined();
    await expect(verifyAppended(database.db, start, 6)).rejects.toThrow(/found 5 new entries, not 6/);
  });

  it('fails on a gap in the ids', async () => {
    await freshChain(5);
    await tamperWithAuditLog(database, 'delete from audit_log where id = 3');
    await expect(verifyAppended(database.db, start, 4)).rejects.toThrow(/gap: entry #4 follows #2/);
  });

  it('fails on a fork: an entry not linked to the one before', async () => {
    await freshChain(5);
    await tamperWithAuditLog(database, "update audit_log set prev_hash = (select prev_hash from audit_log where id = 2) where id = 3");
    await expect(verifyAppended(database.db, start, 5)).rejects.toThrow(/forks at entry #3/);
  });

  it('fails on an altered entry and on entries left pending', async () => {
    await freshChain(3);
    await tamperWithAuditLog(database, "update audit_log set actor_name = 'mallory' where id = 2");
    await expect(verifyAppended(database.db, start, 3)).rejects.toThrow(/#2 does not match its hash/);
    await freshChain(3);
    await database.pool.query('alter table audit_pending disable trigger audit_pending_seal');
    try {
      await appendAudit(database.db, clock, entry('stuck'));
      await expect(verifyAppended(database.db, start, 3)).rejects.toThrow(/1 entries left pending/);
    } finally {
      await database.pool.query('delete from audit_pending');
      await database.pool.query('alter table audit_pending enable trigger audit_pending_seal');
    }
  });
});
