import { sql, type SQL } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { appendInGroup } from './append-group.js';
import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/client.js';
import { sanitizeDetails, sanitizeText } from './sanitize.js';
import { canonicalAfterId, type ChainedFields } from './chain.js';
import { categoryOf } from './events.js';
import type { Outcome } from '../errors.js';
import type { AuditActor, AuditEntryInput } from './types.js';

/**
 * Appends one entry to the audit log: the single writer of `audit_log`. Run it inside the transaction of the change it
 * records, so both commit or neither does; given the pool, the append is a transaction of its own. The entry waits in
 * `audit_pending` and is sealed when its transaction commits (migration 0002): under the chain lock it gets its id,
 * the previous hash and its own hash, so ids, commit order and the hash chain stay in step while the lock is held only
 * for the commit itself. Appends outside a transaction of the caller's share their commits (`appendInGroup`). Returns
 * the entry as stored, without what sealing adds.
 */
export async function appendAudit(db: DbOrTx, clock: Clock, input: AuditEntryInput): Promise<PendingEntry> {
  const started = performance.now();
  const entry = storedFieldsOf(input, clock);
  const row = pendingRow(pendingValuesOf(entry));
  const committed = db instanceof PgTransaction ? db.execute(insertPending(row)) : appendInGroup(db, insertPending, row);
  await committed.catch((error: unknown) => {
    // The query wrapper says "Failed query: <sql>"; the database's refusal (isolation level, checks) says what is wrong.
    throw error instanceof Error && error.cause instanceof Error ? error.cause : error;
  });
  appendObserver?.((performance.now() - started) / 1000);
  return entry;
}

const PENDING_COLUMNS = sql.raw(`occurred_at, category, event_type, actor_type, actor_id, actor_name, platform, channel_id,
      resource_type, resource_id, outcome, details, request_id, canonical_after_id`);

function insertPending(rows: SQL): SQL {
  return sql`insert into audit_pending (${PENDING_COLUMNS}) values ${rows}`;
}

/**
 * The append of `inputs`, in order, as a statement to run inside another one (a data-modifying WITH query), writing
 * only when `when` holds: the change an entry records and the entry itself then go to Postgres as one statement, one
 * round trip, and commit together (alone, when the statement runs outside a transaction). Sealed at commit like any
 * append; each entry counts as one append for the metrics once the caller's statement has run (`observeAppended`).
 */
export function appendWhen(clock: Clock, inputs: readonly AuditEntryInput[], when: SQL): SQL {
  return appendRowsWhen(inputs.map((input) => pendingRow(pendingValuesOf(storedFieldsOf(input, clock)))), when);
}

/**
 * `appendWhen` for a statement prepared once and run many times: `count` entries whose values are placeholders,
 * filled from `appendedValues` of the same number of entries. The statement's text depends on `count` alone.
 */
export function appendPreparedWhen(count: number, when: SQL): SQL {
  const rows = Array.from({ length: count }, (_, index) => pendingRow(PENDING_FIELDS.map((_field, column) => sql.placeholder(entryPlaceholder(index, column)))));
  return appendRowsWhen(rows, when);
}

/**
 * The values of the placeholders of `appendPreparedWhen(inputs.length, …)`, with the statement's `others` added to
 * them. Added, not spread with them into a new object: the entries' keys are computed, and spreading such an object
 * copies it as a dictionary, which cost more than the statement itself (about 14 KB of garbage for one entry).
 */
export function appendedValues(clock: Clock, inputs: readonly AuditEntryInput[], others: Record<string, unknown> = {}): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  inputs.forEach((input, index) => {
    pendingValuesOf(storedFieldsOf(input, clock)).forEach((value, column) => {
      values[entryPlaceholder(index, column)] = value;
    });
  });
  return Object.assign(values, others);
}

function entryPlaceholder(index: number, column: number): string {
  return `entry${index}_${PENDING_FIELDS[column]}`;
}

function appendRowsWhen(rows: SQL[], when: SQL): SQL {
  return sql`insert into audit_pending (${PENDING_COLUMNS}) select * from (values ${sql.join(rows, sql`, `)}) as entry where ${when}`;
}

/** Reports appends written by `appendWhen` to the metrics, with the time the statement that carried them took. */
export function observeAppended(count: number, seconds: number): void {
  for (let index = 0; index < count; index += 1) appendObserver?.(seconds);
}

/** The fields of a pending row, in the order of PENDING_COLUMNS. */
const PENDING_FIELDS = [
  'occurredAt', 'category', 'eventType', 'actorType', 'actorId', 'actorName', 'platform', 'channelId', 'resourceType', 'resourceId', 'outcome',
  'details', 'requestId', 'canonicalAfterId',
] as const;

/** An entry's values in the order of PENDING_FIELDS, as the driver sends them. */
function pendingValuesOf(entry: PendingEntry): unknown[] {
  return [
    entry.occurredAt.toISOString(), entry.category, entry.eventType, entry.actorType, entry.actorId, entry.actorName, entry.platform, entry.channelId,
    entry.resourceType, entry.resourceId, entry.outcome, JSON.stringify(entry.details), entry.requestId, canonicalAfterId(entry),
  ];
}

function pendingRow(values: readonly unknown[]): SQL {
  const [occurredAt, category, eventType, actorType, actorId, actorName, platform, channelId, resourceType, resourceId, outcome, details, requestId, canonical] = values;
  return sql`(${occurredAt}::timestamptz, ${category}, ${eventType}, ${actorType},
      ${actorId}, ${actorName}, ${platform}, ${channelId}, ${resourceType}, ${resourceId},
      ${outcome}, ${details}::jsonb, ${requestId}, ${canonical})`;
}

type AppendObserver = (seconds: number) => void;
let appendObserver: AppendObserver | undefined;

/** Times every append of this process (the metrics registry subscribes once at start-up); undefined stops it. */
export function observeAuditAppends(observer: AppendObserver | undefined): void {
  appendObserver = observer;
}

/**
 * Seals this transaction's pending entries now rather than at its commit, for a writer that must act on the chain as
 * it will stand (the retention purge chains its entry to the head before removing old entries).
 */
export async function sealPendingEntries(tx: DbOrTx): Promise<void> {
  await tx.execute(sql`set constraints audit_pending_seal immediate`);
}

/** Takes the chain lock (audit_chain_lock, in 0002) and says under which isolation level the transaction runs. */
export const LOCK_CHAIN_QUERY = 'select isolation from audit_chain_lock()';

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

/** An entry as appended, before sealing gives it an id and its hashes. */
export type PendingEntry = Omit<StoredFields, 'id'>;

/** The stored form of an entry: category derived, timestamp defaulted, free text and details sanitised. */
export function storedFieldsOf(input: AuditEntryInput, clock: Clock): PendingEntry {
  const occurredAt = new Date((input.occurredAt ?? clock.now()).getTime());
  if (Number.isNaN(occurredAt.getTime())) throw new Error(`audit entry ${input.eventType} has an invalid timestamp`);
  return {
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
