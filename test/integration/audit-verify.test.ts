import { describe, expect, it } from 'vitest';
import { handleInvocation } from '../../commands/index.js';
import { appendAuditBatch } from '../../src/audit/append-batch.js';
import { latestHead } from '../../src/audit/verify.js';
import { purgeExpiredEntries } from '../../src/audit/retention.js';
import type { AuditEntryInput } from '../../src/audit/types.js';
import { runAuditVerify } from '../../workflows/audit-verify.js';
import { jobIds } from '../../src/queue/jobs.js';
import { eventually, USERS } from '../support/services.js';
import type { RecordedCall } from '../support/recording-notifier.js';
import { tamperWithAuditLog } from '../support/database.js';
import { auditCommand, auditTestFile, runAuditAs, commandEntry, entriesOf, MM_ADMIN, type AuditTestServices } from '../support/audit-services.js';

let t: AuditTestServices;
auditTestFile((services) => (t = services));

function entry(index: number, occurredAt?: Date): AuditEntryInput {
  return {
    eventType: 'command.invoked',
    actor: { type: 'user', id: `U${index % 5}`, name: `user ${index % 5}` },
    platform: 'slack',
    outcome: 'ok',
    details: { command: 'env', text: `status env-${index}` },
    requestId: `seed-${index}`,
    ...(occurredAt ? { occurredAt } : {}),
  };
}

async function seed(count: number): Promise<void> {
  await appendAuditBatch(t.database.db, t.s.clock, Array.from({ length: count }, (_, index) => entry(index)));
}

const dmTo = (userId: string) => (call: RecordedCall) => call.kind === 'dm' && call.userId === userId;

const verifyAs = (text: string) => runAuditAs(t, USERS.admin, text);

describe('/audit verify', () => {
  it('answers "Verifying…" at once, then DMs the number of entries checked and "intact", and audits the check', async () => {
    await seed(40);
    const { invocation, reply, entry: command } = await verifyAs('verify');
    expect(reply.outcome).toBe('ok');
    expect(reply.view.text).toContain('Verifying the audit log…');
    expect(command).toMatchObject({ outcome: 'ok', details: { subcommand: 'verify' } });

    const dm = await t.notifier.waitFor(dmTo(USERS.admin.id), 10_000);
    // The 40 seeded entries and nothing else: the command's own entry is written after the job was enqueued, and
    // the job may or may not see it, so accept either.
    expect(dm.kind === 'dm' && dm.view.text).toMatch(/^Audit log intact: 4[01] entries checked, every hash and link holds\./);
    const [verified] = await eventually(async () => {
      const rows = await entriesOf(t.database, 'audit.verified');
      return rows.length > 0 ? rows : undefined;
    });
    expect(verified).toMatchObject({
      outcome: 'ok',
      actorType: 'user',
      actorId: USERS.admin.id,
      platform: 'slack',
      requestId: invocation.requestId,
      details: { trigger: 'command', intact: true, publishedHead: null },
    });
    expect([40, 41]).toContain(verified!.details.checked);
    expect(t.mattermost.calls).toEqual([]);
  });

  it('checks a published head: still there, then gone after the newest entries are deleted', async () => {
    await seed(30);
    const head = (await latestHead(t.database.db))!;
    const ok = await verifyAs(`verify --head ${head.id}:${head.hash}`);
    expect(ok.reply.view.text).toContain(`the published head #${head.id} is still in the chain`);
    expect(ok.entry.details).toMatchObject({ head: { id: head.id, hash: head.hash } });
    const intact = await t.notifier.waitFor(dmTo(USERS.admin.id), 10_000);
    expect(intact.kind === 'dm' && intact.view.text).toContain(`The published head #${head.id} is still in the chain, unchanged.`);

    t.notifier.clear();
    await tamperWithAuditLog(t.database, `delete from audit_log where id >= ${head.id - 2}`);
    await verifyAs(`verify --head=${head.id}:${head.hash.toUpperCase()}`);
    const broken = await t.notifier.waitFor(dmTo(USERS.admin.id), 10_000);
    expect(broken.kind === 'dm' && broken.view.tone).toBe('danger');
    expect(broken.kind === 'dm' && broken.view.text).toContain(`the first broken entry is #${head.id}`);
    // Entries appended after the deletion (the command's own) may chain on from the survivors; either way the head is gone.
    expect(broken.kind === 'dm' && broken.view.text).toMatch(new RegExp(`the published head #${head.id} is (missing: the newest entries were deleted|not in the chain: it was deleted)`));
    const verified = await eventually(async () => {
      const rows = await entriesOf(t.database, 'audit.verified');
      return rows.find((row) => row.outcome === 'error');
    });
    expect(verified.details).toMatchObject({ intact: false, firstBroken: { id: head.id }, publishedHead: { id: head.id, hash: head.hash } });
  });

  it('names the first broken entry after a deleted middle row', async () => {
    await seed(20);
    await tamperWithAuditLog(t.database, 'delete from audit_log where id = 7');
    await verifyAs('verify');
    const dm = await t.notifier.waitFor(dmTo(USERS.admin.id), 10_000);
    expect(dm.kind === 'dm' && dm.view.text).toContain('the first broken entry is #8');
    expect(dm.kind === 'dm' && dm.view.text).toContain('an entry after #6 was deleted');
  });

  it('refuses non-admins as denied and enqueues nothing', async () => {
    for (const user of [USERS.alice, USERS.approver]) {
      const invocation = auditCommand(user, 'verify');
      const reply = await handleInvocation(t.s, invocation);
      expect(reply.outcome).toBe('denied');
      expect(reply.view.text).toContain('Only admins can verify the audit log.');
      expect(await commandEntry(t.database, invocation.requestId)).toMatchObject({ outcome: 'denied', details: { error: 'forbidden' } });
      expect(await t.queue.has('audit-verify', jobIds.auditVerify(invocation.requestId))).toBe(false);
    }
  });

  it('refuses malformed heads, stray words and unknown flags as invalid, with the usage', async () => {
    const cases: [string, string][] = [
      ['verify --head 12', 'is not a published head'],
      ['verify --head 0:' + 'a'.repeat(64), 'is not a published head'],
      ['verify --head 12:' + 'a'.repeat(63), 'is not a published head'],
      ['verify --head 12:' + 'g'.repeat(64), 'is not a published head'],
      ['verify --head', '--head needs a value'],
      ['verify now', 'verify takes only --head'],
      ['verify --from 2026-11-01', 'is not a flag of this command'],
    ];
    for (const [text, message] of cases) {
      const invocation = auditCommand(USERS.admin, text);
      const reply = await handleInvocation(t.s, invocation);
      expect(reply.outcome, text).toBe('invalid');
      expect(reply.view.text, text).toContain(message);
      expect(reply.view.text, text).toContain('/audit verify [--head <id>:<hash>]');
      expect(await commandEntry(t.database, invocation.requestId)).toMatchObject({ outcome: 'invalid' });
      expect(await t.queue.has('audit-verify', jobIds.auditVerify(invocation.requestId))).toBe(false);
    }
  });
});

describe('the daily check (audit-verify without a requester)', () => {
  it('records an intact chain and bothers nobody', async () => {
    await seed(25);
    await t.queue.add('audit-verify', {}, { jobId: 'daily-intact' });
    const [verified] = await eventually(async () => {
      const rows = await entriesOf(t.database, 'audit.verified');
      return rows.length > 0 ? rows : undefined;
    });
    expect(verified).toMatchObject({
      outcome: 'ok',
      actorType: 'system',
      actorId: 'verifier',
      platform: 'system',
      details: { trigger: 'schedule', checked: 25, intact: true, head: { id: 25 } },
    });
    expect([...t.notifier.calls, ...t.mattermost.calls]).toEqual([]);
  });

  it('on a break, DMs every admin of each configured platform and records the break as an error', async () => {
    await seed(25);
    await tamperWithAuditLog(t.database, `update audit_log set actor_name = 'someone else' where id = 12`);
    await t.queue.add('audit-verify', {}, { jobId: 'daily-broken' });
    const slack = await t.notifier.waitFor(dmTo(USERS.admin.id), 10_000);
    const mattermost = await t.mattermost.waitFor(dmTo(MM_ADMIN.id), 10_000);
    for (const alert of [slack, mattermost]) {
      expect(alert.kind === 'dm' && alert.view.tone).toBe('danger');
      expect(alert.kind === 'dm' && alert.view.text).toContain('found the chain broken at entry #12');
      expect(alert.kind === 'dm' && alert.view.text).toContain('was altered');
    }
    const verified = await eventually(async () => (await entriesOf(t.database, 'audit.verified'))[0]);
    expect(verified).toMatchObject({ outcome: 'error', actorId: 'verifier', details: { intact: false, checked: 12, firstBroken: { id: 12 } } });
    // Admins only: members and approvers get nothing.
    expect(t.notifier.ofKind('dm').map((call) => call.userId)).toEqual([USERS.admin.id]);
    expect(t.mattermost.ofKind('dm').map((call) => call.userId)).toEqual([MM_ADMIN.id]);
  });

  it('throws after trying every admin when an alert cannot be sent, with the break already recorded', async () => {
    await seed(5);
    await tamperWithAuditLog(t.database, 'delete from audit_log where id = 3');
    t.notifier.failNext('dm', new Error('slack is down'));
    await expect(runAuditVerify(t.s, {})).rejects.toThrow('1 admin alert(s) about the broken audit chain could not be sent');
    expect(t.mattermost.ofKind('dm').map((call) => call.userId)).toEqual([MM_ADMIN.id]);
    expect(await entriesOf(t.database, 'audit.verified')).toMatchObject([{ outcome: 'error', details: { firstBroken: { id: 4 } } }]);
  });
});

describe('a published head older than the retention', () => {
  it('is answered with the refusal by DM and recorded as invalid', async () => {
    const old = new Date(Date.now() - 200 * 86_400_000);
    await appendAuditBatch(t.database.db, t.s.clock, [entry(1, old), entry(2, old), entry(3)]);
    const purgedHead = { id: 1, hash: (await t.database.pool.query<{ hash: string }>('select hash from audit_log where id = 1')).rows[0]!.hash };
    await purgeExpiredEntries(t.database.db, t.s.clock, 90);
    const report = await runAuditVerify(t.s, {
      requestedBy: { requestId: 'req-old-head', platform: 'slack', userId: USERS.admin.id, userName: USERS.admin.name, channelId: 'CADMINS' },
      head: purgedHead,
    });
    expect(report.refusal?.code).toBe('head_purged');
    const dm = await t.notifier.waitFor(dmTo(USERS.admin.id));
    expect(dm.kind === 'dm' && dm.view.text).toContain('The published head #1 is older than the retention period');
    expect(dm.kind === 'dm' && dm.view.text).toContain('req-old-head');
    expect(report.entry).toMatchObject({ eventType: 'audit.verified', outcome: 'invalid', details: { error: 'head_purged', publishedHead: purgedHead } });
  });
});
