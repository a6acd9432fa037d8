import { describe, expect, it } from 'vitest';
import type { AuditEventType } from '../../src/audit/events.js';
import { CSV_COLUMNS, exportCopyStatement } from '../../src/audit/query.js';

const filters = { from: new Date('2026-11-19T00:00:00.000Z'), to: new Date('2026-11-26T23:59:59.999Z'), types: ['plan.created' as const] };

describe('exportCopyStatement', () => {
  it('is COPY of the export query as CSV with a header, its values written in as quoted literals', () => {
    const copy = exportCopyStatement(filters, { neutralize: true });
    expect(copy).toMatch(/^copy \(select .* from "audit_log" where .* order by "audit_log"\."id"\) to stdout with \(format csv, header true\)$/s);
    expect(copy).toContain(`"audit_log"."occurred_at" >= '2026-11-19T00:00:00.000Z'::timestamptz`);
    expect(copy).toContain(`"audit_log"."occurred_at" <= '2026-11-26T23:59:59.999Z'::timestamptz`);
    expect(copy).toContain(`"audit_log"."event_type" in ('plan.created')`);
    expect(copy).not.toMatch(/\$\d/);
  });

  it('keeps hostile values values: quotes doubled, backslashes in an E string, dollar signs and semicolons inert', () => {
    const hostile = ["x' or '1'='1", 'back\\slash', "'; drop table audit_log; --", '$1', "$$ or true; $$", "\\'; select pg_sleep(10); --"];
    const types = ["plan.created') or ('1'='1" as AuditEventType];
    for (const actorId of hostile) {
      const copy = exportCopyStatement({ ...filters, types, actorId }, { neutralize: true });
      const where = copy.slice(copy.indexOf(' where '), copy.indexOf(' order by '));
      // What remains outside the literals is only the filter's own SQL: no injected keyword got out.
      const outside = where.replace(/ ?E?'(?:[^'\\]|''|\\.)*'/g, ' <v>').replace(/ +/g, ' ');
      expect(outside, actorId).toBe(
        ' where ("audit_log"."occurred_at" >= <v>::timestamptz and "audit_log"."occurred_at" <= <v>::timestamptz and "audit_log"."event_type" in ( <v>) and "audit_log"."actor_id" = <v>)',
      );
    }
    expect(exportCopyStatement({ ...filters, actorId: "x' or '1'='1" }, { neutralize: true })).toContain(`"audit_log"."actor_id" = 'x'' or ''1''=''1'`);
    expect(exportCopyStatement({ ...filters, actorId: 'back\\slash' }, { neutralize: true })).toContain(`"audit_log"."actor_id" =  E'back\\\\slash'`);
  });

  it('names the columns as the CSV header does, and neutralises every cell that could hold text', () => {
    const copy = exportCopyStatement(filters, { neutralize: true });
    for (const column of CSV_COLUMNS) expect(copy).toContain(` as "${column}"`);
    expect(copy.match(/case when left/g)).toHaveLength(CSV_COLUMNS.length - 3);
    expect(exportCopyStatement(filters, { neutralize: false })).not.toContain('case when');
  });
});
