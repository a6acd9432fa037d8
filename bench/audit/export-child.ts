import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import { FETCH_ROWS, openAuditExport } from '../../src/audit/export.js';
import type { AuditFilters } from '../../src/audit/filters.js';
import { exportRowsCopyQuery, exportRowsQuery } from '../../src/audit/query.js';
import { connectDatabase } from '../../src/db/client.js';
import { reportToParent } from '../framework/child.js';
import { loadedSpan } from './entries.js';

/**
 * One export in a process of its own (so its peak memory is its alone), into a sink that only counts bytes, as an
 * upload that keeps up would: `export` through `openAuditExport`, or `copy` through Postgres's own
 * `COPY (same query) TO STDOUT WITH CSV`. Reports the time from the request to the last byte. `fetch` only reads the
 * same rows through node-postgres, as the export does, and writes nothing: the floor of any export built on it.
 */
const MODES = ['export', 'copy', 'fetch'] as const;
const [mode, url, countText] = process.argv.slice(2);
if (!MODES.some((known) => known === mode) || !url || !countText) throw new Error('usage: export-child.ts export|copy|fetch <database url> <entries>');
const filters: AuditFilters = { ...loadedSpan(Number(countText)), types: [] };
const database = connectDatabase(url, { max: 2 });
let bytes = 0;
const sink = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    bytes += chunk.length;
    callback();
  },
});

const started = performance.now();
const cpu = process.cpuUsage();
let rows: number;
if (mode === 'export') {
  const csv = await openAuditExport(database.db, filters);
  await pipeline(csv.stream, sink);
  rows = (await csv.done).count;
} else if (mode === 'fetch') {
  const client = await database.pool.connect();
  try {
    const { text, values } = exportRowsQuery(filters);
    await client.query('begin isolation level repeatable read read only');
    await client.query(`declare rows_only no scroll cursor for ${text}`, values);
    // As the export does: the next batch is asked for before the current one is looked at.
    const fetch = () => client.query({ text: `fetch forward ${FETCH_ROWS} from rows_only`, rowMode: 'array' });
    rows = 0;
    let next: ReturnType<typeof fetch> | undefined = fetch();
    while (next) {
      const batch: number = (await next).rows.length;
      next = batch === FETCH_ROWS ? fetch() : undefined;
      rows += batch;
    }
    await client.query('commit');
  } finally {
    client.release();
  }
} else {
  const client = await database.pool.connect();
  try {
    const copy = client.query(copyStreams.to(`copy (${exportRowsCopyQuery(filters)}) to stdout with csv header`));
    await pipeline(copy, sink);
    rows = copy.rowCount;
  } finally {
    client.release();
  }
}
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
await database.close();
reportToParent({ seconds, cpuSeconds: (used.user + used.system) / 1e6, bytes, rows });
