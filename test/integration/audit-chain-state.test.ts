import { describe, expect, it } from 'vitest';
import { appendAuditBatch } from '../../src/audit/append-batch.js';
import type { AuditEventType } from '../../src/audit/events.js';
import { chainStateNow } from '../../src/audit/page.js';
import { latestHead } from '../../src/audit/verify.js';
import { auditTestFile, type AuditTestServices } from '../support/audit-services.js';

/**
 * The chain's state as the Audit page reads it in one query: the head is the newest entry whatever it is, and the last
 * verification the newest `audit.verified` entry by time, whether it is the head, an older entry, or missing.
 */
let t: AuditTestServices;
auditTestFile((services) => (t = services));

/** Appends entries of these types, one a minute from `start`, or at the times given. */
async function append(types: AuditEventType[], times?: Date[]): Promise<void> {
  const start = new Date('2026-03-01T00:00:00.000Z').getTime();
  await appendAuditBatch(
    t.database.db,
    t.s.clock,
    types.map((eventType, index) => ({
      eventType,
      actor: { type: 'system' as const, id: 'test', name: 'test' },
      outcome: 'ok' as const,
      details: { index },
      occurredAt: times?.[index] ?? new Date(start + index * 60_000),
    })),
  );
}

const state = async () => {
  const read = await chainStateNow(t.database.db);
  return { head: read.head?.id ?? null, verification: read.lastVerification?.id ?? null };
};

describe('the chain state in one query', () => {
  it('is empty on an empty log', async () => {
    expect(await chainStateNow(t.database.db)).toEqual({ head: null, lastVerification: undefined });
  });

  it('has a head and no verification when the chain was never checked', async () => {
    await append(['command.invoked', 'plan.created']);
    expect(await state()).toEqual({ head: 2, verification: null });
    expect((await chainStateNow(t.database.db)).head).toEqual(await latestHead(t.database.db));
  });

  it('finds the head and an older verification, and the head itself when it is the newest verification', async () => {
    await append(['command.invoked', 'audit.verified', 'plan.created', 'audit.verified', 'ttl.extended']);
    expect(await state()).toEqual({ head: 5, verification: 4 });
    const both = await chainStateNow(t.database.db);
    expect(both.lastVerification).toMatchObject({ eventType: 'audit.verified', details: { index: 3 } });
    expect(both.head).toEqual(await latestHead(t.database.db));

    await append(['audit.verified'], [new Date('2026-03-02T00:00:00.000Z')]);
    expect(await state()).toEqual({ head: 6, verification: 6 });
  });

  it('takes the newest verification by time, not by id, and the head by id alone', async () => {
    await append(
      ['audit.verified', 'audit.verified', 'command.invoked'],
      [new Date('2026-03-02T10:00:00.000Z'), new Date('2026-03-02T09:00:00.000Z'), new Date('2026-03-02T08:00:00.000Z')],
    );
    expect(await state()).toEqual({ head: 3, verification: 1 });
  });
});
