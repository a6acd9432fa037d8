import { once } from 'node:events';
import { drizzle } from 'drizzle-orm/node-postgres';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseEveryTransactionClient } from '../../src/db/pooled-transactions.js';
import * as schema from '../../src/db/schema/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * A transaction whose BEGIN fails (its connection died between checkout and BEGIN, as when Postgres restarts) must
 * give its pool slot back; drizzle's own pooled transaction does not.
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

/** A one-connection pool whose first checkout hands out a client whose server session was just terminated. */
class DeadFirstCheckout extends pg.Pool {
  private killed = false;

  async checkout(): Promise<pg.PoolClient> {
    const client = await super.connect();
    if (this.killed) return client;
    this.killed = true;
    const broken = once(client, 'error');
    const pid = (client as pg.PoolClient & { processID: number }).processID;
    await database.pool.query('select pg_terminate_backend($1)', [pid]);
    await broken;
    return client;
  }
}

describe('pooled transactions', () => {
  it('release the connection when BEGIN fails, so the next transaction gets it', async () => {
    const pool = new DeadFirstCheckout({ connectionString: database.url, max: 1, connectionTimeoutMillis: 2000 });
    pool.on('connect', (client) => client.on('error', () => undefined));
    pool.connect = (() => pool.checkout()) as typeof pool.connect;
    const db = drizzle(pool, { schema });
    releaseEveryTransactionClient(db, pool);
    try {
      await expect(db.transaction(async (tx) => tx.execute(sql`select 1`))).rejects.toThrow(/begin/i);
      // One connection in all: a leaked one would make this wait for the connection timeout and fail.
      const result = await db.transaction(async (tx) => tx.execute<{ answer: number }>(sql`select 42 as answer`));
      expect(result.rows).toEqual([{ answer: 42 }]);
      expect(pool.totalCount).toBe(pool.idleCount);
    } finally {
      // Bounded: with a leaked connection, end() would wait for it forever.
      await Promise.race([pool.end(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    }
  });

  it('commit and roll back as drizzle does', async () => {
    const { db } = database;
    await db.execute(sql`create table tx_probe (note text)`);
    await db.transaction(async (tx) => tx.execute(sql`insert into tx_probe values ('kept')`));
    await expect(
      db.transaction(async (tx) => {
        await tx.execute(sql`insert into tx_probe values ('undone')`);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const rows = await db.execute<{ note: string }>(sql`select note from tx_probe`);
    expect(rows.rows).toEqual([{ note: 'kept' }]);
    expect(database.pool.totalCount).toBe(database.pool.idleCount);
  });
});
