import { desc, gt } from 'drizzle-orm';
import type { Db, DbOrTx } from '../db/client.js';
import { auditLog, type AuditRow } from '../db/schema/audit.js';
import { AppError } from '../errors.js';
import { chainHash } from './chain.js';
import { chainStart, type ChainAnchor } from './retention.js';

/** An entry's id and hash, as published outside the database (the audit channel) to pin the newest entry. */
export interface ChainHead {
  id: number;
  hash: string;
}

export interface BrokenEntry {
  id: number;
  reason: string;
}

export type VerifyResult =
  | { checked: number; intact: true; /** The newest entry, null when the log is empty. */ head: ChainHead | null }
  | { checked: number; intact: false; firstBroken: BrokenEntry };

export interface VerifyOptions {
  /** A head published earlier: it must still be in the chain with the same hash (detects deleted newest entries). */
  publishedHead?: ChainHead;
  /** Entries read per query. */
  batchSize?: number;
}

/** The newest entry of the log. Appends hold the chain lock through their commit, so a committed newest entry is the head. */
export async function latestHead(db: Db): Promise<ChainHead | null> {
  const [row] = await db.select({ id: auditLog.id, hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.id)).limit(1);
  return row ?? null;
}

/**
 * Walks the whole chain in id order, a batch at a time (keyset pagination inside one read-only REPEATABLE READ
 * transaction, so concurrent appends and purges don't disturb the walk): recomputes every hash, checks every link, and
 * names the first entry that does not hold.
 */
export async function verifyChain(db: Db, options: VerifyOptions = {}): Promise<VerifyResult> {
  return db.transaction((tx) => walk(tx, options), { isolationLevel: 'repeatable read', accessMode: 'read only' });
}

async function walk(tx: DbOrTx, options: VerifyOptions): Promise<VerifyResult> {
  const start = await chainStart(tx);
  if ('broken' in start) return { checked: 0, intact: false, firstBroken: start.broken };
  const batchSize = options.batchSize ?? 2000;
  const state: WalkState = { checked: 0, previous: null, start, headSeen: false };
  for (;;) {
    const rows = await tx
      .select()
      .from(auditLog)
      .where(gt(auditLog.id, state.previous?.id ?? 0))
      .orderBy(auditLog.id)
      .limit(batchSize);
    for (const row of rows) {
      const broken = checkEntry(row, state, options.publishedHead);
      if (broken) return { checked: state.checked, intact: false, firstBroken: broken };
    }
    if (rows.length < batchSize) break;
  }
  const headBroken = options.publishedHead && !state.headSeen ? missingHead(options.publishedHead, state) : undefined;
  if (headBroken) return { checked: state.checked, intact: false, firstBroken: headBroken };
  return { checked: state.checked, intact: true, head: state.previous };
}

interface WalkState {
  checked: number;
  previous: ChainHead | null;
  start: ChainAnchor;
  headSeen: boolean;
}

function checkEntry(row: AuditRow, state: WalkState, publishedHead: ChainHead | undefined): BrokenEntry | undefined {
  state.checked += 1;
  const expectedPrev = state.previous?.hash ?? state.start.prevHash;
  if (row.prevHash !== expectedPrev) return { id: row.id, reason: linkReason(state) };
  if (chainHash(row.prevHash, row) !== row.hash) {
    return { id: row.id, reason: `entry #${row.id} was altered: its contents no longer match its hash` };
  }
  if (publishedHead?.id === row.id) {
    state.headSeen = true;
    if (publishedHead.hash !== row.hash) {
      return {
        id: row.id,
        reason: `entry #${row.id} is not the entry that was published as the chain head: its hash differs (entries from #${row.id} on were rewritten)`,
      };
    }
  }
  state.previous = { id: row.id, hash: row.hash };
  return undefined;
}

function linkReason(state: WalkState): string {
  if (state.previous) {
    return `the link to entry #${state.previous.id} is broken: an entry after #${state.previous.id} was deleted, or #${state.previous.id} was altered and re-hashed`;
  }
  return state.start.purgedThroughId === null
    ? 'the oldest entry does not start the chain: older entries were deleted outside the retention purge'
    : `the oldest entry does not continue from the retention purge through #${state.start.purgedThroughId}: entries after the purge were deleted`;
}

/** The published head was not met during the walk: the newest entries are gone, or the head predates the retention. */
function missingHead(head: ChainHead, state: WalkState): BrokenEntry {
  if (state.start.purgedThroughId !== null && head.id <= state.start.purgedThroughId) {
    throw new AppError(
      'head_purged',
      `The published head #${head.id} is older than the retention period: entries through #${state.start.purgedThroughId} were purged.`,
      { hint: 'Verify against a more recent published head.' },
    );
  }
  const newest = state.previous?.id;
  if (newest === undefined || head.id > newest) {
    return {
      id: head.id,
      reason: `the published head #${head.id} is missing: the newest entries were deleted (the log now ends at ${newest === undefined ? 'no entry' : `#${newest}`})`,
    };
  }
  return { id: head.id, reason: `the published head #${head.id} is not in the chain: it was deleted or never existed` };
}
