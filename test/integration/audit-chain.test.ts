import { asc } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendAudit } from '../../src/audit/append.js';
import { appendAuditBatch } from '../../src/audit/append-batch.js';
import { chainHash, GENESIS_HASH } from '../../src/audit/chain.js';
import type { AuditEntryInput } from '../../src/audit/types.js';
import { verifyChain } from '../../src/audit/verify.js';
import { ManualClock } from '../../src/clock.js';
import { auditLog } from '../../src/db/schema/audit.js';
import * as schema from '../../src/db/schema/index.js';
import { createTestDatabase, tamperWithAuditLog, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
/** Real time: the database's DELETE guard compares with its own clock. */
const clock = new ManualClock(new Date());

function entry(index: number, overrides: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return {
    eventType: 'command.invoked',
    actor: { type: 'user', id: `U${index % 7}`, name: `user ${index % 7}` },
    platform: 'slack',
    channelId: 'C1',
    outcome: 'ok',
    details: { command: 'env', args: `status ${index}`, nested: { n: index, list: [index, 'x'] } },
    requestId: `req-${index}`,
    ...overrides,
  };
}

async function appendMany(count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) await appendAudit(database.db, clock, entry(index));
}

beforeAll(async () => {
  database = await createTestDatabase({ max: 20 });
});
afterAll(async () => {
  await database.drop();
});
beforeEach(async () => {
  await tamperWithAuditLog(database, 'truncate audit_log restart identity');
});

describe('appendAudit under concurrency', () => {
  it('keeps one unbroken chain across 1,000 concurrent appends on 20 connections', async () => {
    // Appends queue on the chain lock, each holding it through its commit: 1,000 of them take longer than the app
    // pool's connection wait, so this pool waits as long as it takes.
    const pool = new pg.Pool({ connectionString: database.url, max: 20 });
    try {
      const writers = drizzle(pool, { schema });
      await Promise.all(Array.from({ length: 1000 }, (_, index) => appendAudit(writers, clock, entry(index))));
    } finally {
      await pool.end();
    }

    const rows = await database.db.select().from(auditLog).orderBy(asc(auditLog.id));
    expect(rows).toHaveLength(1000);
    expect(rows[0]!.prevHash).toBe(GENESIS_HASH);
    rows.forEach((row, index) => {
      if (index > 0) {
        expect(row.id).toBeGreaterThan(rows[index - 1]!.id);
        expect(row.prevHash).toBe(rows[index - 1]!.hash);
      }
      expect(chainHash(row.prevHash, row)).toBe(row.hash);
    });
    expect(new Set(rows.map((row) => row.requestId)).size).toBe(1000);
    const result = await verifyChain(database.db, { batchSize: 128 });
    expect(result).toEqual({ checked: 1000, intact: true, head: { id: rows[999]!.id, hash: rows[999]!.hash } });
  });

  it('refuses to append inside a REPEATABLE READ transaction, whose snapshot could fork the chain', async () => {
    await expect(
      database.db.transaction((tx) => appendAudit(tx, clock, entry(1)), { isolationLevel: 'repeatable read' }),
    ).rejects.toThrow(/READ COMMITTED/);
    expect(await database.db.$count(auditLog)).toBe(0);
  });

  it('rolls the entry back with the transaction it belongs to', async () => {
    await expect(
      database.db.transaction(async (tx) => {
        await appendAudit(tx, clock, entry(1));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await appendAudit(database.db, clock, entry(2));
    expect(await verifyChain(database.db)).toMatchObject({ checked: 1, intact: true });
  });

  it('stores text as hashed: control characters, lone surrogates and secrets never break the chain', async () => {
    const row = await appendAudit(database.db, clock, entry(1, {
      actor: { type: 'user', id: 'U1', name: 'eve\u0000\u001b[31m\u202e\ud800' },
      details: { reason: 'line\u2028break', token: 'xoxb-123', note: 'key AKIAABCDEFGHIJKLMNOP', clip: `${'a'.repeat(1999)}😀` },
    }));
    expect(row.actorName).toBe('eve\uFFFD\uFFFD[31m\uFFFD\uFFFD');
    expect(row.details).toEqual({ reason: 'line\uFFFDbreak', note: 'key [redacted]', clip: `${'a'.repeat(1999)}…` });
    expect(await verifyChain(database.db)).toMatchObject({ checked: 1, intact: true });
  });

  it('appends a batch with the same chain as single appends', async () => {
    await appendMany(3);
    await appendAuditBatch(database.db, clock, Array.from({ length: 12_000 }, (_, index) => entry(index + 3)));
    await appendMany(2);
    expect(await verifyChain(database.db)).toMatchObject({ checked: 12_005, intact: true });
  });

  it('stores batch text exactly, whatever COPY would read as a separator or escape', async () => {
    const awkward = 'tab\there\nnewline \\N back\\slash \\. "quoted" \u00e9';
    await appendAuditBatch(database.db, clock, [
      entry(1, { actor: { type: 'user', id: 'U1', name: awkward }, channelId: null, details: { text: awkward, list: [awkward] } }),
      entry(2, { actor: { type: 'user', id: 'U1', name: '\\N' }, resource: { type: 'environment', id: '\\.' } }),
    ]);
    const rows = await database.db.select().from(auditLog).orderBy(asc(auditLog.id));
    expect(rows[0]).toMatchObject({ actorName: awkward, channelId: null, details: { text: awkward, list: [awkward] } });
    expect(rows[1]).toMatchObject({ actorName: '\\N', resourceId: '\\.' });
    expect(await verifyChain(database.db)).toMatchObject({ checked: 2, intact: true });
  });
});

describe('verifyChain finds tampering', () => {
  beforeEach(async () => {
    await appendMany(10);
  });

  it('passes an untouched chain and reports its head', async () => {
    const [last] = await database.db.select().from(auditLog).orderBy(asc(auditLog.id)).offset(9);
    expect(await verifyChain(database.db)).toEqual({ checked: 10, intact: true, head: { id: 10, hash: last!.hash } });
  });

  it('names an edited entry', async () => {
    await tamperWithAuditLog(database, `update audit_log set actor_name = 'mallory' where id = 6`);
    const result = await verifyChain(database.db, { batchSize: 3 });
    expect(result).toMatchObject({ intact: false, checked: 6, firstBroken: { id: 6 } });
    expect(result.intact === false && result.firstBroken.reason).toMatch(/#6 was altered/);
  });

  it('names an entry whose details were edited, even with keys reordered', async () => {
    await tamperWithAuditLog(database, `update audit_log set details = details || '{"args": "destroy everything"}' where id = 3`);
    expect(await verifyChain(database.db)).toMatchObject({ intact: false, firstBroken: { id: 3 } });
  });

  it('names the entry after an edited and re-hashed one', async () => {
    const rows = await database.db.select().from(auditLog).orderBy(asc(auditLog.id));
    const edited = { ...rows[3]!, actorName: 'mallory' };
    await tamperWithAuditLog(database, `update audit_log set actor_name = 'mallory', hash = '${chainHash(edited.prevHash, edited)}' where id = 4`);
    const result = await verifyChain(database.db);
    expect(result).toMatchObject({ intact: false, firstBroken: { id: 5 } });
    expect(result.intact === false && result.firstBroken.reason).toMatch(/link to entry #4 is broken/);
  });

  it('names the entry after a deleted middle entry', async () => {
    await tamperWithAuditLog(database, 'delete from audit_log where id = 5');
    const result = await verifyChain(database.db);
    expect(result).toMatchObject({ intact: false, checked: 5, firstBroken: { id: 6 } });
    expect(result.intact === false && result.firstBroken.reason).toMatch(/after #4 was deleted/);
  });

  it('detects deleted oldest entries', async () => {
    await tamperWithAuditLog(database, 'delete from audit_log where id <= 2');
    const result = await verifyChain(database.db);
    expect(result).toMatchObject({ intact: false, checked: 1, firstBroken: { id: 3 } });
    expect(result.intact === false && result.firstBroken.reason).toMatch(/oldest entry does not start the chain/);
  });

  it('detects deleted newest entries against a published head, and only with one', async () => {
    const published = await verifyChain(database.db);
    if (!published.intact || !published.head) throw new Error('expected an intact chain');
    await tamperWithAuditLog(database, 'delete from audit_log where id >= 8');

    expect(await verifyChain(database.db)).toMatchObject({ checked: 7, intact: true });
    const result = await verifyChain(database.db, { publishedHead: published.head });
    expect(result).toMatchObject({ intact: false, checked: 7, firstBroken: { id: 10 } });
    expect(result.intact === false && result.firstBroken.reason).toMatch(/published head #10 is missing.*ends at #7/);
  });

  it('detects newest entries replaced with a forged chain against a published head', async () => {
    const head = { id: 10, hash: (await database.db.select().from(auditLog).orderBy(asc(auditLog.id)).offset(9))[0]!.hash };
    await tamperWithAuditLog(database, 'delete from audit_log where id >= 9');
    await tamperWithAuditLog(database, `select setval(pg_get_serial_sequence('audit_log', 'id'), 8)`);
    await appendMany(2);

    expect(await verifyChain(database.db)).toMatchObject({ checked: 10, intact: true });
    expect(await verifyChain(database.db, { publishedHead: head })).toMatchObject({ intact: false, firstBroken: { id: 10 } });
  });

  it('accepts a published head that is still in the chain', async () => {
    const [row] = await database.db.select().from(auditLog).orderBy(asc(auditLog.id)).offset(4);
    await appendMany(2);
    expect(await verifyChain(database.db, { publishedHead: { id: row!.id, hash: row!.hash } })).toMatchObject({ checked: 12, intact: true });
  });
});

describe('the database guards audit_log', () => {
  beforeEach(async () => {
    await appendMany(3);
  });

  it('refuses UPDATE, even of no row', async () => {
    await expect(database.pool.query(`update audit_log set actor_name = 'x' where id = 1`)).rejects.toThrow(
      'audit_log is append-only: UPDATE is refused',
    );
    await expect(database.pool.query(`update audit_log set actor_name = 'x' where false`)).rejects.toThrow(/append-only/);
  });

  it('refuses DELETE of an entry younger than the retention period', async () => {
    await database.pool.query(`insert into audit_log (occurred_at, category, event_type, actor_type, actor_id, outcome, prev_hash, hash)
      values (now() - interval '89 days', 'chat', 'command.invoked', 'user', 'U1', 'ok', 'x', '${'a'.repeat(64)}')`);
    await expect(database.pool.query('delete from audit_log where id = 2')).rejects.toThrow(
      /audit_log is append-only: DELETE of entry 2 is refused \(it is younger than the retention period of 90 days\)/,
    );
    await expect(database.pool.query('delete from audit_log where id = 4')).rejects.toThrow(/DELETE of entry 4 is refused/);
    expect(await database.db.$count(auditLog)).toBe(4);
  });

  it('refuses TRUNCATE', async () => {
    await expect(database.pool.query('truncate audit_log')).rejects.toThrow('audit_log is append-only: TRUNCATE is refused');
    expect(await database.db.$count(auditLog)).toBe(3);
  });

  it('refuses every DELETE when the retention setting is missing, and keeps the setting sane', async () => {
    await expect(database.pool.query('update audit_settings set retention_days = 0')).rejects.toThrow(/audit_settings_retention_valid/);
    await expect(database.pool.query(`insert into audit_settings values ('other', 5)`)).rejects.toThrow(/audit_settings_singleton/);
    const client = await database.pool.connect();
    try {
      await client.query('begin');
      await client.query('delete from audit_settings');
      await expect(client.query('delete from audit_log where id = 1')).rejects.toThrow(/no valid retention period/);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});
