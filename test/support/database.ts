import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connectDatabase, runMigrations, type Database } from '../../src/db/client.js';

/** The machine's Postgres (CI and developers): trust auth on 127.0.0.1. */
export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase extends Database {
  url: string;
  name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** A fresh database of its own for one test file, migrated unless `migrated: false`; `drop()` removes it. */
export async function createTestDatabase(options: { max?: number; migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `aitz_t_${randomBytes(5).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = withDatabase(TEST_POSTGRES_URL, name);
  const database = connectDatabase(url, { max: options.max ?? 10 });
  if (options.migrated !== false) await runMigrations(database);
  return {
    ...database,
    url,
    name,
    async drop() {
      await database.close();
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs SQL on audit_log with its user triggers off, as a superuser tampering with the log (or resetting it) would. */
export async function tamperWithAuditLog(database: Database, statement: string): Promise<void> {
  const client = await database.pool.connect();
  try {
    await client.query('alter table audit_log disable trigger user');
    await client.query(statement);
  } finally {
    await client.query('alter table audit_log enable trigger user');
    client.release();
  }
}
