import { AUDIT_EVENTS } from '../../src/audit/events.js';
import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { handleInvocation, recordRejectedRequest } from '../../commands/index.js';
import { connectDatabase } from '../../src/db/client.js';
import { auditLog } from '../../src/db/schema/audit.js';
import type { MentionedUser } from '../../src/chat/types.js';
import type { Services } from '../../src/services.js';
import { chatEntry, click, command, commandTestFile, mentioned, users } from '../support/command-kit.js';

const t = commandTestFile();

function capturingLogger() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), text: () => chunks.join('') };
}

async function exportAs(user: (typeof users)[keyof typeof users], text: string, s: Services = t.kit.s, mentions: readonly MentionedUser[] = []) {
  const invocation = command(user, `export ${text}`.trim(), 'audit', mentions);
  const reply = await handleInvocation(s, invocation);
  const entry = await chatEntry(t.database.db, invocation.requestId);
  expect(reply.outcome).toBe(entry.outcome);
  return { reply, entry, invocation };
}

describe('/audit export', () => {
  it('enqueues the export for an admin, with the default last 7 days, and says so', async () => {
    const { reply, entry, invocation } = await exportAs(users.carol, '');
    expect(reply.view.text).toContain('Preparing your export…');
    expect(reply.view.text).toContain('2026-11-19 12:00:00 UTC to 2026-11-26 12:00:00 UTC · all types');
    const job = t.kit.jobs.named('audit-export').find((item) => item.options.jobId === `audit-export-${invocation.requestId}`);
    expect(job?.payload).toEqual({
      requestId: invocation.requestId,
      platform: 'slack',
      userId: users.carol.id,
      userName: 'carol',
      channelId: 'C0LABS',
      door: 'chat',
      filters: { from: '2026-11-19T12:00:00.000Z', to: '2026-11-26T12:00:00.000Z', types: [] },
    });
    expect(entry).toMatchObject({ eventType: 'command.invoked', outcome: 'ok', details: { command: 'audit', subcommand: 'export' } });
  });

  it('passes the filters through: dates inclusive, a category expanded, an actor from a mention', async () => {
    const bob = mentioned(users.bob);
    const { entry, invocation } = await exportAs(users.carol, `--from 2026-11-01 --to 2026-11-26 --type team,plan.approved --actor ${bob.token}`, t.kit.s, [bob.user]);
    const job = t.kit.jobs.named('audit-export').find((item) => item.options.jobId === `audit-export-${invocation.requestId}`);
    expect(job?.payload).toMatchObject({
      filters: {
        from: '2026-11-01T00:00:00.000Z',
        to: '2026-11-26T23:59:59.999Z',
        types: ['plan.approved', ...AUDIT_EVENTS.team],
        actorId: 'U0BOB',
      },
    });
    expect(entry.outcome).toBe('ok');
  });

  it('refuses a non-admin as denied, enqueues nothing, and audits the refusal', async () => {
    const before = t.kit.jobs.named('audit-export').length;
    for (const user of [users.alice, users.bob]) {
      const { reply, entry } = await exportAs(user, '--from 2026-11-01');
      expect(reply.view.text).toContain('Only admins can export the audit log');
      expect(entry).toMatchObject({ outcome: 'denied', actorId: user.id, details: { error: 'forbidden' } });
    }
    expect(t.kit.jobs.named('audit-export')).toHaveLength(before);
  });

  it.each([
    ['--from 2026-11-26 --to 2026-11-01', 'is after --to'],
    ['--type everything', 'Valid types are'],
    ['--from yesterday', 'is not a date or time'],
    ['--from 2026-11-01 --from 2026-11-02', 'given twice'],
    ['--actor @bob', '@bob is not someone this chat knows'],
    ['--verbose yes', 'Unknown option --verbose'],
    ['2026-11-01', 'Unexpected "2026-11-01"'],
  ])('refuses bad filters %j as invalid and enqueues nothing', async (text, words) => {
    const before = t.kit.jobs.named('audit-export').length;
    const { reply, entry } = await exportAs(users.carol, text);
    expect(reply.view.text).toContain(words);
    expect(entry).toMatchObject({ outcome: 'invalid', details: { error: 'invalid_filter' } });
    expect(t.kit.jobs.named('audit-export')).toHaveLength(before);
  });

  it('refuses 10 KB of filter text as invalid', async () => {
    const { entry } = await exportAs(users.carol, `--type ${'team,'.repeat(2100)}team`);
    expect(entry).toMatchObject({ outcome: 'invalid', details: { error: 'text_too_long' } });
  });

  it('answers /audit and /audit help with usage, and an unknown sub-command as invalid', async () => {
    const help = await handleInvocation(t.kit.s, command(users.carol, '', 'audit'));
    expect(help.view.text).toContain('/audit export');
    const unknown = command(users.carol, 'purge', 'audit');
    await handleInvocation(t.kit.s, unknown);
    expect((await chatEntry(t.database.db, unknown.requestId)).outcome).toBe('invalid');
  });
});

describe('failures become replies, never exceptions', () => {
  it('says "temporarily unavailable" when the queue cannot be reached, audited as error', async () => {
    t.kit.jobs.failWith = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    try {
      const { reply, entry, invocation } = await exportAs(users.carol, '');
      expect(reply.view.text).toContain('temporarily unavailable');
      expect(reply.view.text).toContain(invocation.requestId);
      expect(entry).toMatchObject({ outcome: 'error', details: { error: 'unavailable' } });
    } finally {
      t.kit.jobs.failWith = undefined;
    }
  });

  it('hides an unexpected error behind "Something went wrong" with the request id, logging it in full', async () => {
    const { log, text } = capturingLogger();
    t.kit.jobs.failWith = new Error('queue exploded at /srv/secret/path.ts:12');
    try {
      const { reply, entry, invocation } = await exportAs(users.carol, '', { ...t.kit.s, log });
      expect(reply.view.text).toContain(`Something went wrong (request id ${invocation.requestId})`);
      expect(reply.view.text).not.toContain('exploded');
      expect(entry).toMatchObject({ outcome: 'error', details: { error: 'internal' } });
      expect(text()).toContain('queue exploded at /srv/secret/path.ts:12');
      expect(text()).toContain(invocation.requestId);
    } finally {
      t.kit.jobs.failWith = undefined;
    }
  });

  it('answers even when Postgres is unreachable, logging that the audit entry could not be written', async () => {
    const { log, text } = capturingLogger();
    const unreachable = connectDatabase('postgres://postgres@127.0.0.1:1/none', { max: 1 });
    try {
      const s: Services = { ...t.kit.s, db: unreachable.db, log };
      const invocation = click(users.alice, 'extend1h', 'env-7k2p9q');
      const reply = await handleInvocation(s, invocation);
      expect(reply.view.text).toContain('temporarily unavailable');
      expect(text()).toContain('could not write the audit entry');
      expect(await t.database.db.select().from(auditLog).where(eq(auditLog.requestId, invocation.requestId))).toHaveLength(0);
    } finally {
      await unreachable.close();
    }
  });
});

describe('recordRejectedRequest', () => {
  it('audits a verified but malformed request as invalid, with its reason and whatever is known of its sender', async () => {
    await recordRejectedRequest(t.kit.s, {
      platform: 'slack',
      requestId: 'req-malformed-1',
      kind: 'action',
      user: users.dave,
      channelId: 'C0LABS',
      reason: 'block_actions payload without actions',
    });
    expect(await chatEntry(t.database.db, 'req-malformed-1')).toMatchObject({
      eventType: 'action.clicked',
      outcome: 'invalid',
      actorId: users.dave.id,
      platform: 'slack',
      channelId: 'C0LABS',
      details: { kind: 'action', reason: 'block_actions payload without actions', error: 'malformed_request' },
    });
  });

  it('audits a command without a readable user as command.invoked by an unknown actor', async () => {
    await recordRejectedRequest(t.kit.s, { platform: 'mattermost', requestId: 'req-malformed-2', kind: 'command', reason: 'no user_id' });
    expect(await chatEntry(t.database.db, 'req-malformed-2')).toMatchObject({
      eventType: 'command.invoked',
      outcome: 'invalid',
      actorId: 'unknown',
      platform: 'mattermost',
      channelId: null,
    });
  });

  it('does not throw when the entry cannot be written', async () => {
    const unreachable = connectDatabase('postgres://postgres@127.0.0.1:1/none', { max: 1 });
    try {
      await expect(
        recordRejectedRequest({ ...t.kit.s, db: unreachable.db }, { platform: 'slack', requestId: 'req-x', kind: 'dialog', reason: 'bad' }),
      ).resolves.toBeUndefined();
    } finally {
      await unreachable.close();
    }
  });
});
