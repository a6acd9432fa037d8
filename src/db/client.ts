import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
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

/** Applies the SQL migrations in `migrations/` (idempotent; drizzle records what it applied). */
export async function runMigrations(database: Database): Promise<void> {
  await migrate(database.db, { migrationsFolder: MIGRATIONS_FOLDER });
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
