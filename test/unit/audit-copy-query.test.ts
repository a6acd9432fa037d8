import { describe, expect, it } from 'vitest';
import { exportRowsCopyQuery, exportRowsQuery } from '../../src/audit/query.js';

const filters = { from: new Date('2026-11-19T00:00:00.000Z'), to: new Date('2026-11-26T23:59:59.999Z'), types: ['plan.created' as const] };

describe('exportRowsCopyQuery', () => {
  it('is the export query with its values written in as quoted literals', () => {
    const { text } = exportRowsQuery(filters);
    const copy = exportRowsCopyQuery(filters);
    expect(copy).toBe(
      text.replace('$1', `'2026-11-19T00:00:00.000Z'`).replace('$2', `'2026-11-26T23:59:59.999Z'`).replace('$3', `'plan.created'`),
    );
    expect(copy).not.toMatch(/\$\d/);
  });

  it('quotes hostile values so they stay values', () => {
    expect(exportRowsCopyQuery({ ...filters, actorId: "x' or '1'='1" })).toContain(`"audit_log"."actor_id" = 'x'' or ''1''=''1'`);
    expect(exportRowsCopyQuery({ ...filters, actorId: 'back\\slash' })).toContain(`"audit_log"."actor_id" =  E'back\\\\slash'`);
  });
});
