import type { Db } from './client.js';

/**
 * For a statement every request runs: built by drizzle once per database handle, and prepared (Postgres parses and
 * plans it once per connection), since building it on each request costs more Node CPU than running it. The handle is
 * the pool's (`Db`), or one connection's (`SessionDb`) for a statement that must run in that session.
 */
export function preparedPerDb<T, D extends object = Db>(prepare: (db: D) => T): (db: D) => T {
  const prepared = new WeakMap<D, T>();
  return (db) => {
    let statement = prepared.get(db);
    if (!statement) {
      statement = prepare(db);
      prepared.set(db, statement);
    }
    return statement;
  };
}
