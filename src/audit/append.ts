import { sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/client.js';
import { auditLog, type AuditRow } from '../db/schema/audit.js';
import { sanitizeDetails, sanitizeText } from './sanitize.js';
import { chainHash, GENESIS_HASH, type ChainedFields } from './chain.js';
import { categoryOf } from './events.js';
import type { AuditEntryInput } from './types.js';

/** Every append takes this transaction-scoped lock, so the chain is extended by one writer at a time. */
const CHAIN_LOCK_KEY = 0x41_49_54_5a; // "AITZ"

/**
 * Appends one entry to the audit log: the single writer of `audit_log`. Run it inside the transaction of the change it
 * records, so both commit or neither does. Concurrent appenders queue on an advisory lock held until their commit,
 * which keeps ids, commit order and the hash chain in step.
 */
export async function appendAudit(db: DbOrTx, clock: Clock, input: AuditEntryInput): Promise<AuditRow> {
  if (isTransaction(db)) return appendInTransaction(db, clock, input);
  return db.transaction((tx) => appendInTransaction(tx, clock, input));
}

async function appendInTransaction(tx: DbOrTx, clock: Clock, input: AuditEntryInput): Promise<AuditRow> {
  await tx.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK_KEY})`);
  const last = await tx.execute<{ hash: string }>(sql`select hash from ${auditLog} order by id desc limit 1`);
  const prevHash = last.rows[0]?.hash ?? GENESIS_HASH;
  const next = await tx.execute<{ id: string }>(sql`select nextval(pg_get_serial_sequence('audit_log', 'id'))::text as id`);
  const fields: ChainedFields = {
    id: Number(next.rows[0]!.id),
    occurredAt: truncateToMillis(input.occurredAt ?? clock.now()),
    category: categoryOf(input.eventType),
    eventType: input.eventType,
    actorType: input.actor.type,
    actorId: sanitizeText(input.actor.id),
    actorName: sanitizeText(input.actor.name),
    platform: input.platform ?? null,
    channelId: input.channelId ?? null,
    resourceType: input.resource?.type ?? null,
    resourceId: input.resource?.id ?? null,
    outcome: input.outcome,
    details: sanitizeDetails(input.details ?? {}),
    requestId: input.requestId ?? null,
  };
  const hash = chainHash(prevHash, fields);
  const [row] = await tx
    .insert(auditLog)
    .overridingSystemValue()
    .values({
      ...fields,
      actorType: input.actor.type,
      outcome: input.outcome,
      details: fields.details as Record<string, unknown>,
      prevHash,
      hash,
    })
    .returning();
  return row!;
}

function truncateToMillis(date: Date): Date {
  return new Date(Math.floor(date.getTime()));
}

function isTransaction(db: DbOrTx): boolean {
  return 'rollback' in db;
}
