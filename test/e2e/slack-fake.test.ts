import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boltLogger } from '../../src/chat/slack/bolt-logger.js';
import { ManualClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { FakeSlack } from '../fakes/slack.js';

/** The fake must refuse what Slack refuses, or tests against it prove nothing. */
let fake: FakeSlack;
let client: webApi.WebClient;
const clock = new ManualClock('2026-11-26T12:00:00.000Z');

beforeAll(async () => {
  fake = await FakeSlack.start({
    clock,
    users: [{ id: 'U0ALICE', name: 'alice' }],
    channels: [{ id: 'C0APPROVALS', name: 'approvals' }],
  });
  client = new webApi.WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, logger: boltLogger(silentLogger) });
});
afterAll(async () => fake.stop());

async function rawCall(method: string, body: string, headers: Record<string, string>): Promise<Record<string, unknown>> {
  const response = await fetch(`${fake.apiUrl}${method}`, { method: 'POST', headers, body });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('fake Slack Web API', () => {
  it('records form-encoded calls with JSON fields decoded and the bearer token checked', async () => {
    const posted = await client.chat.postMessage({ channel: 'C0APPROVALS', text: 'hi', blocks: [{ type: 'divider' }] });
    expect(posted.ok).toBe(true);
    const call = fake.callsTo('chat.postMessage').at(-1)!;
    expect(call).toMatchObject({ contentType: 'application/x-www-form-urlencoded', auth: 'bearer', ok: true });
    expect(call.params).toEqual({ channel: 'C0APPROVALS', text: 'hi', blocks: [{ type: 'divider' }] });
    expect(fake.channelMessages('C0APPROVALS').map((m) => m.text)).toContain('hi');
  });

  it('refuses a missing, wrong or wrong-kind token like Slack', async () => {
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    expect(await rawCall('auth.test', '', form)).toEqual({ ok: false, error: 'not_authed' });
    expect(await rawCall('auth.test', '', { ...form, Authorization: 'Bearer xoxb-wrong' })).toEqual({ ok: false, error: 'invalid_auth' });
    expect(await rawCall('auth.test', '', { ...form, Authorization: `Bearer ${fake.appToken}` })).toEqual({ ok: false, error: 'not_allowed_token_type' });
    await expect(new webApi.WebClient('xoxb-wrong', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } }).auth.test()).rejects.toMatchObject({
      data: { error: 'invalid_auth' },
    });
  });

  it('refuses bodies that are not a form or JSON, and malformed JSON fields', async () => {
    const auth = { Authorization: `Bearer ${fake.botToken}` };
    expect(await rawCall('chat.postMessage', 'channel=C0APPROVALS&text=x', { ...auth, 'Content-Type': 'text/plain' })).toEqual({ ok: false, error: 'invalid_form_data' });
    expect(await rawCall('chat.postMessage', 'channel=C0APPROVALS&blocks=%5B', { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' })).toEqual({
      ok: false,
      error: 'invalid_blocks_format',
    });
  });

  it('answers bad input with Slack errors', async () => {
    await expect(client.chat.postMessage({ channel: 'C0NOWHERE', text: 'x' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    await expect(client.chat.postMessage({ channel: 'C0APPROVALS', text: '' })).rejects.toMatchObject({ data: { error: 'no_text' } });
    await expect(client.chat.update({ channel: 'C0APPROVALS', ts: '1.2', text: 'x' })).rejects.toMatchObject({ data: { error: 'message_not_found' } });
    await expect(client.conversations.open({ users: 'U0NOBODY' })).rejects.toMatchObject({ data: { error: 'user_not_found' } });
    const tooMany = Array.from({ length: 51 }, () => ({ type: 'divider' as const }));
    await expect(client.chat.postMessage({ channel: 'C0APPROVALS', text: 'x', blocks: tooMany })).rejects.toMatchObject({
      data: { error: 'invalid_blocks', errors: ['blocks: at most 50 (got 51)'] },
    });
    await expect(client.apiCall('chat.shout', {})).rejects.toMatchObject({ data: { error: 'unknown_method' } });
  });

  it('lets a trigger id open one modal, within 3 seconds', async () => {
    const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Reject' }, blocks: [] };
    const trigger = fake.issueTrigger('U0ALICE');
    await expect(client.views.open({ trigger_id: trigger, view })).resolves.toMatchObject({ ok: true, view: { id: expect.any(String) } });
    await expect(client.views.open({ trigger_id: trigger, view })).rejects.toMatchObject({ data: { error: 'exchanged_trigger_id' } });
    const late = fake.issueTrigger('U0ALICE');
    clock.advance(3001);
    await expect(client.views.open({ trigger_id: late, view })).rejects.toMatchObject({ data: { error: 'expired_trigger_id' } });
    await expect(client.views.open({ trigger_id: 'made-up', view })).rejects.toMatchObject({ data: { error: 'invalid_trigger_id' } });
  });

  it('takes a response_url 5 times within 30 minutes, JSON only', async () => {
    const url = fake.issueResponseUrl({ userId: 'U0ALICE', channelId: 'C0APPROVALS' });
    const post = (body: unknown, contentType = 'application/json') =>
      fetch(url, { method: 'POST', headers: { 'Content-Type': contentType }, body: JSON.stringify(body) });
    expect((await post({ text: 'x' }, 'application/x-www-form-urlencoded')).status).toBe(400);
    for (let use = 1; use <= 5; use += 1) expect((await post({ text: `reply ${use}` })).status).toBe(200);
    const sixth = await post({ text: 'one too many' });
    expect(sixth.status).toBe(404);
    expect(await sixth.json()).toEqual({ ok: false, error: 'used_url' });
    expect(fake.ephemeralsFor('U0ALICE').map((m) => m.text)).toEqual(['reply 1', 'reply 2', 'reply 3', 'reply 4', 'reply 5']);

    const old = fake.issueResponseUrl({ userId: 'U0ALICE', channelId: 'C0APPROVALS' });
    clock.advance(30 * 60_000 + 1);
    const expired = await fetch(old, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"text":"late"}' });
    expect(expired.status).toBe(404);
    expect(await expired.json()).toEqual({ ok: false, error: 'expired_url' });
  });

  it('replaces and deletes the original message through a response_url', async () => {
    const posted = await client.chat.postMessage({ channel: 'C0APPROVALS', text: 'card' });
    const url = fake.issueResponseUrl({ userId: 'U0ALICE', channelId: 'C0APPROVALS', messageTs: posted.ts! });
    const post = (body: unknown) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ replace_original: true, text: 'decided' })).status).toBe(200);
    const card = fake.state.findMessage('C0APPROVALS', posted.ts!)!;
    expect(card.text).toBe('decided');
    expect(card.history).toEqual([{ text: 'card', blocks: [] }]);
    expect((await post({ delete_original: true })).status).toBe(200);
    expect(fake.state.findMessage('C0APPROVALS', posted.ts!)).toBeUndefined();
  });

  it('serves files.uploadV2 and refuses to complete a file that was not uploaded', async () => {
    const result = await client.files.uploadV2({ channel_id: 'C0APPROVALS', file: Buffer.from('a,b\n1,2\n'), filename: 'audit.csv', title: 'Audit' });
    expect(result.ok).toBe(true);
    const upload = fake.callsTo('upload').at(-1)!;
    expect(upload.params).toMatchObject({ encoding: 'multipart', partName: 'body', size: 8, declaredLength: 8 });
    const fileId = upload.params.fileId as string;
    expect((await fake.uploadedFile(fileId)).toString()).toBe('a,b\n1,2\n');
    expect(fake.channelMessages('C0APPROVALS').at(-1)!.files).toEqual([{ id: fileId, name: 'audit.csv', title: 'Audit', size: 8 }]);

    const pending = await client.files.getUploadURLExternal({ filename: 'x.csv', length: 3 });
    await expect(client.files.completeUploadExternal({ files: [{ id: pending.file_id! }], channel_id: 'C0APPROVALS' })).rejects.toMatchObject({
      data: { error: 'file_not_found' },
    });
    await expect(client.files.getUploadURLExternal({ filename: 'x.csv', length: 0 })).rejects.toMatchObject({ data: { error: 'invalid_arguments' } });
  });

  it('injects failures on demand', async () => {
    fake.failNext('chat.postMessage', 'ratelimited');
    await expect(client.chat.postMessage({ channel: 'C0APPROVALS', text: 'x' })).rejects.toMatchObject({ data: { error: 'ratelimited' } });
    await expect(client.chat.postMessage({ channel: 'C0APPROVALS', text: 'x' })).resolves.toMatchObject({ ok: true });
  });
});
