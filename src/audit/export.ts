import { Transform, pipeline, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { Db } from '../db/client.js';
import type { AuditFilters } from './filters.js';
import { exportCopyStatement, exportSummaryQuery, poolOf } from './query.js';

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

/**
 * Streams the entries matching `filters` as CSV. One pooled connection holds a read-only REPEATABLE READ transaction
 * for the whole export, so the summary and the rows agree. Postgres writes the CSV itself (`COPY … TO STDOUT`, cells
 * already neutralised by the query), and the bytes go on as they come, their record ends turned into CRLF; the
 * connection is paused while the reader lags, so memory stays flat whatever the size.
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
  const connection = onceReleased(client);
  const copy = client.query(copyStreams.to(exportCopyStatement(filters, { neutralize: true })));
  const records = { count: -1 }; // the header is a record too
  const stream = crlfRecordEnds(records);
  pipeline(copy, stream, (error) => {
    if (error) connection.release(true);
  });
  const done = finished(stream).then(async () => {
    await client.query('commit');
    connection.release(false);
    if (records.count !== summary.count) throw new Error(`the export wrote ${records.count} entries of ${summary.count}`);
    return summary;
  });
  done.catch(() => connection.release(true)); // the caller may only watch the stream; the failure also reaches it there
  return { summary, stream, done };
}

async function readSummary(client: pg.PoolClient, filters: AuditFilters): Promise<ExportSummary> {
  const { text, values } = exportSummaryQuery(filters);
  const result = await client.query<{ count: string; first_at: Date | null; last_at: Date | null }>(text, values);
  const row = result.rows[0];
  return { count: Number(row?.count ?? 0), firstAt: row?.first_at ?? null, lastAt: row?.last_at ?? null };
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

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Postgres ends CSV records with LF; RFC 4180 wants CRLF. A record ends at an LF outside quotes (inside quotes an LF
 * is part of a value and stays as it is; a doubled quote inside quotes toggles twice). Counts the records it passes.
 */
function crlfRecordEnds(records: { count: number }): Transform {
  let quoted = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const ends: number[] = [];
      for (let index = 0; index < chunk.length; index += 1) {
        const byte = chunk[index];
        if (byte === QUOTE) quoted = !quoted;
        else if (byte === LF && !quoted) ends.push(index);
      }
      records.count += ends.length;
      if (ends.length === 0) {
        callback(null, chunk);
        return;
      }
      const out = Buffer.allocUnsafe(chunk.length + ends.length);
      let from = 0;
      let at = 0;
      for (const end of ends) {
        at += chunk.copy(out, at, from, end);
        out[at++] = CR;
        out[at++] = LF;
        from = end + 1;
      }
      chunk.copy(out, at, from);
      callback(null, out);
    },
  });
}
