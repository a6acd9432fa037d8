import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit.js';
import { environments } from '../../src/db/schema/environments.js';
import type { ChatMessage, ChatUser } from '../fakes/mattermost-driver.js';
import type { MattermostHarness } from '../fakes/mattermost-harness.js';
import { commandRequest, send } from '../fakes/mattermost-requests.js';
import type { ChatDriver } from '../fakes/chat-world.js';
import { startMattermostBot } from '../support/mattermost-bot.js';
import { eventually, type TestServices } from '../support/services.js';

/**
 * The Mattermost adapter's own paths through the real HTTP server, commands, workflows and workers: command answers,
 * the reject dialog, follow-ups with buttons sent as DMs, edits of ephemeral answers, and the CSV upload.
 */
let harness: MattermostHarness;
let services: TestServices;
const alice: ChatUser = { id: 'alice00000000000000000000a', name: 'alice' };
const ana: ChatUser = { id: 'ana0000000000000000000000a', name: 'ana' };
let admin: ChatUser;

beforeAll(async () => {
  ({ harness, services, admin } = await startMattermostBot([alice, ana], ana));
});

afterAll(async () => {
  await harness?.close();
  await services?.close();
});

async function envRow(envId: string) {
  const [row] = await services.s.db.select().from(environments).where(eq(environments.id, envId));
  return row!;
}

async function requestLab(preset: string): Promise<string> {
  const { reply } = await harness.driver.command(alice, `/env request ${preset}`);
  return /env-[a-z0-9]{6}/.exec(reply!.text)![0];
}

async function approvalCard(envId: string): Promise<ChatMessage> {
  const card = await harness.driver.waitFor(
    () => harness.driver.channel(harness.config.approvalsChannel).find((message) => message.text.includes(envId) && message.buttons.length > 0),
  );
  await eventually(async () => ((await envRow(envId)).approvalCard ? true : undefined), 10_000, 'the card to be recorded');
  return card;
}

describe('Mattermost interactions, end to end', () => {
  it('answers slash commands with ephemeral JSON, by POST and by GET', async () => {
    const { answer, reply } = await harness.driver.command(alice, '/env help');
    expect(answer).toMatchObject({ status: 200, contentType: 'application/json', json: { response_type: 'ephemeral', skip_slack_parsing: true } });
    expect(reply!.text).toContain('/env request');
    const viaGet = await send(
      harness.baseUrl,
      commandRequest({ method: 'G', token: harness.config.commandTokens[1]!, userId: alice.id, userName: 'alice', channelId: 'town', teamId: harness.seed.teamId, command: '/audit', text: 'export' }),
    );
    expect(viaGet).toMatchObject({ status: 200, contentType: 'application/json' });
    expect((viaGet.json as { text: string; props: { attachments: { text?: string }[] } }).props.attachments[0]!.text).toMatch(/admin/i);
    const [entry] = await services.s.db.select().from(auditLog).where(eq(auditLog.requestId, viaGet.requestId!));
    expect(entry).toMatchObject({ eventType: 'command.invoked', platform: 'mattermost', actorId: alice.id, outcome: 'denied' });
  });

  it('rejects through the dialog: field errors keep it open, a valid reason closes it and updates the card', async () => {
    const envId = await requestLab('soc-platform');
    const card = await approvalCard(envId);
    const click = await harness.driver.click(ana, card, 'reject');
    expect(click.answer.status).toBe(200);
    expect(click.reply?.text).toBeUndefined();
    const dialog = harness.driver.dialogFor(ana)!;
    expect(dialog).toMatchObject({ url: `${harness.baseUrl}/mattermost/dialogs`, dialog: { callback_id: 'rejectReason' } });
    expect(dialog.dialog.elements![0]).toMatchObject({ name: 'reason', type: 'textarea' });

    const tooShort = await harness.driver.submitDialog(ana, { reason: 'no' }, { channelId: card.channelId });
    expect(tooShort.answer).toMatchObject({ status: 200, contentType: 'application/json' });
    expect((tooShort.answer.json as { errors: { reason: string } }).errors.reason).toContain('at least 3 characters');
    expect((await envRow(envId)).state).toBe('pending_approval');

    const done = await harness.driver.submitDialog(ana, { reason: 'Use the shared SOC lab instead' }, { channelId: card.channelId });
    expect(done.answer).toMatchObject({ status: 200, json: {} });
    expect((await envRow(envId)).state).toBe('rejected');
    const edited = await harness.driver.waitFor(() => {
      const current = harness.driver.toMessage(harness.fake.store.posts.get(card.id)!);
      return current.text.includes('Rejected by @ana') ? current : undefined;
    });
    expect(edited.text).toContain('Use the shared SOC lab instead');
    expect(edited.buttons).toEqual([]);
    await harness.driver.waitFor(() => harness.driver.dms(alice).find((message) => message.text.includes('Use the shared SOC lab instead')));
    const entries = await services.s.db.select().from(auditLog).where(eq(auditLog.eventType, 'plan.rejected'));
    expect(entries.filter((entry) => entry.resourceId === envId)).toHaveLength(1);
  });

  it('tells the user to click again when the dialog cannot open in time', async () => {
    const envId = await requestLab('soc-platform');
    const card = await approvalCard(envId);
    harness.fake.failNext('POST', /\/actions\/dialogs\/open$/, 400);
    const click = await harness.driver.click(ana, card, 'reject');
    expect(click.reply?.text).toContain('could not be opened in time');
    expect((await envRow(envId)).state).toBe('pending_approval');
  });

  it('runs a lab and destroys it from its DM: the confirmation comes as a DM, and "Destroy now" replaces it', async () => {
    const envId = await requestLab('quick-sandbox');
    const ready = await harness.driver.waitFor(
      () => harness.driver.dms(alice).find((message) => message.text.includes(envId) && message.buttons.some((button) => button.label === 'Destroy')),
      20_000,
    );
    const click = await harness.driver.click(alice, ready, 'destroy');
    expect(click.answer.status).toBe(200);
    // Clicked in the DM: the confirmation arrives right there, so no extra ephemeral pointer.
    expect(click.reply?.text).toBeUndefined();
    const confirmation = harness.driver.dms(alice).find((message) => message.buttons.some((button) => button.label === 'Destroy now' && button.value === envId))!;
    expect(confirmation).toBeDefined();
    expect((await envRow(envId)).state).toBe('running');

    const confirmed = await harness.driver.click(alice, confirmation, 'destroyConfirm');
    expect(confirmed.answer.json).toHaveProperty('update');
    const replaced = harness.driver.toMessage(harness.fake.store.posts.get(confirmation.id)!);
    expect(replaced.buttons).toEqual([]);
    expect(replaced.text).toMatch(/Destroying/i);
    await eventually(async () => ((await envRow(envId)).state === 'destroyed' ? true : undefined), 20_000, `${envId} destroyed`);
  });

  it('edits an ephemeral command answer in place when its button is clicked', async () => {
    const envId = await requestLab('quick-sandbox');
    await eventually(async () => ((await envRow(envId)).state === 'running' ? true : undefined), 20_000, `${envId} running`);
    const { reply } = await harness.driver.command(alice, `/env destroy ${envId}`);
    expect(reply!.buttons.map((button) => button.label)).toEqual(['Destroy now', 'Cancel']);
    const cancelled = await harness.driver.click(alice, reply!, 'destroyCancel');
    expect(cancelled.answer.json).toHaveProperty('update');
    const after = harness.driver.ephemerals(alice).find((message) => message.id === reply!.id)!;
    expect(after.buttons).toEqual([]);
    expect((await envRow(envId)).state).toBe('running');
  });

  it('uploads the audit export CSV into the admin\'s DM', async () => {
    const { answer } = await harness.driver.command(admin, '/audit export');
    expect(answer.status).toBe(200);
    const upload = await harness.driver.waitFor(() => harness.driver.dms(admin).find((message) => message.files.length > 0), 20_000);
    const [file] = upload.files;
    expect(file!.name).toMatch(/\.csv$/);
    const content = harness.driver.fileText(file!.id);
    expect(content.split(/\r?\n/)[0]).toBe('id,occurred_at,category,event_type,actor_type,actor_id,actor_name,platform,channel_id,resource_type,resource_id,outcome,details,request_id,hash');
    expect(content).toContain('mattermost');
  });

  it('drives a whole approval through the platform-neutral driver interface', async () => {
    const driver: ChatDriver = harness.driver;
    const requested = await driver.command(alice, '/env request soc-platform --ttl 1h');
    const envId = /env-[a-z0-9]{6}/.exec(requested.reply!.text)![0];
    const card = await driver.waitFor(() => driver.channel(harness.config.approvalsChannel).find((message) => message.text.includes(envId) && message.buttons.length > 0));
    await eventually(async () => ((await envRow(envId)).approvalCard ? true : undefined), 10_000, 'the card to be recorded');
    expect(card.buttons.map((button) => [button.actionId, button.value])).toEqual([['approve', envId], ['reject', envId]]);
    const approved = await driver.click(ana, card, 'approve');
    expect(approved.status).toBe(200);
    const ready = await driver.waitFor(() => driver.dms(alice).find((message) => message.text.includes(envId) && message.buttons.some((button) => button.actionId === 'extend1h')), 20_000);
    expect(driver.refresh(card)).toMatchObject({ buttons: [], edits: 1 });
    expect(driver.thread(card).map((message) => message.text).join('\n')).toContain(envId);
    const extended = await driver.click(alice, ready, 'extend1h');
    expect(extended.reply!.text).toContain(envId);
    const transcript = driver.transcript().join('\n');
    expect(transcript).toContain('> alice typed: /env request soc-platform --ttl 1h');
    expect(transcript).toContain('> ana clicked Approve');
    expect(transcript).toContain('[DM with @alice]');
  });
});
