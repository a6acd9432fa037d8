import { ManualClock } from '../../src/clock.js';
import { connectDatabase } from '../../src/db/client.js';
import { createTestDatabase } from '../../test/support/database.js';
import type { BenchSuite } from '../framework/types.js';
import { appendCase, PLAIN_TABLE_SQL } from './append.js';
import { loadEntries } from './entries.js';
import { exportCase } from './export.js';

/**
 * The audit figures of docs/promises.md, in a temporary database dropped afterwards: append rate with the hash chain
 * (1 and 20 writers) against plain INSERTs, and the export of 1,000,000 entries against COPY.
 */
export const auditSuite: BenchSuite = {
  name: 'audit',
  async open(options) {
    const entries = options.quick ? 20_000 : 1_000_000;
    const database = await createTestDatabase();
    options.cleanup(() => database.drop());
    options.log(`loading ${entries.toLocaleString('en-US')} chained entries into ${database.name}`);
    const loadStarted = performance.now();
    await loadEntries(database.db, new ManualClock(), entries);
    await database.pool.query('vacuum (analyze) audit_log');
    await database.pool.query(PLAIN_TABLE_SQL);
    options.log(`loaded in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);
    const writers = connectDatabase(database.url, { max: 20 });
    options.cleanup(() => writers.close());
    return {
      cases: [
        exportCase(database.url, entries),
        appendCase(writers.db, 1, options.quick ? 100 : 1000),
        appendCase(writers.db, 20, options.quick ? 200 : 2000),
      ],
      async close() {
        await writers.close();
        await database.drop();
      },
    };
  },
};
