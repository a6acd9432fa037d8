import { desc, eq, lte, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db, DbOrTx } from '../db/client.js';
import { auditLog, auditSettings } from '../db/schema/audit.js';
import type { Logger } from '../log.js';
import { appendAudit, lockChain, sealPendingEntries, type PendingEntry } from './append.js';
import { GENESIS_HASH } from './chain.js';
import { systemActor } from './types.js';

const DAY_MS = 86_400_000;
export const MIN_RETENTION_DAYS = 1;
export const MAX_RETENTION_DAYS = 3650;

/** What an `audit.purged` entry records: how many entries went, the last id removed and its hash (the new chain anchor). */
const purgeDetails = z.object({
  count: z.number().int().nonnegative(),
  throughId: z.number().int().positive(),
  anchorHash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type PurgeDetails = z.infer<typeof purgeDetails>;

export interface PurgeResult {
  purged: number;
  /** Entries strictly older than this were eligible. */
  cutoff: Date;
  /** The `audit.purged` entry; null when nothing was old enough. */
  entry: PendingEntry | null;
  details: PurgeDetails | null;
}

/** Sets the retention period the database's DELETE guard enforces (the app calls it at start-up from AUDIT_RETENTION_DAYS). */
export async function setRetentionDays(db: DbOrTx, days: number): Promise<void> {
  if (!Number.isInteger(days) || days < MIN_RETENTION_DAYS || days > MAX_RETENTION_DAYS) {
    throw new RangeError(`audit retention must be a whole number of days from ${MIN_RETENTION_DAYS} to ${MAX_RETENTION_DAYS}, got ${days}`);
  }
  await db
    .insert(auditSettings)
    .values({ id: 'singleton', retentionDays: days })
    .onConflictDoUpdate({ target: auditSettings.id, set: { retentionDays: days } });
}

/**
 * Deletes the entries older than the retention period and records it, in one transaction: an `audit.purged` entry is
 * appended first (chained to the current head), then the oldest entries are removed. Only a prefix of the chain goes
 * (an old entry that follows a younger one waits for a later purge), so the chain stays whole from the oldest kept
 * entry, whose `prev_hash` is the anchor the purge entry records.
 */
export async function purgeExpiredEntries(db: Db, clock: Clock, retentionDays: number): Promise<PurgeResult> {
  const cutoff = new Date(clock.now().getTime() - retentionDays * DAY_MS);
  return db.transaction(async (tx) => {
    await lockChain(tx);
    const last = await lastExpiredEntry(tx, cutoff, retentionDays);
    if (!last) return { purged: 0, cutoff, entry: null, details: null };
    const count = await tx.$count(auditLog, lte(auditLog.id, last.id));
    const details: PurgeDetails = { count, throughId: last.id, anchorHash: last.hash };
    const entry = await appendAudit(tx, clock, {
      eventType: 'audit.purged',
      actor: systemActor('retention'),
      platform: 'system',
      resource: { type: 'audit_log', id: `..${last.id}` },
      outcome: 'ok',
      details: { ...details, retentionDays, cutoff: cutoff.toISOString() },
    });
    await sealPendingEntries(tx);
    await tx.delete(auditLog).where(lte(auditLog.id, last.id));
    return { purged: count, cutoff, entry, details };
  });
}

/**
 * The newest entry of the longest run of expired entries at the start of the chain. Expired means older than the
 * cutoff by the app's clock and by the database's own clock and retention setting, so the DELETE guard lets it pass.
 */
async function lastExpiredEntry(tx: DbOrTx, cutoff: Date, retentionDays: number): Promise<{ id: number; hash: string } | undefined> {
  const result = await tx.execute<{ id: string; hash: string }>(sql`
    with bound as (
      select least(${cutoff.toISOString()}::timestamptz,
                   now() - make_interval(days => greatest(${retentionDays}::int,
                     (select ${auditSettings.retentionDays}::int from ${auditSettings} where ${auditSettings.id} = 'singleton')))) as at
    ), first_kept as (
      select min(${auditLog.id}) as id from ${auditLog}, bound where ${auditLog.occurredAt} >= bound.at
    )
    select ${auditLog.id}::text as id, ${auditLog.hash} as hash from ${auditLog}, first_kept
    where first_kept.id is null or ${auditLog.id} < first_kept.id
    order by ${auditLog.id} desc limit 1`);
  const row = result.rows[0];
  return row ? { id: Number(row.id), hash: row.hash } : undefined;
}

/** Where the chain must start: at genesis, or at the anchor recorded by the latest retention purge. */
export interface ChainAnchor {
  prevHash: string;
  /** The last id the latest purge removed; null when no purge ever ran. */
  purgedThroughId: number | null;
}
export type ChainStart = ChainAnchor | { broken: { id: number; reason: string } };

export async function chainStart(tx: DbOrTx): Promise<ChainStart> {
  const [purge] = await tx
    .select({ id: auditLog.id, details: auditLog.details })
    .from(auditLog)
    .where(eq(auditLog.eventType, 'audit.purged'))
    .orderBy(desc(auditLog.id))
    .limit(1);
  if (!purge) return { prevHash: GENESIS_HASH, purgedThroughId: null };
  const details = purgeDetails.safeParse(purge.details);
  if (!details.success) {
    return { broken: { id: purge.id, reason: `retention purge entry #${purge.id} does not record a valid anchor` } };
  }
  return { prevHash: details.data.anchorHash, purgedThroughId: details.data.throughId };
}

/** The `audit-retention` job: purges with the configured period and logs what went. */
export async function runAuditRetention(s: { db: Db; clock: Clock; config: Pick<Config, 'AUDIT_RETENTION_DAYS'>; log: Logger }): Promise<PurgeResult> {
  const result = await purgeExpiredEntries(s.db, s.clock, s.config.AUDIT_RETENTION_DAYS);
  s.log.info({ purged: result.purged, throughId: result.details?.throughId ?? null, cutoff: result.cutoff.toISOString() }, 'audit retention purge');
  return result;
}
