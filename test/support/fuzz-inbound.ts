import { expect } from 'vitest';
import type pg from 'pg';
import { eventually } from './services.js';

/** Counts of everything a request could change, to compare before and after refused requests. */
export async function stateOf(pool: pg.Pool): Promise<Record<string, number>> {
  const result = await pool.query<Record<string, number>>(
    `select (select count(*)::int from environments) as labs,
            (select coalesce(sum(version), 0)::int from environments) as versions,
            (select count(*)::int from decisions) as decisions,
            (select count(*)::int from members) as members,
            (select count(*)::int from audit_log) as audit`,
  );
  return result.rows[0]!;
}

export interface AuditedRequest {
  requestId: string;
  eventTypes: string[];
  outcomes: string[];
}

/**
 * Waits until every request id has its audit entry (interactions are audited after the ack), then checks each has
 * exactly one, of the expected event types, and none with outcome `error` (an internal failure, not a refusal).
 */
export async function expectEachAuditedOnce(pool: pg.Pool, requestIds: string[], eventTypes: string[]): Promise<AuditedRequest[]> {
  const read = async () => {
    const result = await pool.query<{ request_id: string; event_types: string[]; outcomes: string[] }>(
      `select request_id, array_agg(event_type order by id) as event_types, array_agg(outcome::text order by id) as outcomes
         from audit_log where request_id = any($1) group by request_id`,
      [requestIds],
    );
    return result.rows.map((row) => ({ requestId: row.request_id, eventTypes: row.event_types, outcomes: row.outcomes }));
  };
  const audited = await eventually(async () => {
    const rows = await read();
    return rows.length >= new Set(requestIds).size ? rows : undefined;
  }, 15_000, `audit entries for ${requestIds.length} requests`);
  for (const row of audited) {
    expect(row.eventTypes, row.requestId).toHaveLength(1);
    expect(eventTypes).toContain(row.eventTypes[0]);
    expect(['ok', 'invalid', 'denied']).toContain(row.outcomes[0]);
  }
  return audited;
}
