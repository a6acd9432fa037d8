import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import type * as schema from './schema/index.js';
import { sessionDbOf } from './session.js';

type SchemaDb = NodePgDatabase<typeof schema>;

/**
 * drizzle-orm's node-postgres `transaction()` on a pool sends BEGIN before the try/finally that releases the client
 * (drizzle-team/drizzle-orm#6241, still so in 0.45.4): when BEGIN fails, as it does when Postgres restarts under a
 * request, the client is never given back, and a few outages exhaust the pool and make `pool.end()` wait forever.
 * Here each transaction checks a client out itself, runs drizzle's own transaction on that one client (where drizzle
 * releases nothing), and always releases it; the pool drops clients whose connection died.
 */
export function releaseEveryTransactionClient(db: SchemaDb, pool: pg.Pool): void {
  const transaction: SchemaDb['transaction'] = async <T>(run: Parameters<SchemaDb['transaction']>[0], config?: Parameters<SchemaDb['transaction']>[1]) => {
    const client = await pool.connect();
    try {
      return (await sessionDbOf(client).transaction(run, config)) as T;
    } finally {
      client.release();
    }
  };
  db.transaction = transaction;
}
