import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, exportCopyStatement, exportRowsQuery } from '../../src/audit/query.js';

const filters = { from: new Date('2026-11-19T00:00:00.000Z'), to: new Date('2026-11-26T23:59:59.999Z'), types: ['plan.created' as const] };

describe('exportCopyStatement', () => {
  it('is COPY of the export query as CSV with a header, its values written in as quoted literals', () => {
    const { text } = exportRowsQuery(filters, { neutralize: true });
    const copy = exportCopyStatement(filters, { neutralize: true });
    expect(copy).toBe(
      `copy (${text.replace('$1', `'2026-11-19T00:00:00.000Z'`).replace('$2', `'2026-11-26T23:59:59.999Z'`).replace('$3', `'plan.created'`)}) to stdout with (format csv, header true)`,
    );
    expect(copy).not.toMatch(/\$\d/);
  });

  it('quotes hostile values so they stay values', () => {
    expect(exportCopyStatement({ ...filters, actorId: "x' or '1'='1" }, { neutralize: true })).toContain(`"audit_log"."actor_id" = 'x'' or ''1''=''1'`);
    expect(exportCopyStatement({ ...filters, actorId: 'back\\slash' }, { neutralize: true })).toContain(`"audit_log"."actor_id" =  E'back\\\\slash'`);
  });

  it('names the columns as the CSV header does, and neutralises every cell that could hold text', () => {
    const { text } = exportRowsQuery(filters, { neutralize: true });
    for (const column of CSV_COLUMNS) expect(text).toContain(` as "${column}"`);
    expect(text.match(/case when left/g)).toHaveLength(CSV_COLUMNS.length - 3);
    expect(exportRowsQuery(filters, { neutralize: false }).text).not.toContain('case when');
  });
});
