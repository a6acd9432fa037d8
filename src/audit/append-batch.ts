import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { assertReadCommitted, LOCK_CHAIN_QUERY, storedFieldsOf } from './append.js';
import { chainHash, GENESIS_HASH } from './chain.js';
import { poolOf } from './query.js';
import type { AuditEntryInput } from './types.js';

const COPY_COLUMNS =
  'id, occurred_at, category, event_type, actor_type, actor_id, actor_name, platform, channel_id, resource_type, resource_id, outcome, details, request_id, prev_hash, hash';
/** Rows per chunk of COPY data handed to the stream. */
const ROWS_PER_CHUNK = 500;

/**
 * Appends many entries in order under one hold of the chain lock, in one transaction, through COPY: ids are reserved
 * in one query, hashes computed here as the rows stream out. The same chain as `appendAudit` one entry at a time, for
 * imports and for loading large logs (benchmarks, tests). Returns how many entries were appended.
 */
export async function appendAuditBatch(db: Db | pg.Pool, clock: Clock, inputs: readonly AuditEntryInput[]): Promise<number> {
  if (inputs.length === 0) return 0;
  const client = await poolOf(db).connect();
  try {
    await client.query('begin');
    const lock = await client.query<{ isolation: string }>(LOCK_CHAIN_QUERY);
    assertReadCommitted(lock.rows[0]?.isolation);
    const last = await client.query<{ hash: string }>('select hash from audit_log order by id desc limit 1');
    const ids = await client.query<{ id: string }>(
      `select nextval(pg_get_serial_sequence('audit_log', 'id'))::text as id from generate_series(1, $1::int)`,
      [inputs.length],
    );
    const rows = Readable.from(copyText(inputs, ids.rows, last.rows[0]?.hash ?? GENESIS_HASH, clock));
    await pipeline(rows, client.query(copyStreams.from(`copy audit_log (${COPY_COLUMNS}) from stdin`)));
    await client.query('commit');
    client.release();
    return inputs.length;
  } catch (error) {
    client.release(true);
    throw error;
  }
}

/** The entries as COPY text rows, chained in order. */
function* copyText(inputs: readonly AuditEntryInput[], ids: readonly { id: string }[], firstPrevHash: string, clock: Clock): Generator<string> {
  let previous = firstPrevHash;
  let chunk = '';
  for (const [index, input] of inputs.entries()) {
    const fields = { id: Number(ids[index]!.id), ...storedFieldsOf(input, clock) };
    const hash = chainHash(previous, fields);
    chunk += `${[
      String(fields.id),
      fields.occurredAt.toISOString(),
      fields.category,
      fields.eventType,
      fields.actorType,
      fields.actorId,
      fields.actorName,
      fields.platform,
      fields.channelId,
      fields.resourceType,
      fields.resourceId,
      fields.outcome,
      JSON.stringify(fields.details),
      fields.requestId,
      previous,
      hash,
    ].map(copyField).join('\t')}\n`;
    previous = hash;
    if ((index + 1) % ROWS_PER_CHUNK === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

/** A value in COPY's text format: backslash escapes for the separators, `\N` for null. */
function copyField(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(/[\\\t\n\r]/g, (char) => (char === '\\' ? '\\\\' : char === '\t' ? '\\t' : char === '\n' ? '\\n' : '\\r'));
}
