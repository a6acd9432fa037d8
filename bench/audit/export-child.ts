import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import { openAuditExport } from '../../src/audit/export.js';
import type { AuditFilters } from '../../src/audit/filters.js';
import { exportCopyStatement } from '../../src/audit/query.js';
import { connectDatabase } from '../../src/db/client.js';
import { reportToParent } from '../framework/child.js';
import { loadedSpan } from './entries.js';

/**
 * One export in a process of its own (so its peak memory is its alone), into a sink that only counts bytes, as an
 * upload that keeps up would: `export` through `openAuditExport`, or `copy` through Postgres's own
 * `COPY (same rows) TO STDOUT WITH CSV`, without the formula neutralising and the CRLF record ends. Reports the time
 * from the request to the last byte.
 */
const MODES = ['export', 'copy'] as const;
const [mode, url, countText] = process.argv.slice(2);
if (!MODES.some((known) => known === mode) || !url || !countText) throw new Error('usage: export-child.ts export|copy <database url> <entries>');
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
} else {
  const client = await database.pool.connect();
  try {
    const copy = client.query(copyStreams.to(exportCopyStatement(filters, { neutralize: false })));
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
