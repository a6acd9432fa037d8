import { Transform, pipeline, type Readable, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type pg from 'pg';
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

/** Rows fetched from the cursor per round trip (about 1.5 MB of CSV). */
export const FETCH_ROWS = 5000;
/** Bytes of CSV gathered into one chunk of the byte stream. */
const CHUNK_BYTES = 256 * 1024;
const CURSOR = 'audit_export';
/** First characters a spreadsheet reads as a formula or a control (fullwidth forms included: some apps fold them). */
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r', '\n', '\0', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20']);
/**
 * csv-stringify ends each record with this, and it is written as CRLF when records are gathered into chunks. Postgres
 * text never holds NUL, so no cell can contain it; a one-character delimiter spares csv-stringify a string
 * concatenation per cell that a two-character CRLF costs it.
 */
const RECORD_END = '\0';

/** A cell as written to the CSV: prefixed with `'` when a spreadsheet would evaluate it. */
export function neutralizeCell(value: string): string {
  return value.length > 0 && FORMULA_START.has(value[0]!) ? `'${value}` : value;
}

type Row = (string | null)[];

/**
 * Streams the entries matching `filters` as CSV. One pooled connection holds a read-only REPEATABLE READ transaction
 * for the whole export, so the summary and the rows agree. Rows come from a server-side cursor a batch at a time, as
 * arrays of text already in their CSV form (nulls stay empty cells); the next batch is fetched while the current one
 * is written, and none while the reader lags, so memory stays flat whatever the size.
 */
export async function openAuditExport(source: Db | pg.Pool, filters: AuditFilters): Promise<AuditExport> {
  const client = await poolOf(source).connect();
  let summary: ExportSummary;
  try {
    await client.query('begin isolation level repeatable read read only');
    summary = await readSummary(client, filters);
    const { text, values } = exportRowsQuery(filters);
    await client.query(`declare ${CURSOR} no scroll cursor for ${text}`, values);
  } catch (error) {
    client.release(true);
    throw error;
  }
  const connection = onceReleased(client);
  const written: WrittenSpan = { count: 0, firstAt: null, lastAt: null };
  // Rows are written to csv-stringify directly (no stream per row in between); it hands back one string per record.
  // RFC 4180: any cell holding CR or LF is quoted (`quote_record_delimiter`), not only one holding the record end.
  const records = stringify({
    header: true,
    columns: [...CSV_COLUMNS],
    record_delimiter: RECORD_END,
    quote_record_delimiter: true,
    cast: { string: neutralizeCell },
    readableObjectMode: true,
    readableHighWaterMark: 1024,
    writableHighWaterMark: FETCH_ROWS,
  });
  const stream = recordsToBytes();
  pipeline(records, stream, (error) => {
    if (error) connection.release(true);
  });
  void pump(client, connection, records, written).catch((error: unknown) => records.destroy(error instanceof Error ? error : new Error(String(error))));
  const done = finished(stream).then(() => ({
    count: written.count,
    firstAt: written.firstAt === null ? null : new Date(written.firstAt),
    lastAt: written.lastAt === null ? null : new Date(written.lastAt),
  }));
  done.catch(() => undefined); // the caller may only watch the stream; the failure also reaches it there
  return { summary, stream, done };
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

interface Connection {
  /** Returns the connection to the pool, or discards it (a failed or abandoned export leaves a transaction open). */
  release(discard: boolean): void;
}

function onceReleased(client: pg.PoolClient): Connection {
  let released = false;
  return {
    release(discard) {
      if (released) return;
      released = true;
      client.release(discard);
    },
  };
}

/**
 * Moves rows from the cursor into the CSV writer, a batch at a time: asks for the next batch before writing the
 * current one (Postgres works while this process does), and waits whenever the writer is full. Commits and returns
 * the connection after the last batch.
 */
async function pump(client: pg.PoolClient, connection: Connection, records: Writable, written: WrittenSpan): Promise<void> {
  let next: Promise<Row[]> | undefined = fetchBatch(client);
  while (next) {
    const rows: Row[] = await next;
    if (records.destroyed) return;
    next = rows.length < FETCH_ROWS ? undefined : fetchBatch(client);
    track(rows, written);
    for (const row of rows) records.write(row);
    if (!next) {
      await client.query('commit');
      connection.release(false);
      records.end();
      return;
    }
    if (records.writableNeedDrain) await drainOrClose(records);
  }
}

function fetchBatch(client: pg.PoolClient): Promise<Row[]> {
  const batch = client.query<Row>({ text: `fetch forward ${FETCH_ROWS} from ${CURSOR}`, rowMode: 'array' }).then((result) => result.rows);
  batch.catch(() => undefined); // awaited in turn; an export abandoned first never reads it
  return batch;
}

function drainOrClose(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const settle = () => {
      stream.off('drain', settle);
      stream.off('close', settle);
      resolve();
    };
    stream.on('drain', settle);
    stream.on('close', settle);
  });
}

function track(rows: readonly Row[], written: WrittenSpan): void {
  for (const row of rows) {
    const occurredAt = row[1]!;
    if (written.firstAt === null || occurredAt < written.firstAt) written.firstAt = occurredAt;
    if (written.lastAt === null || occurredAt > written.lastAt) written.lastAt = occurredAt;
  }
  written.count += rows.length;
}

/**
 * CSV records (strings ending in RECORD_END) written straight into UTF-8 chunks of CHUNK_BYTES, the record end written
 * as CRLF: one buffer per chunk instead of one per record.
 */
function recordsToBytes(): Transform {
  let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let used = 0;
  const flushChunk = (stream: Transform) => {
    if (used === 0) return;
    stream.push(chunk.subarray(0, used));
    chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    used = 0;
  };
  return new Transform({
    writableObjectMode: true,
    writableHighWaterMark: FETCH_ROWS,
    transform(record: string, _encoding, callback) {
      // At most 3 bytes per UTF-16 unit, plus the LF that follows the CR written over RECORD_END.
      const room = record.length * 3 + 1;
      if (used + room > chunk.length) {
        flushChunk(this);
        if (room > chunk.length) chunk = Buffer.allocUnsafe(room);
      }
      used += chunk.write(record, used, 'utf8');
      chunk[used - 1] = 0x0d;
      chunk[used] = 0x0a;
      used += 1;
      callback();
    },
    flush(callback) {
      flushChunk(this);
      callback();
    },
  });
}
