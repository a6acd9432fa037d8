import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { handleInvocation } from '../../commands/index.js';
import { appendAuditBatch } from '../../src/audit/append-batch.js';
import { latestHead } from '../../src/audit/verify.js';
import { runAuditHead } from '../../workflows/audit-head.js';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_HEAD_PATTERN, DEFAULT_RETENTION_PATTERN, DEFAULT_VERIFY_PATTERN, upsertSchedules } from '../../src/queue/schedules.js';
import { eventually, FAST_SETTINGS, TEST_REDIS_URL, USERS } from '../support/services.js';
import type { RecordedCall } from '../support/recording-notifier.js';
import { tamperWithAuditLog } from '../support/database.js';
import { auditCommand, auditTestFile, runAuditAs, entriesOf, MATTERMOST_SETTINGS, MM_MEMBER, type AuditTestServices } from '../support/audit-services.js';

const CHANNELS = { SLACK_AUDIT_CHANNEL: 'CAUDIT', MATTERMOST_AUDIT_CHANNEL: 'mmaudit' };
let t: AuditTestServices;
auditTestFile((services) => (t = services), CHANNELS);

async function seed(count: number): Promise<void> {
  await appendAuditBatch(
    t.database.db,
    t.s.clock,
    Array.from({ length: count }, (_, index) => ({
      eventType: 'command.invoked' as const,
      actor: { type: 'user' as const, id: 'U1', name: 'someone' },
      outcome: 'ok' as const,
      requestId: `seed-${index}`,
    })),
  );
}

const postTo = (channelId: string) => (call: RecordedCall) => call.kind === 'post' && call.channelId === channelId;
const VERIFY_COMMAND = /\/audit verify --head (\d+:[0-9a-f]{64})/;

const headAs = (user: Parameters<typeof runAuditAs>[1], text = 'head', s = t.s) => runAuditAs(t, user, text, s);

describe('/audit head', () => {
  it('posts the newest id and hash with the verify command to each audit channel, and audits it', async () => {
    await seed(12);
    const { reply, entry, invocation } = await headAs(USERS.admin);
    const hash = (await t.database.pool.query<{ hash: string }>('select hash from audit_log where id = 12')).rows[0]!.hash;
    expect(reply.outcome).toBe('ok');
    expect(reply.view.text).toContain(`Published the audit log chain head: entry #12, hash \`${hash}\`.`);
    expect(reply.view.text).toContain('Slack channel `CAUDIT`, Mattermost channel `mmaudit`');
    for (const [notifier, channel] of [[t.notifier, 'CAUDIT'], [t.mattermost, 'mmaudit']] as const) {
      const posts = notifier.ofKind('post');
      expect(posts.map((post) => post.channelId)).toEqual([channel]);
      expect(posts[0]!.view.text).toContain(`entry #12, hash \`${hash}\``);
      expect(VERIFY_COMMAND.exec(posts[0]!.view.text)?.[1]).toBe(`12:${hash}`);
    }
    const [published] = await entriesOf(t.database, 'audit.head_published');
    expect(published).toMatchObject({
      id: 13,
      outcome: 'ok',
      actorId: USERS.admin.id,
      requestId: invocation.requestId,
      resourceType: 'audit_log',
      resourceId: '#12',
      details: { headId: 12, headHash: hash, posted: [{ platform: 'slack', channelId: 'CAUDIT' }, { platform: 'mattermost', channelId: 'mmaudit' }], failed: [] },
    });
    expect(entry).toMatchObject({ outcome: 'ok', resourceId: '#12', details: { subcommand: 'head' } });
  });

  it('gives a head that /audit verify accepts, and that catches the newest rows being deleted', async () => {
    await seed(8);
    await headAs(USERS.admin);
    const posted = t.notifier.ofKind('post')[0]!;
    const head = VERIFY_COMMAND.exec(posted.view.text)![1]!;
    await seed(3);
    t.notifier.clear();

    await handleInvocation(t.s, auditCommand(USERS.admin, `verify --head ${head}`));
    const intact = await t.notifier.waitFor((call) => call.kind === 'dm', 10_000);
    expect(intact.kind === 'dm' && intact.view.text).toContain('The published head #8 is still in the chain, unchanged.');

    t.notifier.clear();
    await tamperWithAuditLog(t.database, 'delete from audit_log where id >= 8');
    await handleInvocation(t.s, auditCommand(USERS.admin, `verify --head ${head}`));
    const broken = await t.notifier.waitFor((call) => call.kind === 'dm', 10_000);
    expect(broken.kind === 'dm' && broken.view.text).toContain('the first broken entry is #8');
    // Entries appended after the deletion (the command's own) may chain on from #7; either way #8 is gone.
    expect(broken.kind === 'dm' && broken.view.text).toMatch(/the published head #8 is (missing: the newest entries were deleted|not in the chain: it was deleted)/);
  });

  it('shows a partial publication as such and records it as an error', async () => {
    await seed(3);
    t.mattermost.failNext('post', new Error('channel not found'));
    const { reply, entry } = await headAs(USERS.admin);
    expect(reply.outcome).toBe('ok');
    expect(reply.view.tone).toBe('warning');
    expect(reply.view.text).toContain('Posted to Slack channel `CAUDIT`.');
    expect(reply.view.text).toContain('Could not post to Mattermost channel `mmaudit`; the details are in the logs.');
    expect(reply.view.text).not.toContain('channel not found');
    expect(entry.outcome).toBe('ok');
    const [published] = await entriesOf(t.database, 'audit.head_published');
    expect(published).toMatchObject({ outcome: 'error', details: { posted: [{ platform: 'slack' }], failed: [{ platform: 'mattermost' }] } });
  });

  it('fails, retryable, when no channel could be reached', async () => {
    await seed(3);
    t.notifier.failNext('post');
    t.mattermost.failNext('post');
    const { reply, entry } = await headAs(USERS.admin);
    expect(reply.outcome).toBe('error');
    expect(reply.view.text).toContain('The chain head could not be posted to any audit channel.');
    expect(entry.details).toMatchObject({ error: 'publish_failed' });
    expect(await entriesOf(t.database, 'audit.head_published')).toMatchObject([{ outcome: 'error', details: { posted: [] } }]);
  });

  it('says so on an empty log and publishes nothing', async () => {
    const { reply } = await headAs(USERS.admin);
    expect(reply).toMatchObject({ outcome: 'ok', view: { text: 'The audit log is empty: there is no chain head to publish yet.' } });
    expect([...t.notifier.calls, ...t.mattermost.calls]).toEqual([]);
    expect(await entriesOf(t.database, 'audit.head_published')).toEqual([]);
  });

  it('refuses non-admins (denied) and stray words (invalid), publishing nothing', async () => {
    await seed(2);
    for (const user of [USERS.alice, USERS.approver, MM_MEMBER]) {
      const { reply, entry } = await headAs(user);
      expect(reply.outcome).toBe('denied');
      expect(reply.view.text).toContain('Only admins can publish the audit chain head.');
      expect(entry).toMatchObject({ outcome: 'denied', actorId: user.id, platform: user.platform });
    }
    const { reply } = await headAs(USERS.admin, 'head now');
    expect(reply.outcome).toBe('invalid');
    expect(reply.view.text).toContain('head takes no arguments');
    expect(reply.view.text).toContain('Usage: `/audit head`');
    expect([...t.notifier.calls, ...t.mattermost.calls]).toEqual([]);
    expect(await entriesOf(t.database, 'audit.head_published')).toEqual([]);
  });

  it('refuses when no audit channel is configured, saying which variables to set', async () => {
    await seed(2);
    const unconfigured = { ...t.s, config: loadConfig({ ...FAST_SETTINGS, ...MATTERMOST_SETTINGS }) };
    const { reply, entry } = await headAs(USERS.admin, 'head', unconfigured);
    expect(reply.outcome).toBe('invalid');
    expect(reply.view.text).toContain('No audit channel is configured');
    expect(reply.view.text).toContain('SLACK_AUDIT_CHANNEL and/or MATTERMOST_AUDIT_CHANNEL');
    expect(entry.details).toMatchObject({ error: 'no_audit_channel' });
  });
});

describe('the daily publication (audit-head job)', () => {
  it('publishes through the workers as the system, to every audit channel', async () => {
    await seed(5);
    await t.queue.add('audit-head', {}, { jobId: 'daily-head' });
    const slack = await t.notifier.waitFor(postTo('CAUDIT'), 10_000);
    await t.mattermost.waitFor(postTo('mmaudit'), 10_000);
    expect(slack.kind === 'post' && slack.view.text).toContain('entry #5');
    const published = await eventually(async () => (await entriesOf(t.database, 'audit.head_published'))[0]);
    expect(published).toMatchObject({ actorType: 'system', actorId: 'publisher', platform: 'system', outcome: 'ok', details: { headId: 5 } });
    expect(await latestHead(t.database.db)).toMatchObject({ id: published.id });
  });

  it('does nothing without an audit channel, and throws (to be retried) when a channel is unreachable', async () => {
    await seed(2);
    expect(await runAuditHead({ ...t.s, config: loadConfig(FAST_SETTINGS) })).toBeNull();
    expect(await entriesOf(t.database, 'audit.head_published')).toEqual([]);
    t.mattermost.failNext('post');
    await expect(runAuditHead(t.s)).rejects.toThrow('the chain head could not be posted to mattermost mmaudit');
    expect(t.notifier.ofKind('post')).toHaveLength(1);
  });

  it('is scheduled daily, after the retention purge and the check', async () => {
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const prefix = `${t.prefix}-schedules`;
    try {
      await upsertSchedules(connection, prefix, { reconcileEveryMs: 60_000 });
      for (const [name, pattern] of [['audit-verify', DEFAULT_VERIFY_PATTERN], ['audit-head', DEFAULT_HEAD_PATTERN]] as const) {
        const queue = new Queue(name, { connection, prefix });
        expect(await queue.getJobScheduler(name)).toMatchObject({ pattern, tz: 'UTC' });
        await queue.obliterate({ force: true });
        await queue.close();
      }
      // Purge, then check what the purge left, then publish a head that was just checked.
      const minuteOfDay = (pattern: string) => Number(pattern.split(' ')[1]) * 60 + Number(pattern.split(' ')[0]);
      expect(minuteOfDay(DEFAULT_RETENTION_PATTERN)).toBeLessThan(minuteOfDay(DEFAULT_VERIFY_PATTERN));
      expect(minuteOfDay(DEFAULT_VERIFY_PATTERN)).toBeLessThan(minuteOfDay(DEFAULT_HEAD_PATTERN));
    } finally {
      const keys = await connection.keys(`${prefix}:*`);
      if (keys.length > 0) await connection.del(...keys);
      connection.disconnect();
    }
  });
});
