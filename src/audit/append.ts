import { sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/client.js';
import { auditLog, type AuditRow } from '../db/schema/audit.js';
import { sanitizeDetails, sanitizeText } from './sanitize.js';
import { chainHash, GENESIS_HASH, type ChainedFields } from './chain.js';
import { categoryOf } from './events.js';
import type { Outcome } from '../errors.js';
import type { AuditActor, AuditEntryInput } from './types.js';

/** Every append takes this transaction-scoped lock, so the chain is extended by one writer at a time. */
export const CHAIN_LOCK_KEY = 0x41_49_54_5a; // "AITZ"

/**
 * Appends one entry to the audit log: the single writer of `audit_log`. Run it inside the transaction of the change it
 * records, so both commit or neither does. Concurrent appenders queue on an advisory lock held until their commit,
 * which keeps ids, commit order and the hash chain in step.
 */
export async function appendAudit(db: DbOrTx, clock: Clock, input: AuditEntryInput): Promise<AuditRow> {
  const started = performance.now();
  const row = isTransaction(db)
    ? await appendInTransaction(db, clock, input)
    : await db.transaction((tx) => appendInTransaction(tx, clock, input));
  appendObserver?.((performance.now() - started) / 1000);
  return row;
}

type AppendObserver = (seconds: number) => void;
let appendObserver: AppendObserver | undefined;

/** Times every append of this process (the metrics registry subscribes once at start-up); undefined stops it. */
export function observeAuditAppends(observer: AppendObserver | undefined): void {
  appendObserver = observer;
}

async function appendInTransaction(tx: DbOrTx, clock: Clock, input: AuditEntryInput): Promise<AuditRow> {
  // One round trip while holding the lock: take it, reserve the id, read the head (see audit_chain_next in 0001).
  const next = await tx.execute<{ id: string; prev_hash: string | null; isolation: string }>(
    sql`select id::text as id, prev_hash, isolation from audit_chain_next(${CHAIN_LOCK_KEY})`,
  );
  const reserved = next.rows[0]!;
  assertReadCommitted(reserved.isolation);
  const fields = chainedFieldsOf(Number(reserved.id), input, clock);
  const prevHash = reserved.prev_hash ?? GENESIS_HASH;
  const [row] = await tx
    .insert(auditLog)
    .overridingSystemValue()
    .values({ ...fields, prevHash, hash: chainHash(prevHash, fields) })
    .returning();
  return row!;
}

/** Takes the chain lock and says under which isolation level the transaction runs. */
export const LOCK_CHAIN_QUERY = `select pg_advisory_xact_lock(${CHAIN_LOCK_KEY}), current_setting('transaction_isolation') as isolation`;

/**
 * Takes the chain lock for the rest of the transaction. The chain head must be read after this, in a fresh snapshot:
 * under REPEATABLE READ or SERIALIZABLE the snapshot may predate the lock and fork the chain, so those are refused.
 */
export async function lockChain(tx: DbOrTx): Promise<void> {
  const result = await tx.execute<{ isolation: string }>(sql.raw(LOCK_CHAIN_QUERY));
  assertReadCommitted(result.rows[0]?.isolation);
}

export function assertReadCommitted(isolation: string | undefined): void {
  if (isolation !== 'read committed') {
    throw new Error(`audit entries must be appended in a READ COMMITTED transaction, not ${isolation ?? 'unknown'}`);
  }
}

/** The chained fields with the column types the table holds. */
export interface StoredFields extends ChainedFields {
  actorType: AuditActor['type'];
  outcome: Outcome;
  details: Record<string, unknown>;
}

/** The stored form of an entry: category derived, timestamp defaulted, free text and details sanitised. */
export function chainedFieldsOf(id: number, input: AuditEntryInput, clock: Clock): StoredFields {
  const occurredAt = new Date((input.occurredAt ?? clock.now()).getTime());
  if (Number.isNaN(occurredAt.getTime())) throw new Error(`audit entry ${input.eventType} has an invalid timestamp`);
  return {
    id,
    occurredAt,
    category: categoryOf(input.eventType),
    eventType: input.eventType,
    actorType: input.actor.type,
    actorId: sanitizeText(input.actor.id),
    actorName: sanitizeText(input.actor.name),
    platform: input.platform ?? null,
    channelId: optionalText(input.channelId),
    resourceType: optionalText(input.resource?.type),
    resourceId: optionalText(input.resource?.id),
    outcome: input.outcome,
    details: sanitizeDetails(input.details ?? {}) as Record<string, unknown>,
    requestId: optionalText(input.requestId),
  };
}

function optionalText(text: string | null | undefined): string | null {
  return text === null || text === undefined ? null : sanitizeText(text);
}

function isTransaction(db: DbOrTx): boolean {
  return 'rollback' in db;
}
