import { parse } from 'csv-parse/sync';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAuditFilters } from '../../commands/audit-export-args.js';
import { appendAudit } from '../../src/audit/append.js';
import { AUDIT_EVENTS, type AuditEventType } from '../../src/audit/events.js';
import { openAuditExport } from '../../src/audit/export.js';
import { filtersToPayload, type AuditFilters } from '../../src/audit/filters.js';
import { CSV_COLUMNS } from '../../src/audit/query.js';
import { sanitizeText } from '../../src/audit/sanitize.js';
import type { AuditEntryInput } from '../../src/audit/types.js';
import { verifyChain } from '../../src/audit/verify.js';
import { ManualClock } from '../../src/clock.js';
import { auditLog, type AuditRow } from '../../src/db/schema/audit.js';
import { Notifiers } from '../../src/services.js';
import { runAuditExport, type AuditExportPayload } from '../../workflows/audit-export.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { RecordingNotifier } from '../support/recording-notifier.js';

const HEADER = 'id,occurred_at,category,event_type,actor_type,actor_id,actor_name,platform,channel_id,resource_type,resource_id,outcome,details,request_id,hash';
const FORMULAS = ['=HYPERLINK("http://x")', '+1', '-2+3', '@SUM(A1)', '\tleading tab', '\nleading newline', '=1+1\r\n=2+2'];
const EMBEDDED = 'alice",=1+1';
const TRIGGERS = ['=', '+', '-', '@', '\t', '\r', '\n', '\0'];

let database: TestDatabase;
const clock = new ManualClock('2026-11-26T12:00:00.000Z');

function entry(overrides: Partial<AuditEntryInput>): AuditEntryInput {
  return {
    eventType: 'plan.created',
    actor: { type: 'user', id: 'U1', name: 'alice' },
    platform: 'slack',
    channelId: 'C1',
    resource: { type: 'environment', id: 'env-abc123' },
    outcome: 'ok',
    details: { preset: 'web-pentest' },
    requestId: 'req-1',
    ...overrides,
  };
}

async function exportCsv(filters: AuditFilters): Promise<{ text: string; count: number }> {
  const csv = await openAuditExport(database.db, filters);
  const chunks: Buffer[] = [];
  for await (const chunk of csv.stream) chunks.push(Buffer.from(chunk as Buffer));
  const done = await csv.done;
  expect(done).toEqual(csv.summary);
  return { text: Buffer.concat(chunks).toString('utf8'), count: done.count };
}

const everything: AuditFilters = { from: new Date('2000-01-01T00:00:00Z'), to: new Date('2100-01-01T00:00:00Z'), types: [] };

/** Parsed as strictly as spreadsheets do: a bare CR or LF outside quotes would end the record. */
function records(text: string): Record<string, string>[] {
  return parse(text, { columns: true, record_delimiter: ['\r\n', '\n', '\r'] }) as Record<string, string>[];
}

/** A cell as stored: the `'` the export adds before a formula removed. */
function unneutralized(cell: string): string {
  return cell.startsWith("'") && TRIGGERS.includes(cell[1] ?? '') ? cell.slice(1) : cell;
}

function storedCells(row: AuditRow): Record<string, string> {
  return {
    id: String(row.id),
    occurred_at: row.occurredAt.toISOString(),
    category: row.category,
    event_type: row.eventType,
    actor_type: row.actorType,
    actor_id: row.actorId,
    actor_name: row.actorName,
    platform: row.platform ?? '',
    channel_id: row.channelId ?? '',
    resource_type: row.resourceType ?? '',
    resource_id: row.resourceId ?? '',
    outcome: row.outcome,
    request_id: row.requestId ?? '',
    hash: row.hash,
  };
}

beforeAll(async () => {
  database = await createTestDatabase();
  const at = (iso: string) => new Date(iso);
  await appendAudit(database.db, clock, entry({ occurredAt: at('2026-11-19T00:00:00.000Z'), eventType: 'command.invoked' }));
  await appendAudit(database.db, clock, entry({ occurredAt: at('2026-11-26T23:59:59.999Z'), eventType: 'deployment.failed', details: { error: 'boom', tools: ['zap', 'nuclei'] } }));
  await appendAudit(database.db, clock, entry({ occurredAt: at('2026-11-27T00:00:00.000Z'), eventType: 'member.role_changed', actor: { type: 'user', id: 'U2', name: 'bob' } }));
  for (const [index, formula] of FORMULAS.entries()) {
    await appendAudit(database.db, clock, entry({
      occurredAt: at(`2026-11-25T10:00:0${index}.000Z`),
      actor: { type: 'user', id: 'U3', name: formula },
      channelId: formula,
      resource: { type: 'environment', id: formula },
      requestId: formula,
      details: { reason: formula, nested: { list: [formula, 1, null, true] }, 'quote"key': 'café ☕ 🚀' },
    }));
  }
  await appendAudit(database.db, clock, entry({ occurredAt: at('2026-11-25T11:00:00.000Z'), actor: { type: 'user', id: 'U3', name: EMBEDDED }, platform: null, channelId: null, resource: null, requestId: null }));
});
afterAll(async () => {
  await database.drop();
});

describe('openAuditExport', () => {
  it('writes the header the README documents, RFC 4180 line ends, one record per entry', async () => {
    const { text, count } = await exportCsv(everything);
    expect(text.startsWith(`${HEADER}\r\n`)).toBe(true);
    expect(CSV_COLUMNS.join(',')).toBe(HEADER);
    expect(count).toBe(3 + FORMULAS.length + 1);
    expect(records(text)).toHaveLength(count);
    expect(text.endsWith('\r\n')).toBe(true);
  });

  it('round-trips through a CSV parser to the stored values', async () => {
    const rows = await database.db.select().from(auditLog).orderBy(asc(auditLog.id));
    const parsed = records((await exportCsv(everything)).text);
    parsed.forEach((record, index) => {
      const row = rows[index]!;
      const { details, ...cells } = Object.fromEntries(Object.entries(record).map(([key, cell]) => [key, unneutralized(cell)]));
      expect(cells).toEqual(storedCells(row));
      expect(JSON.parse(details!)).toEqual(row.details);
    });
  });

  it('neutralises formulas in every column, and only those', async () => {
    const parsed = records((await exportCsv({ ...everything, actorId: 'U3' })).text);
    const byName = new Map(parsed.map((record) => [unneutralized(record.actor_name!), record]));
    for (const formula of FORMULAS.map(sanitizeText)) {
      const record = byName.get(formula)!;
      for (const column of ['actor_name', 'channel_id', 'resource_id', 'request_id'] as const) {
        expect(record[column]).toBe(`'${formula}`);
      }
      expect(JSON.parse(record.details!)).toMatchObject({ reason: formula });
    }
    const embedded = byName.get(EMBEDDED)!;
    expect(embedded.actor_name).toBe(EMBEDDED);
    expect(embedded.platform).toBe('');
    for (const record of parsed) {
      for (const cell of Object.values(record)) expect(TRIGGERS).not.toContain(cell[0]);
      expect(Object.keys(record)).toEqual([...CSV_COLUMNS]);
    }
  });

  it('quotes the embedded quote so no cell escapes into a formula', async () => {
    const { text } = await exportCsv({ ...everything, actorId: 'U3' });
    expect(text).toContain('"alice"",=1+1"');
    expect(text).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(text).toContain(`,'\tleading tab,slack,`);
    expect(text).toContain(`"'\nleading newline"`);
  });

  it('applies the filters: inclusive day bounds, types by category or event, actor', async () => {
    const week = parseAuditFilters('--from 2026-11-19 --to 2026-11-26', { now: clock.now() });
    const inWeek = records((await exportCsv(week)).text);
    expect(inWeek.map((record) => record.occurred_at)).toContain('2026-11-26T23:59:59.999Z');
    expect(inWeek.map((record) => record.occurred_at)).toContain('2026-11-19T00:00:00.000Z');
    expect(inWeek.map((record) => record.occurred_at)).not.toContain('2026-11-27T00:00:00.000Z');
    expect(inWeek).toHaveLength(2 + FORMULAS.length + 1);

    const failed = await exportCsv({ ...everything, types: ['deployment.failed'] });
    expect(records(failed.text).map((record) => record.event_type)).toEqual(['deployment.failed']);
    const team = await exportCsv({ ...everything, types: [...AUDIT_EVENTS.team, 'command.invoked'] });
    expect(records(team.text).map((record) => record.event_type)).toEqual(['command.invoked', 'member.role_changed']);
    const bob = await exportCsv({ ...everything, actorId: 'U2' });
    expect(records(bob.text).map((record) => record.actor_name)).toEqual(['bob']);
  });

  it('writes just the header when nothing matches', async () => {
    const none = await openAuditExport(database.db, { ...everything, actorId: 'nobody' });
    expect(none.summary).toEqual({ count: 0, firstAt: null, lastAt: null });
    let text = '';
    for await (const chunk of none.stream) text += String(chunk);
    expect(text).toBe(`${HEADER}\r\n`);
    expect(await none.done).toEqual({ count: 0, firstAt: null, lastAt: null });
  });

  it('gives the connection back when the reader stops early', async () => {
    const csv = await openAuditExport(database.db, everything);
    csv.stream.destroy();
    await expect(csv.done).rejects.toThrow();
    await expect.poll(() => database.pool.totalCount - database.pool.idleCount).toBe(0);
  });
});

describe('runAuditExport', () => {
  const payload = (filters: AuditFilters): AuditExportPayload => ({
    requestId: 'req-export-1',
    platform: 'slack',
    userId: 'UADMIN',
    userName: 'admin',
    channelId: 'C1',
    filters: filtersToPayload(filters),
  });

  it('uploads the CSV to the requester, says how many entries and their span, and audits the export', async () => {
    const notifier = new RecordingNotifier('slack');
    const filters = parseAuditFilters('--from 2026-11-19 --to 2026-11-26', { now: clock.now() });
    const outcome = await runAuditExport({ db: database.db, clock, notifiers: new Notifiers([notifier]) }, payload(filters));

    expect(outcome).toMatchObject({ filename: 'audit-2026-11-19-to-2026-11-26.csv', count: 10 });
    const [upload] = notifier.ofKind('upload');
    expect(notifier.calls).toHaveLength(1);
    expect(upload).toMatchObject({ userId: 'UADMIN', filename: 'audit-2026-11-19-to-2026-11-26.csv' });
    expect(upload!.comment).toBe(
      'Audit log export: 10 entries from 2026-11-19 00:00:00 UTC to 2026-11-26 23:59:59.999 UTC. ' +
        'Filters: 2026-11-19 00:00:00 UTC to 2026-11-26 23:59:59.999 UTC · all types.',
    );
    expect(records(upload!.content)).toHaveLength(10);

    const [audited] = await database.db.select().from(auditLog).where(eq(auditLog.eventType, 'audit.exported'));
    expect(audited).toMatchObject({
      category: 'audit',
      actorId: 'UADMIN',
      actorName: 'admin',
      platform: 'slack',
      requestId: 'req-export-1',
      outcome: 'ok',
      details: { count: 10, filters: filtersToPayload(filters), firstAt: '2026-11-19T00:00:00.000Z', lastAt: '2026-11-26T23:59:59.999Z' },
    });
    expect(await verifyChain(database.db)).toMatchObject({ intact: true });
  });

  it('says so when nothing matched', async () => {
    const notifier = new RecordingNotifier('slack');
    await runAuditExport({ db: database.db, clock, notifiers: new Notifiers([notifier]) }, payload({ ...everything, actorId: 'nobody' }));
    expect(notifier.ofKind('upload')[0]!.comment).toMatch(/^Audit log export: no entries matched\. Filters: .* · actor: nobody\.$/);
  });

  it('throws when the upload fails, writes no audit.exported entry and keeps no connection', async () => {
    const before = await database.db.$count(auditLog, eq(auditLog.eventType, 'audit.exported'));
    const notifier = new RecordingNotifier('slack');
    notifier.failNext('upload', new Error('files.upload: not_in_channel'));
    await expect(runAuditExport({ db: database.db, clock, notifiers: new Notifiers([notifier]) }, payload(everything))).rejects.toThrow(
      'not_in_channel',
    );
    expect(await database.db.$count(auditLog, eq(auditLog.eventType, 'audit.exported'))).toBe(before);
    await expect.poll(() => database.pool.totalCount - database.pool.idleCount).toBe(0);
  });

  it('refuses a platform that is not configured here', async () => {
    await expect(runAuditExport({ db: database.db, clock, notifiers: new Notifiers([new RecordingNotifier('mattermost')]) }, payload(everything))).rejects.toThrow(
      /slack is not configured/,
    );
  });
});

describe('openAuditExport reads every stored character back through COPY', () => {
  it('keeps backslashes, a literal \\N, tabs, CR, LF and JSON escapes, and quotes hostile filter values', async () => {
    const own = await createTestDatabase();
    try {
      const awkward = ['C:\\labs\\new', '\\N', 'tab\there', 'a\\tb', 'line\r\nbreak\\', '\\\\', 'ünï ☕ 𝔘'];
      for (const [index, text] of awkward.entries()) {
        await appendAudit(own.db, clock, entry({ actor: { type: 'user', id: 'U7', name: text }, requestId: text, details: { text, index } }));
      }
      const rows = await own.db.select().from(auditLog).orderBy(asc(auditLog.id));
      const csv = await openAuditExport(own.db, everything);
      let text = '';
      for await (const chunk of csv.stream) text += String(chunk);
      const parsed = records(text);
      expect(parsed).toHaveLength(awkward.length);
      parsed.forEach((record, index) => {
        expect(unneutralized(record.actor_name!)).toBe(rows[index]!.actorName);
        expect(record.request_id).toBe(rows[index]!.requestId);
        expect(JSON.parse(record.details!)).toEqual(rows[index]!.details);
      });
      const hostileTypes = ["command.invoked') or ('1'='1" as AuditEventType];
      for (const actorId of ["U7' or '1'='1", 'U7\\', "'; drop table audit_log; --", "\\'; drop table audit_log; --", '$$ or true $$']) {
        const hostile = await openAuditExport(own.db, { ...everything, actorId, types: actorId.startsWith('U7') ? [] : hostileTypes });
        let body = '';
        for await (const chunk of hostile.stream) body += String(chunk);
        expect(body).toBe(`${HEADER}\r\n`);
      }
      expect(await own.db.$count(auditLog)).toBe(awkward.length);
    } finally {
      await own.drop();
    }
  });
});
