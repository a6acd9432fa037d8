import type { Db } from './client.js';

/**
 * For a statement every request runs: built by drizzle once per database handle, and prepared (Postgres parses and
 * plans it once per connection), since building it on each request costs more Node CPU than running it.
 */
export function preparedPerDb<T>(prepare: (db: Db) => T): (db: Db) => T {
  const prepared = new WeakMap<Db, T>();
  return (db) => {
    let statement = prepared.get(db);
    if (!statement) {
      statement = prepare(db);
      prepared.set(db, statement);
    }
    return statement;
  };
}
