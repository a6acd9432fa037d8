import { sql } from 'drizzle-orm';
import { appendAudit } from '../../src/audit/append.js';
import { GENESIS_HASH } from '../../src/audit/chain.js';
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

/** Appends with the hash chain against plain INSERTs of the same entries, with `writers` concurrent writers. */
export function appendCase(db: Db, writers: number, total: number): BenchCase {
  const label = `audit append, ${writers} writer${writers === 1 ? '' : 's'}`;
  return {
    name: label,
    figure: '`appendAudit` (one transaction per entry; sealed at commit under the chain lock: id, head read, SHA-256 over the canonical entry)',
    baseline: 'a plain INSERT of the same entry into an identical table without the chain',
    metrics: [{ key: 'rate', label, unit: 'entries/s', better: 'higher' }],
    async measure() {
      const chained = await rate(writers, total, (index) => appendAudit(db, systemClock, freshEntry(index)));
      const plain = await rate(writers, total, (index) => insertPlain(db, freshEntry(index)));
      return { rate: { figure: chained, baseline: plain } };
    },
  };
}
