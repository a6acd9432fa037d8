import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';

/** The most entries one grouped INSERT carries. */
export const MAX_GROUP = 200;

/** An entry's INSERT row (the values of `insert into audit_pending (…) values …`), and who waits for its commit. */
interface Waiting {
  row: SQL;
  resolve(): void;
  reject(error: unknown): void;
}

interface Group {
  queued: Waiting[];
  flushing: boolean;
}

/** One queue per pool: appends to the same database from one process share their commits. */
const groups = new WeakMap<object, Group>();

/**
 * Commits entries appended outside any transaction of the caller's, in groups: an append that finds no INSERT in flight
 * commits at once, alone; those arriving while one is in flight wait for it and then commit together, in one INSERT of
 * many rows, sealed by its one commit under one hold of the chain lock, in the order they were appended. So concurrent
 * appends share the lock and the WAL flush instead of queueing for them one by one, and a lone append waits for no one.
 * Resolves once the entry's INSERT has committed. When a group fails, its entries are tried one by one, so a refused
 * entry fails alone.
 */
export function appendInGroup(db: Db, insert: (rows: SQL) => SQL, row: SQL): Promise<void> {
  const key = db.$client;
  let group = groups.get(key);
  if (!group) {
    group = { queued: [], flushing: false };
    groups.set(key, group);
  }
  const queued = group;
  return new Promise<void>((resolve, reject) => {
    queued.queued.push({ row, resolve, reject });
    if (!queued.flushing) void flush(db, insert, queued);
  });
}

async function flush(db: Db, insert: (rows: SQL) => SQL, group: Group): Promise<void> {
  group.flushing = true;
  try {
    while (group.queued.length > 0) {
      const batch = group.queued.splice(0, MAX_GROUP);
      try {
        await db.execute(insert(sql.join(batch.map((waiting) => waiting.row), sql`, `)));
        for (const waiting of batch) waiting.resolve();
      } catch (error) {
        if (batch.length === 1) batch[0]!.reject(error);
        // One by one, in order, so that the chain keeps the order of the appends.
        else for (const waiting of batch) await db.execute(insert(waiting.row)).then(waiting.resolve, waiting.reject);
      }
    }
  } finally {
    group.flushing = false;
  }
}
