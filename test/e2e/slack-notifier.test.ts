import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { View } from '../../blocks/view.js';
import { createSlackClient, SlackNotifier } from '../../src/chat/slack/notifier.js';
import type { SlackConfig } from '../../src/config.js';
import { AppError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { FakeSlack } from '../fakes/slack.js';

let fake: FakeSlack;
let notifier: SlackNotifier;
let spoolDir: string;

const view = (text: string): View => ({ text, blocks: [{ kind: 'text', text: `*${text}*` }] });

beforeAll(async () => {
  fake = await FakeSlack.start({
    users: [
      { id: 'U0ALICE', name: 'alice', email: 'Alice@Example.test' },
      { id: 'U0BOB', name: 'bob' },
      { id: 'U0ALINA', name: 'alina', realName: 'Alina Petrova' },
      { id: 'U0ROBOT', name: 'alarm-bot', isBot: true, email: 'alarm@example.test' },
    ],
    channels: [{ id: 'C0APPROVALS', name: 'approvals' }],
  });
  spoolDir = await mkdtemp(join(tmpdir(), 'slack-notifier-test-'));
  const config: SlackConfig = {
    signingSecret: 'secret',
    botToken: fake.botToken,
    appToken: undefined,
    apiUrl: fake.apiUrl,
    approvalsChannel: 'C0APPROVALS',
    auditChannel: undefined,
  };
  notifier = new SlackNotifier(createSlackClient(config, { log: silentLogger, retryConfig: { retries: 0 } }), { tempDir: spoolDir });
});
afterAll(async () => {
  await fake.stop();
  await rm(spoolDir, { recursive: true, force: true });
});

describe('Slack notifier', () => {
  it('posts, edits in place and replies in the thread', async () => {
    const card = await notifier.post('C0APPROVALS', view('Plan env-aaaaaa'));
    expect(card).toEqual({ platform: 'slack', channelId: 'C0APPROVALS', messageId: expect.stringMatching(/^\d+\.\d{6}$/) });
    await notifier.update(card, view('Approved'));
    const progress = await notifier.reply(card, view('Elastic deployed'));
    expect(progress.channelId).toBe('C0APPROVALS');

    const [stored] = fake.channelMessages('C0APPROVALS').filter((m) => m.ts === card.messageId);
    expect(stored).toMatchObject({ text: 'Approved', history: [{ text: 'Plan env-aaaaaa' }] });
    expect(fake.thread('C0APPROVALS', card.messageId).map((m) => m.text)).toEqual(['Elastic deployed']);
    const post = fake.callsTo('chat.postMessage').at(-1)!;
    expect(post.params).toMatchObject({ thread_ts: card.messageId, text: 'Elastic deployed', blocks: [{ type: 'section' }] });
  });

  it('finds the person with an email through users.lookupByEmail, in any case; nobody for users_not_found or a bot', async () => {
    expect(await notifier.findUserByEmail('alice@example.test')).toEqual({ id: 'U0ALICE', name: 'alice', realName: 'alice' });
    expect(fake.callsTo('users.lookupByEmail').at(-1)!.params).toMatchObject({ email: 'alice@example.test' });
    expect(await notifier.findUserByEmail('nobody@example.test')).toBeUndefined();
    expect(await notifier.findUserByEmail('alarm@example.test')).toBeUndefined();
  });

  it('says to reinstall the app when the token lacks users:read.email', async () => {
    fake.failNext('users.lookupByEmail', 'missing_scope');
    const refused = await notifier.findUserByEmail('alice@example.test').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).hint).toContain('users:read.email');
    expect((refused as AppError).hint).toContain('reinstall');
  });

  it('searches people by handle or real name through users.list, page by page, bots left out', async () => {
    expect(await notifier.searchUsers('ali', 20)).toEqual([
      { id: 'U0ALICE', name: 'alice', realName: 'alice' },
      { id: 'U0ALINA', name: 'alina', realName: 'Alina Petrova' },
    ]);
    expect(await notifier.searchUsers('petrova', 20)).toEqual([{ id: 'U0ALINA', name: 'alina', realName: 'Alina Petrova' }]);
    expect(await notifier.searchUsers('ali', 1)).toHaveLength(1);
    expect(await notifier.searchUsers('alarm', 20)).toEqual([]);
    expect(fake.callsTo('users.list').length).toBeGreaterThan(0);
  });

  it('DMs a user, opening the DM channel once', async () => {
    const opensBefore = fake.callsTo('conversations.open').length;
    await notifier.dm('U0BOB', view('Your lab is ready'));
    await notifier.dm('U0BOB', view('Your lab expires in 1h'));
    expect(fake.callsTo('conversations.open').length - opensBefore).toBe(1);
    expect(fake.dmMessages('U0BOB').map((m) => m.text)).toEqual(['Your lab is ready', 'Your lab expires in 1h']);
  });

  it('uploads a stream of unknown length into the DM through a spool file it removes afterwards', async () => {
    const csv = 'id,occurred_at\n1,2026-11-26T12:00:00.000Z\n';
    await notifier.upload('U0ALICE', { filename: 'audit.csv', title: 'Audit log', comment: 'Your export', content: Readable.from([csv.slice(0, 5), csv.slice(5)]) });
    const [message] = fake.dmMessages('U0ALICE');
    expect(message).toMatchObject({ text: 'Your export', source: 'files.completeUploadExternal' });
    expect((await fake.uploadedFile(message!.files[0]!.id)).toString()).toBe(csv);
    expect(fake.callsTo('files.getUploadURLExternal').at(-1)!.params).toMatchObject({ filename: 'audit.csv', length: String(Buffer.byteLength(csv)) });
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it('refuses an empty file before asking Slack for an upload URL, and leaves no spool file', async () => {
    const asked = fake.callsTo('files.getUploadURLExternal').length;
    await expect(notifier.upload('U0ALICE', { filename: 'empty.csv', title: 'Empty', comment: 'empty', content: Readable.from([]) })).rejects.toThrow(/empty/);
    expect(fake.callsTo('files.getUploadURLExternal')).toHaveLength(asked);
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it('fails the upload, for a retry, when the upload URL refuses the bytes', async () => {
    const before = fake.dmMessages('U0ALICE').length;
    fake.failNext('upload', 'internal_error', 500);
    await expect(notifier.upload('U0ALICE', { filename: 'a.csv', title: 'A', comment: 'refused', content: Readable.from(['abc']) })).rejects.toMatchObject({
      code: 'unavailable',
      retry: true,
    });
    expect(fake.dmMessages('U0ALICE')).toHaveLength(before);
  });

  it('keeps memory flat while uploading a large export', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    // 256 MiB: V8 collects Buffers lazily (tens of MiB may linger), so "flat" is judged against the file's size.
    const chunks = 4096;
    let peak = 0;
    const baseline = process.memoryUsage();
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peak = Math.max(peak, now.heapUsed + now.arrayBuffers - baseline.heapUsed - baseline.arrayBuffers);
    }, 5);
    try {
      await notifier.upload('U0ALICE', {
        filename: 'big.csv',
        title: 'Big',
        comment: 'big',
        content: Readable.from((function* () { for (let index = 0; index < chunks; index += 1) yield chunk; })()),
      });
    } finally {
      clearInterval(sampler);
    }
    const upload = fake.callsTo('upload').at(-1)!;
    expect(upload.params.size).toBe(chunk.length * chunks);
    expect(peak).toBeLessThan((chunk.length * chunks) / 2);
  });

  it('turns Slack refusals into non-retryable errors and outages into retryable ones', async () => {
    const refused = notifier.post('C0NOWHERE', view('x'));
    await expect(refused).rejects.toBeInstanceOf(AppError);
    await expect(refused).rejects.toMatchObject({ code: 'internal', retry: false, message: 'Slack refused chat.postMessage: channel_not_found.' });

    fake.failNext('chat.postMessage', 'ratelimited');
    await expect(notifier.post('C0APPROVALS', view('x'))).rejects.toMatchObject({ code: 'unavailable', retry: true });
    fake.failNext('chat.update', 'internal_error', 500);
    await expect(notifier.update({ platform: 'slack', channelId: 'C0APPROVALS', messageId: '1.1' }, view('x'))).rejects.toMatchObject({
      code: 'unavailable',
      retry: true,
    });
    fake.failNext('conversations.open', 'fatal_error');
    await expect(notifier.dm('U0NEWCOMER', view('x'))).rejects.toMatchObject({ retry: true });
  });
});
