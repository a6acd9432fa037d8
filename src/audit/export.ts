import { Transform, pipeline, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type pg from 'pg';
import QueryStream from 'pg-query-stream';
import type { Db } from '../db/client.js';
import type { AuditFilters } from './filters.js';
import { CSV_COLUMNS, exportRowsQuery, exportSummaryQuery, poolOf } from './query.js';

export interface ExportSummary {
  count: number;
  /** Earliest and latest `occurred_at` of the exported entries; null when none matched. */
  firstAt: Date | null;
  lastAt: Date | null;
}

export interface AuditExport {
  /** What the export holds, counted before the first row is sent (same snapshot as the rows). */
  summary: ExportSummary;
  /** The CSV, UTF-8, RFC 4180 (CRLF line ends), header first. */
  stream: Readable;
  /** Settles once the stream has been read to its end: what was actually written. Rejects if the export failed. */
  done: Promise<ExportSummary>;
}

/** Rows fetched from the server-side cursor per round trip (a few MB at most). */
const BATCH_SIZE = 4000;
/** First characters a spreadsheet reads as a formula or a control (fullwidth forms included: some apps fold them). */
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r', '\n', '\0', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20']);

/** A cell as written to the CSV: prefixed with `'` when a spreadsheet would evaluate it. */
export function neutralizeCell(value: string): string {
  return value.length > 0 && FORMULA_START.has(value[0]!) ? `'${value}` : value;
}

/**
 * Streams the entries matching `filters` as CSV. One pooled connection holds a read-only REPEATABLE READ transaction
 * for the whole export, so the summary and the rows agree; rows come through a server-side cursor a batch at a time
 * and backpressure reaches Postgres, so memory stays flat whatever the size.
 */
export async function openAuditExport(source: Db | pg.Pool, filters: AuditFilters): Promise<AuditExport> {
  const client = await poolOf(source).connect();
  let summary: ExportSummary;
  try {
    await client.query('begin isolation level repeatable read read only');
    summary = await readSummary(client, filters);
  } catch (error) {
    client.release(true);
    throw error;
  }
  const { text, values } = exportRowsQuery(filters);
  const rows = client.query(new QueryStream(text, values, { batchSize: BATCH_SIZE, rowMode: 'array' }));
  const written: WrittenSpan = { count: 0, firstAt: null, lastAt: null };
  // RFC 4180: CRLF between records, and any field holding CR or LF quoted (not only one holding CRLF).
  const csv = stringify({ header: true, columns: [...CSV_COLUMNS], record_delimiter: 'windows', quote_record_delimiter: true });
  const drained = new Promise<void>((resolve, reject) => {
    pipeline(rows, toRecords(written), csv, (error) => {
      void endTransaction(client, error).then(() => (error ? reject(error) : resolve()), reject);
    });
  });
  const done = Promise.all([drained, finished(csv)]).then(() => ({
    count: written.count,
    firstAt: written.firstAt === null ? null : new Date(written.firstAt),
    lastAt: written.lastAt === null ? null : new Date(written.lastAt),
  }));
  done.catch(() => undefined); // the caller may only watch the stream; the failure also reaches it there
  return { summary, stream: csv, done };
}

async function readSummary(client: pg.PoolClient, filters: AuditFilters): Promise<ExportSummary> {
  const { text, values } = exportSummaryQuery(filters);
  const result = await client.query<{ count: string; first_at: Date | null; last_at: Date | null }>(text, values);
  const row = result.rows[0];
  return { count: Number(row?.count ?? 0), firstAt: row?.first_at ?? null, lastAt: row?.last_at ?? null };
}

/** What went out so far; timestamps kept as the fixed-width ISO text of the CSV, which sorts as time does. */
interface WrittenSpan {
  count: number;
  firstAt: string | null;
  lastAt: string | null;
}

/** Database rows (arrays of text) to CSV records: nulls as empty cells, formulas neutralised, the span kept. */
function toRecords(written: WrittenSpan): Transform {
  return new Transform({
    objectMode: true,
    transform(row: (string | null)[], _encoding, callback) {
      written.count += 1;
      const occurredAt = row[1]!;
      if (written.firstAt === null || occurredAt < written.firstAt) written.firstAt = occurredAt;
      if (written.lastAt === null || occurredAt > written.lastAt) written.lastAt = occurredAt;
      callback(null, row.map((cell) => (cell === null ? '' : neutralizeCell(cell))));
    },
  });
}

/** Commits and returns the connection; after a failure or an abandoned read the connection is discarded instead. */
async function endTransaction(client: pg.PoolClient, error: Error | null | undefined): Promise<void> {
  if (error) {
    client.release(true);
    return;
  }
  try {
    await client.query('commit');
    client.release();
  } catch (commitError) {
    client.release(true);
    throw commitError;
  }
}
