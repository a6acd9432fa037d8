import { asc, desc, gt, sql } from 'drizzle-orm';
import { appendAudit } from '../../src/audit/append.js';
import { chainHash, GENESIS_HASH } from '../../src/audit/chain.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { categoryOf } from '../../src/audit/events.js';
import type { AuditEntryInput } from '../../src/audit/types.js';
import { systemClock } from '../../src/clock.js';
import type { Db, DbOrTx } from '../../src/db/client.js';
import type { BenchCase } from '../framework/types.js';
import { benchEntry } from './entries.js';

/** The baseline's table: audit_log's columns, defaults, identity, constraints and indexes, without the chain triggers. */
export const PLAIN_TABLE_SQL = 'create table audit_log_plain (like audit_log including all)';

/** A new entry, stamped now: outside the span the export cases read. */
function freshEntry(index: number): AuditEntryInput {
  return { ...benchEntry(index), occurredAt: undefined };
}

/** The same entry as one plain INSERT: no lock, no head to read, no hash to compute. */
function insertPlain(db: DbOrTx, entry: AuditEntryInput): Promise<unknown> {
  return db.execute(sql`insert into audit_log_plain
    (occurred_at, category, event_type, actor_type, actor_id, actor_name, platform, channel_id, resource_type, resource_id,
     outcome, details, request_id, prev_hash, hash)
    values (${new Date().toISOString()}, ${categoryOf(entry.eventType)}, ${entry.eventType}, ${entry.actor.type}, ${entry.actor.id},
     ${entry.actor.name}, ${entry.platform ?? null}, ${entry.channelId ?? null}, ${entry.resource?.type ?? null}, ${entry.resource?.id ?? null},
     ${entry.outcome}, ${JSON.stringify(entry.details ?? {})}::jsonb, ${entry.requestId ?? null}, ${GENESIS_HASH}, ${GENESIS_HASH})`);
}

/** Entries per second when `writers` loops share `total` writes. */
async function rate(writers: number, total: number, write: (index: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let index = next++; index < total; index = next++) await write(index);
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

/** The newest entry's id and hash before a run. */
async function headOf(db: Db): Promise<{ id: number; hash: string }> {
  const [head] = await db.select({ id: auditLog.id, hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.id)).limit(1);
  return head ?? { id: 0, hash: GENESIS_HASH };
}

/**
 * Checks what a run appended after `before`: exactly `count` entries, ids following each other with no gap, each
 * linked to the one before (no fork) and matching its hash, and nothing left pending. Throws at the first fault.
 */
export async function verifyAppended(db: Db, before: { id: number; hash: string }, count: number): Promise<void> {
  const rows = await db.select().from(auditLog).where(gt(auditLog.id, before.id)).orderBy(asc(auditLog.id));
  const pending = await db.execute<{ count: string }>(sql`select count(*)::text as count from audit_pending`);
  if (rows.length !== count) throw new Error(`the chain check found ${rows.length} new entries, not ${count}`);
  if (pending.rows[0]?.count !== '0') throw new Error(`the chain check found ${pending.rows[0]?.count} entries left pending`);
  let previous = before;
  for (const row of rows) {
    if (row.id !== previous.id + 1) throw new Error(`the chain has a gap: entry #${row.id} follows #${previous.id}`);
    if (row.prevHash !== previous.hash) throw new Error(`the chain forks at entry #${row.id}: it does not link to #${previous.id}`);
    if (chainHash(row.prevHash, row) !== row.hash) throw new Error(`entry #${row.id} does not match its hash`);
    previous = { id: row.id, hash: row.hash };
  }
}

/** Appends with the hash chain against plain INSERTs of the same entries, with `writers` concurrent writers. */
export function appendCase(db: Db, writers: number, total: number): BenchCase {
  const label = `audit append, ${writers} writer${writers === 1 ? '' : 's'}`;
  return {
    name: label,
    figure: '`appendAudit` from the pool (sealed at commit under the chain lock: id, head read, SHA-256 over the canonical entry; appends arriving while an INSERT is in flight commit together in the next one), the new entries checked afterwards for a gap or a fork',
    baseline: 'a plain INSERT of the same entry into an identical table without the chain',
    // docs/promises.md: with 20 writers, at least half the rate of plain INSERTs.
    metrics: [{ key: 'rate', label, unit: 'entries/s', better: 'higher', ...(writers > 1 ? { target: 2 } : {}) }],
    async measure() {
      const before = await headOf(db);
      const chained = await rate(writers, total, (index) => appendAudit(db, systemClock, freshEntry(index)));
      await verifyAppended(db, before, total);
      const plain = await rate(writers, total, (index) => insertPlain(db, freshEntry(index)));
      return { rate: { figure: chained, baseline: plain } };
    },
  };
}
