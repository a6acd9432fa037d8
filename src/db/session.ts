import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import * as schema from './schema/index.js';

/** drizzle on one checked-out connection: its statements run in that connection's session. */
export type SessionDb = NodePgDatabase<typeof schema> & { $client: pg.PoolClient };

// Clients are reused by the pool, so each gets its drizzle instance once.
const sessionDbs = new WeakMap<pg.PoolClient, SessionDb>();

/** The drizzle handle of a checked-out connection, made once per connection. */
export function sessionDbOf(client: pg.PoolClient): SessionDb {
  let db = sessionDbs.get(client);
  if (!db) {
    db = drizzle(client, { schema });
    sessionDbs.set(client, db);
  }
  return db;
}
