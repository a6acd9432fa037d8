import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renderMattermostMessage } from '../../blocks/mattermost.js';
import type { View } from '../../blocks/view.js';
import { MattermostClient } from '../../src/chat/mattermost/client.js';
import { MattermostNotifier } from '../../src/chat/mattermost/notifier.js';
import { signActionContext, verifyActionContext } from '../../src/chat/mattermost/signing.js';
import { ManualClock } from '../../src/clock.js';
import { AppError } from '../../src/errors.js';
import { FakeMattermost, type FakeMattermostSetup } from '../fakes/mattermost.js';

const SECRET = 'notifier-test-secret';
const clock = new ManualClock();
let fake: FakeMattermost;
let seed: FakeMattermostSetup;

function notifierWith(token: string): MattermostNotifier {
  const client = new MattermostClient(fake.url, token, 2000);
  return new MattermostNotifier(client, (view) =>
    renderMattermostMessage(view, {
      actionUrl: 'http://bot.test/mattermost/actions',
      contextFor: (button) => signActionContext(SECRET, button, clock),
    }),
  );
}

const card: View = {
  text: 'Lab request env-7k2p9q',
  tone: 'neutral',
  blocks: [
    { kind: 'header', text: 'Lab request env-7k2p9q' },
    { kind: 'fields', fields: [{ label: 'Preset', value: 'SOC Platform' }] },
    {
      kind: 'actions',
      buttons: [
        { actionId: 'approve', label: 'Approve', style: 'primary', value: 'env-7k2p9q' },
        { actionId: 'reject', label: 'Reject', style: 'danger', value: 'env-7k2p9q' },
      ],
    },
  ],
};
const decided: View = { text: 'Approved', tone: 'good', blocks: [{ kind: 'header', text: 'Lab request env-7k2p9q' }, { kind: 'context', text: 'Approved by *ana*' }] };
const plain: View = { text: 'Deploying elastic…', blocks: [{ kind: 'text', text: 'Deploying *elastic*…' }] };

beforeAll(async () => {
  fake = await FakeMattermost.start();
  seed = fake.seed();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.calls.length = 0;
});

describe('Mattermost notifier against the fake REST API v4', () => {
  it('posts a card with signed buttons (201), edits it without buttons, and replies in its thread', async () => {
    const notifier = notifierWith(seed.botToken);
    const ref = await notifier.post(seed.approvalsChannelId, card);
    expect(ref).toEqual({ platform: 'mattermost', channelId: seed.approvalsChannelId, messageId: expect.stringMatching(/^[a-z0-9]{26}$/) });
    const [create] = fake.callsTo('POST', '/api/v4/posts');
    expect(create).toMatchObject({ status: 201, userId: seed.bot.id });
    const stored = fake.store.posts.get(ref.messageId)!;
    const actions = (stored.props.attachments as { actions: { id: string; integration: { context: unknown } }[] }[])[0]!.actions;
    expect(actions.map((action) => action.id)).toEqual(['approve0', 'reject1']);
    expect(verifyActionContext(SECRET, actions[0]!.integration.context, clock)).toMatchObject({ ok: true, value: { actionId: 'approve' } });

    await notifier.update(ref, decided);
    const [patch] = fake.callsTo('PUT', `/api/v4/posts/${ref.messageId}/patch`);
    expect(patch!.status).toBe(200);
    const attachments = fake.store.posts.get(ref.messageId)!.props.attachments as { actions?: unknown; text?: string }[];
    expect(attachments.some((attachment) => attachment.actions)).toBe(false);
    expect(attachments[0]!.text).toBe('Approved by **ana**');

    const reply = await notifier.reply(ref, plain);
    expect(fake.store.posts.get(reply.messageId)).toMatchObject({ root_id: ref.messageId, channel_id: seed.approvalsChannelId, message: 'Deploying **elastic**…' });
  });

  it('searches people with POST /users/search, leaving bots and deactivated accounts out', async () => {
    const notifier = notifierWith(seed.botToken);
    const zoe = fake.store.addUser({ username: 'zoe.analyst' });
    fake.store.addUser({ username: 'zoebot', isBot: true });
    fake.store.addUser({ username: 'zoe.gone' }).delete_at = Date.now();
    const found = await notifier.searchUsers('zoe', 20);
    expect(found).toEqual([{ id: zoe.id, name: 'zoe.analyst', realName: '' }]);
    expect(fake.callsTo('POST', '/api/v4/users/search')[0]).toMatchObject({ status: 200, body: { term: 'zoe', allow_inactive: false, limit: 20 } });
    expect(await notifier.searchUsers('nobody-like-this', 20)).toEqual([]);
  });

  it('finds the person with an email through GET /users/email/{email}; nobody for a 404, a bot or a deactivated account', async () => {
    const notifier = notifierWith(seed.botToken);
    const yara = fake.store.addUser({ username: 'yara' });
    fake.store.addUser({ username: 'yara.gone' }).delete_at = Date.now();
    expect(await notifier.findUserByEmail('Yara@example.test')).toEqual({ id: yara.id, name: 'yara', realName: '' });
    expect(fake.callsTo('GET', '/api/v4/users/email/Yara%40example.test')[0]).toMatchObject({ status: 200, userId: seed.bot.id });
    expect(await notifier.findUserByEmail('nobody@example.test')).toBeUndefined();
    expect(await notifier.findUserByEmail('yara.gone@example.test')).toBeUndefined();
    expect(await notifier.findUserByEmail(`${seed.bot.username}@example.test`)).toBeUndefined();
  });

  it('names the setting to turn on when Mattermost hides email addresses from the bot (403)', async () => {
    const notifier = notifierWith(seed.botToken);
    fake.store.showEmailAddress = false;
    try {
      const refused = await notifier.findUserByEmail('sysadmin@example.test').catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(AppError);
      expect((refused as AppError).hint).toContain('ShowEmailAddress');
      // A system admin still sees addresses, as on a real server.
      expect(await notifierWith(seed.adminToken).findUserByEmail('sysadmin@example.test')).toMatchObject({ name: 'sysadmin' });
    } finally {
      fake.store.showEmailAddress = true;
    }
  });

  it('opens a DM once per user (bot id from users/me, asked once) and posts there', async () => {
    const notifier = notifierWith(seed.botToken);
    const carol = fake.store.addUser({ username: 'carol' });
    const first = await notifier.dm(carol.id, plain);
    const second = await notifier.dm(carol.id, plain);
    expect(first.channelId).toBe(second.channelId);
    expect(fake.callsTo('GET', '/api/v4/users/me')).toHaveLength(1);
    const direct = fake.callsTo('POST', '/api/v4/channels/direct');
    expect(direct).toHaveLength(1);
    expect(direct[0]).toMatchObject({ status: 201, body: [seed.bot.id, carol.id] });
    expect(fake.store.channels.get(first.channelId)).toMatchObject({ type: 'D' });
  });

  it('uploads a streamed file into the DM (channel_id first, multipart), posts it, and leaves no temp file', async () => {
    const notifier = notifierWith(seed.botToken);
    const dave = fake.store.addUser({ username: 'dave' });
    const rows = Array.from({ length: 20_000 }, (_, index) => `${index},"row ${index}"\n`);
    const before = (await readdir(tmpdir())).filter((name) => name.startsWith('aithroyz-mm-upload-'));
    await notifier.upload(dave.id, {
      filename: 'audit-2026-11-26.csv',
      title: 'Audit export',
      comment: 'Your *audit export*: 20,000 entries.',
      content: Readable.from(rows),
    });
    const [upload] = fake.callsTo('POST', '/api/v4/files');
    expect(upload).toMatchObject({ status: 201 });
    expect(Object.keys(upload!.body as object)).toEqual(['channel_id', 'files']);
    const channel = fake.store.findDirectChannel(seed.bot.id, dave.id)!;
    const post = fake.store.postList(channel.id).at(-1)!;
    expect(post.message).toBe('Your **audit export**: 20,000 entries.');
    const file = fake.store.files.get(post.file_ids[0]!)!;
    expect(file).toMatchObject({ name: 'audit-2026-11-26.csv', channel_id: channel.id, post_id: post.id });
    expect(file.content.toString('utf8')).toBe(rows.join(''));
    const after = (await readdir(tmpdir())).filter((name) => name.startsWith('aithroyz-mm-upload-'));
    expect(after).toEqual(before);
  });

  it('turns a refused token into a non-retryable AppError and a server error into a retryable one', async () => {
    const refused = await notifierWith('not-a-token').post(seed.approvalsChannelId, plain).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'mattermost_api', retry: false });
    expect((refused as Error).message).toContain('Invalid or expired session');
    expect(fake.calls.at(-1)).toMatchObject({ status: 401, userId: undefined });

    fake.failNext('POST', /^\/api\/v4\/posts$/, 503);
    const failed = await notifierWith(seed.botToken).post(seed.approvalsChannelId, plain).catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: 'mattermost_api', retry: true });
  });

  it('cannot post where the bot is not a member (403 from the server)', async () => {
    const closed = fake.store.addChannel({ name: 'private-room', teamId: seed.teamId, type: 'P', members: [seed.admin.id] });
    const error = await notifierWith(seed.botToken).post(closed.id, plain).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'mattermost_api', retry: false });
    expect(fake.calls.at(-1)!.status).toBe(403);
  });
});

describe('the fake Mattermost speaks the protocol', () => {
  async function call(path: string, init: RequestInit = {}) {
    const response = await fetch(`${fake.url}${path}`, init);
    return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
  }
  const bearer = () => ({ Authorization: `Bearer ${seed.botToken}`, 'Content-Type': 'application/json' });

  it('refuses a missing or wrong token with 401 and Mattermost\'s error JSON, exactly application/json', async () => {
    const attempts: Record<string, string>[] = [{}, { Authorization: 'Bearer nope' }, { Authorization: seed.botToken }];
    for (const headers of attempts) {
      const answer = await call('/api/v4/users/me', { headers });
      expect(answer).toMatchObject({ status: 401, type: 'application/json', body: { id: 'api.context.session_expired.app_error', status_code: 401 } });
    }
    expect((await call('/api/v4/users/me', { headers: { Authorization: `BEARER ${seed.botToken}` } })).status).toBe(200);
  });

  it('answers with Mattermost\'s status codes', async () => {
    const created = await call('/api/v4/posts', { method: 'POST', headers: bearer(), body: JSON.stringify({ channel_id: seed.approvalsChannelId, message: 'hi' }) });
    expect(created).toMatchObject({ status: 201, type: 'application/json' });
    const tooLong = await call('/api/v4/posts', { method: 'POST', headers: bearer(), body: JSON.stringify({ channel_id: seed.approvalsChannelId, message: 'x'.repeat(16_384) }) });
    expect(tooLong).toMatchObject({ status: 400, body: { status_code: 400 } });
    expect((await call('/api/v4/posts/ephemeral', { method: 'POST', headers: bearer(), body: JSON.stringify({ user_id: seed.admin.id, post: { channel_id: seed.approvalsChannelId, message: 'psst' } }) })).status).toBe(403);
    expect((await call(`/api/v4/users/${'x'.repeat(26)}`, { headers: bearer() })).status).toBe(404);
    expect((await call('/api/v4/bots', { headers: bearer() })).status).toBe(403);
    expect((await call('/api/v4/posts', { method: 'POST', headers: bearer(), body: '{not json' })).status).toBe(400);
  });

  it('opens a dialog only with a fresh trigger id (3 s)', async () => {
    let now = 1_000_000;
    const timed = await FakeMattermost.start({ now: () => now });
    try {
      const world = timed.seed();
      const trigger = timed.store.issueTrigger(world.admin.id);
      const open = (triggerId: string) =>
        fetch(`${timed.url}/api/v4/actions/dialogs/open`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${world.botToken}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ trigger_id: triggerId, url: 'http://bot.test/mattermost/dialogs', dialog: { title: 'Reject', callback_id: 'rejectReason', elements: [] } }),
        });
      expect((await open('made-up')).status).toBe(400);
      now += 2999;
      expect((await open(trigger)).status).toBe(200);
      now += 2;
      const expired = await open(trigger);
      expect(expired.status).toBe(400);
      expect(((await expired.json()) as { id: string }).id).toBe('interactive_message.decode_trigger_id.expired');
      expect(timed.store.dialogs).toHaveLength(1);
    } finally {
      await timed.close();
    }
  });
});
