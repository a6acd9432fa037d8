import { readMigrationFiles } from 'drizzle-orm/migrator';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectDatabase,
  MIGRATION_LOCK_KEY,
  MigrationLockTimeoutError,
  migrationsApplied,
  runMigrations,
  type Database,
} from '../../src/db/client.js';
import { postgresErrorIn } from '../../src/db/postgres-error.js';
import { createLogger } from '../../src/log.js';
import { MIGRATIONS_FOLDER } from '../../src/project-files.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { pollUntil } from '../support/redis.js';

/**
 * Processes started together against a fresh database each apply the migrations at start-up: one at a time, under a
 * Postgres advisory lock, each next one finding nothing left to do; a process that waits too long says so and stops.
 */
const MIGRATION_COUNT = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).length;

const opened: { end(): Promise<void> }[] = [];
let database: TestDatabase | undefined;

afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.end();
  await database?.drop();
  database = undefined;
});

async function freshDatabase(): Promise<TestDatabase> {
  database = await createTestDatabase({ migrated: false, max: 2 });
  return database;
}

/** A Database of its own on the test database, as another process would have. */
function anotherProcess(url: string): Database {
  const other = connectDatabase(url, { max: 2 });
  opened.push({ end: () => other.close() });
  return other;
}

/** A session holding the migration lock, as a process in the middle of migrating does. */
async function holdMigrationLock(url: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  opened.push({ end: () => client.end() });
  await client.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
  return { release: async () => void (await client.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY])) };
}

/** Sessions holding (granted) or waiting for the migration lock in this database. */
async function migrationLockSessions(db: Database): Promise<{ granted: boolean }[]> {
  const result = await db.pool.query<{ granted: boolean }>(
    `select granted from pg_locks
      where locktype = 'advisory' and objsubid = 1 and database = (select oid from pg_database where datname = current_database())
        and ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
    [MIGRATION_LOCK_KEY],
  );
  return result.rows;
}

async function appliedRows(db: Database): Promise<number> {
  const result = await db.pool.query<{ count: string }>('select count(*)::text as count from drizzle.__drizzle_migrations');
  return Number(result.rows[0]?.count);
}

async function schemaExists(db: Database, name: string): Promise<boolean> {
  const result = await db.pool.query('select 1 from pg_namespace where nspname = $1', [name]);
  return result.rowCount === 1;
}

describe('migrations under the advisory lock', () => {
  it('applies every migration once when four processes start together on a fresh database', async () => {
    const fresh = await freshDatabase();
    const processes = Array.from({ length: 4 }, () => anotherProcess(fresh.url));
    const outcomes = await Promise.allSettled(processes.map((db) => runMigrations(db)));
    expect(outcomes.map((outcome) => (outcome.status === 'rejected' ? String(outcome.reason) : 'ok'))).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(await appliedRows(fresh)).toBe(MIGRATION_COUNT);
    for (const db of processes) expect(await migrationsApplied(db)).toBe(true);
    expect(await migrationLockSessions(fresh)).toEqual([]);
  });

  it('waits for the process holding the lock, says so, then finds nothing left to do', async () => {
    const fresh = await freshDatabase();
    await runMigrations(fresh);
    const holder = await holdMigrationLock(fresh.url);
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => void lines.push(line) });
    let settled = false;
    const waiting = runMigrations(anotherProcess(fresh.url), { log }).finally(() => (settled = true));
    await pollUntil(async () => (await migrationLockSessions(fresh)).some((session) => !session.granted), {
      message: () => 'the second process never waited for the lock',
    });
    expect(settled).toBe(false);
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toContain('another process is applying migrations; waiting for it');

    await holder.release();
    await waiting;
    expect(await appliedRows(fresh)).toBe(MIGRATION_COUNT);
    expect(await migrationLockSessions(fresh)).toEqual([]);
  });

  it('gives up after the bound with a message that says why, having changed nothing', async () => {
    const fresh = await freshDatabase();
    await holdMigrationLock(fresh.url);
    const started = performance.now();
    const failure = await runMigrations(anotherProcess(fresh.url), { lockWaitMs: 300 }).catch((error: unknown) => error);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(failure).toBeInstanceOf(MigrationLockTimeoutError);
    expect((failure as Error).message).toMatch(/^could not take the migration lock within 300 ms: another process is applying migrations/);
    expect(await schemaExists(fresh, 'drizzle')).toBe(false);
    // Only the holder is left: the process that gave up took its waiting session away with it.
    expect(await migrationLockSessions(fresh)).toEqual([{ granted: true }]);
  });

  it('lets the lock go when a migration fails, so the next process gets its own error and not a timeout', async () => {
    const fresh = await freshDatabase();
    // A table in the way: the first migration's CREATE TABLE "environments" fails.
    await fresh.pool.query('create table environments (id text)');
    for (let run = 0; run < 2; run += 1) {
      const failure = await runMigrations(anotherProcess(fresh.url), { lockWaitMs: 2000 }).catch((error: unknown) => error);
      expect(failure).not.toBeInstanceOf(MigrationLockTimeoutError);
      expect(postgresErrorIn(failure)).toMatchObject({ code: '42P07', message: 'relation "environments" already exists' });
    }
    expect(await migrationLockSessions(fresh)).toEqual([]);
    expect(await migrationsApplied(fresh)).toBe(false);
  });
});
