import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import type { Logger } from '../log.js';
import { MIGRATIONS_FOLDER } from '../project-files.js';
import { releaseEveryTransactionClient } from './pooled-transactions.js';
import * as schema from './schema/index.js';

export type Db = NodePgDatabase<typeof schema> & { $client: pg.Pool };
/** A transaction handle; workflows take `Db | Tx` where they can run inside or outside one. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  max?: number;
}

export function connectDatabase(url: string, options: DatabaseOptions = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 5000,
  });
  // An idle client losing its connection (Postgres restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  // A checked-out client losing its connection emits 'error' too, and the pool listens only to idle ones. The query
  // in flight rejects with the same error (callers answer "try again"), and the pool drops the client on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = drizzle(pool, { schema });
  releaseEveryTransactionClient(db, pool);
  return { db, pool, close: () => pool.end() };
}

/**
 * The session advisory lock every process takes before applying migrations. Replicas started together against a
 * fresh database would otherwise run drizzle's `CREATE SCHEMA IF NOT EXISTS` and `CREATE TABLE`s side by side, and
 * `IF NOT EXISTS` does not protect a statement from another session's uncommitted twin: the second one waits for the
 * first, then fails on the catalog's unique index. Under the lock the first process migrates, and each next one finds
 * everything applied.
 */
export const MIGRATION_LOCK_KEY = '-1972997181796290747';

/** How long a process waits for another one's migrations before it gives up and says so. */
export const MIGRATION_LOCK_WAIT_MS = 120_000;

export class MigrationLockTimeoutError extends Error {
  constructor(readonly waitedMs: number) {
    const waited = waitedMs >= 1000 ? `${Math.round(waitedMs / 1000)} s` : `${waitedMs} ms`;
    super(
      `could not take the migration lock within ${waited}: another process is applying migrations ` +
        `or holds the lock (pg_advisory_lock ${MIGRATION_LOCK_KEY}; see pg_locks); start again once it is done`,
    );
    this.name = 'MigrationLockTimeoutError';
  }
}

export interface MigrationOptions {
  log?: Logger;
  /** Bound on the wait for the lock (default MIGRATION_LOCK_WAIT_MS). */
  lockWaitMs?: number;
}

/**
 * Applies the SQL migrations in `migrations/` (idempotent; drizzle records what it applied), one process at a time:
 * the lock and every migration statement go through one connection of their own, held for the whole run and closed
 * afterwards, so the lock can neither outlive the run nor be taken on one connection while migrating on another.
 */
export async function runMigrations(database: Database, options: MigrationOptions = {}): Promise<void> {
  const client = await database.pool.connect();
  let locked = false;
  try {
    await takeMigrationLock(client, options.lockWaitMs ?? MIGRATION_LOCK_WAIT_MS, options.log);
    locked = true;
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    // Unlocked at once, failed run or not (drizzle rolled a failed migration back), so the next process goes on now
    // rather than when the server notices the session is gone. The connection is destroyed, not reused: ending the
    // session also ends the lock when the unlock itself could not get through.
    if (locked) await client.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.release(true);
  }
}

async function takeMigrationLock(client: pg.PoolClient, waitMs: number, log: Logger | undefined): Promise<void> {
  const tried = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1::bigint) as locked', [MIGRATION_LOCK_KEY]);
  if (tried.rows[0]?.locked) return;
  log?.info({ waitMs }, 'another process is applying migrations; waiting for it');
  // lock_timeout bounds the wait for advisory locks too (SQLSTATE 55P03 when it runs out).
  await client.query("select set_config('lock_timeout', $1, false)", [`${Math.max(1, Math.round(waitMs))}ms`]);
  try {
    await client.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
  } catch (error) {
    if ((error as { code?: unknown }).code === '55P03') throw new MigrationLockTimeoutError(waitMs);
    throw error;
  }
  // The migrations themselves wait for table locks as long as they must, as before.
  await client.query('reset lock_timeout');
}

/** True when every migration file has been applied (readiness). */
export async function migrationsApplied(database: Database): Promise<boolean> {
  const { readMigrationFiles } = await import('drizzle-orm/migrator');
  const expected = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).length;
  try {
    const result = await database.pool.query<{ count: string }>(
      'select count(*)::text as count from drizzle.__drizzle_migrations',
    );
    return Number(result.rows[0]?.count ?? 0) >= expected;
  } catch {
    return false;
  }
}
