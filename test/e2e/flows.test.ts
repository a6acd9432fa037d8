import { parse } from 'csv-parse/sync';
import { and, eq, gte, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_EVENTS } from '../../src/audit/events.js';
import { CSV_COLUMNS } from '../../src/audit/query.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { environments } from '../../src/db/schema/environments.js';
import { members } from '../../src/db/schema/members.js';
import { loadCatalog } from '../../src/domain/presets.js';
import { silentLogger } from '../../src/log.js';
import type { ChatMessage, ChatWorld, WorldPlatform } from '../fakes/chat-world.js';
import { openFlowWorld, type FlowWorld } from '../support/flow-world.js';
import { FAST_SETTINGS } from '../support/services.js';
import { actionIds, envIdIn, type Flow, readable } from '../support/flows.js';

/**
 * The user flows of the product, written once and run against both platforms: the real app (`startApp`: HTTP
 * server, platform adapter, workers, reconciler) with Postgres and Redis, driven as people click in the fake Slack
 * or the fake Mattermost, and read back from what those fakes recorded.
 */
const FLOW_SETTINGS: Record<string, string> = {
  MIN_TTL: FAST_SETTINGS.MIN_TTL!,
  APPROVAL_TIMEOUT: FAST_SETTINGS.APPROVAL_TIMEOUT!,
  LOCAL_PROVISIONER_STEP_MS: FAST_SETTINGS.LOCAL_PROVISIONER_STEP_MS!,
  LOG_LEVEL: 'silent',
  // The first reminder comes 4 s before expiry: time to click Extend even on a busy machine.
  REMINDER_OFFSETS: '4s,1s',
  MAX_ACTIVE_PER_USER: '10',
};

/** How each platform carries the audit CSV into the admin's DM. */
const UPLOAD_STEPS: Record<WorldPlatform, string[]> = {
  slack: ['files.getUploadURLExternal', 'upload', 'files.completeUploadExternal'],
  mattermost: ['POST /api/v4/files', 'POST /api/v4/posts with file_ids'],
};

const CLOCK_TIME = '\\d{2}:\\d{2} UTC';
const SOC_TOOLS = loadCatalog().get('soc-platform').tools.map((tool) => tool.name);

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe.each<WorldPlatform>(['slack', 'mattermost'])('user flows on %s', (platform) => {
  let opened: FlowWorld | undefined;
  let world: ChatWorld;
  let flow: Flow;

  beforeAll(async () => {
    opened = await openFlowWorld(platform, 'flows', {
      settings: FLOW_SETTINGS,
      log: silentLogger,
    });
    ({ world, flow } = opened);
  });

  afterAll(async () => {
    await opened?.close();
  });

  async function envRow(envId: string) {
    const [row] = await world.app.services.db.select().from(environments).where(eq(environments.id, envId));
    return row!;
  }

  it('answers /env help, presets, and an unknown sub-command with its usage', async () => {
    const { alice } = world.people;
    const help = await flow.command(alice, '/env help');
    for (const usage of ['/env request', '/env list', '/env status', '/env extend', '/env destroy', '/audit export']) expect(help.text).toContain(usage);
    const presets = await flow.command(alice, '/env presets');
    for (const preset of ['soc-platform', 'ir-dfir-lab', 'threat-hunting', 'quick-sandbox', 'Velociraptor', 'Wazuh']) expect(presets.text).toContain(preset);
    const unknown = await flow.command(alice, '/env frobnicate', 'invalid');
    expect(unknown.text).toContain('frobnicate');
    expect(unknown.text).toContain('/env request');
  });

  let labId: string;

  it('takes a request to an approval card, an approval, deploy progress in the thread and a ready DM', async () => {
    const { alice, bob, ana } = world.people;
    const request = await flow.command(alice, '/env request soc-platform --ttl 6s --name flows');
    labId = envIdIn(request.text);
    expect(request.text).toContain('An approver has been asked');
    expect(request.sent.reply!.visibleTo).toBe(alice.id);

    const card = await flow.approvalCard(labId);
    const cardText = readable(card.text);
    for (const shown of ['@alice', 'SOC Platform', 'soc-platform', ...SOC_TOOLS, '6s', '≈ $']) expect(cardText).toContain(shown);
    expect(cardText).toMatch(/Active labs of requester\D{0,12}1/);
    expect(card.buttons.map((button) => button.label)).toEqual(['Approve', 'Reject']);

    // Neither a member nor the requester may decide; each is told why, and the card stays as it was.
    await flow.click(bob, card, 'approve', 'denied');
    await flow.shownTo(bob, (text) => /approver/i.test(text), 'why he may not approve');
    expect(actionIds(flow.driver.refresh(card))).toEqual(['approve', 'reject']);

    await flow.click(ana, card, 'approve');
    const decided = await flow.driver.waitFor(() => {
      const now = flow.driver.refresh(card);
      return now.buttons.length === 0 ? now : undefined;
    });
    expect(readable(decided.text)).toMatch(new RegExp(`Approved by @ana at ${CLOCK_TIME}`));
    expect(decided.edits).toBeGreaterThan(0);

    const ready = await flow.dm(alice, (text) => text.includes(labId) && text.includes('is running'), 'the lab ready');
    for (const tool of SOC_TOOLS) expect(ready.text).toMatch(new RegExp(`${escaped(tool)}: https?://\\S+`));
    expect(ready.text).not.toContain('not reported');
    const progress = flow.driver.thread(card).map((message) => readable(message.text)).join('\n');
    for (const tool of SOC_TOOLS) expect(progress).toContain(`${labId}: ${tool} ready`);
    expect((await envRow(labId)).state).toBe('running');
  });

  it('lists and shows the running lab', async () => {
    const { alice } = world.people;
    const list = await flow.command(alice, '/env list');
    expect(list.text).toContain(labId);
    expect(list.text).toMatch(/running/i);
    const status = await flow.command(alice, `/env status ${labId}`);
    for (const shown of [labId, 'alice', 'SOC Platform', ...SOC_TOOLS]) expect(status.text).toContain(shown);
    await flow.command(alice, '/env status env-zzzzzz', 'invalid');
  });

  let reminder: ChatMessage;

  it('reminds the owner by DM, extends by a click, and refuses an extend past the maximum with the limit', async () => {
    const { alice } = world.people;
    reminder = await flow.dm(alice, (text) => text.includes(labId) && text.includes('expires in'), 'a reminder');
    expect(reminder.buttons.map((button) => button.label)).toEqual(['Extend +1h', 'Extend +4h', 'Destroy']);
    const before = (await envRow(labId)).expiresAt!;

    await flow.click(alice, reminder, 'extend1h');
    await flow.shownTo(alice, (text) => text.includes(`Extended`) && text.includes('by 1h'), 'the new expiry');
    expect((await envRow(labId)).expiresAt!.getTime() - before.getTime()).toBe(3600_000);

    const refused = await flow.command(alice, `/env extend ${labId} 3d`, 'invalid');
    expect(refused.text).toContain('maximum lifetime');
    expect(refused.text).toMatch(/You can extend it by up to \S+/);
  });

  it('destroys after a confirmation, and tells the owner', async () => {
    const { alice } = world.people;
    await flow.click(alice, reminder, 'destroy');
    const confirm = await flow.shownTo(alice, (_text, message) => actionIds(message).includes('destroyConfirm'), 'the destroy confirmation');
    expect(confirm.buttons.map((button) => button.label)).toEqual(['Destroy now', 'Cancel']);
    expect(readable(confirm.text)).toContain('cannot be undone');
    expect((await envRow(labId)).state).toBe('running');

    await flow.click(alice, confirm, 'destroyConfirm');
    const destroying = await flow.driver.waitFor(() => {
      const now = flow.driver.refresh(confirm);
      return now.buttons.length === 0 ? now : undefined;
    });
    expect(readable(destroying.text)).toContain(`Destroying`);
    await flow.dm(alice, (text) => text.includes(`${labId}`) && text.includes('was destroyed'), 'the lab destroyed');
    expect((await envRow(labId)).state).toBe('destroyed');
  });

  it('rejects with a reason asked in a dialog: the card shows it and the requester is told', async () => {
    const { bob, ana } = world.people;
    const request = await flow.command(bob, '/env request threat-hunting');
    const envId = envIdIn(request.text);
    const card = await flow.approvalCard(envId);
    await flow.clickForDialog(ana, card, 'reject');
    const submitted = await flow.driver.submitDialog(ana, { reason: 'no budget this week' });
    flow.expectAudit(submitted, 'ok', 'the reject reason');

    const decided = await flow.driver.waitFor(() => {
      const now = flow.driver.refresh(card);
      return now.buttons.length === 0 ? now : undefined;
    });
    expect(readable(decided.text)).toMatch(new RegExp(`Rejected by @ana at ${CLOCK_TIME}: no budget this week`));
    expect(decided.edits).toBeGreaterThan(0);
    await flow.dm(bob, (text) => text.includes(envId) && text.includes('no budget this week'), 'the rejection');
    expect((await envRow(envId)).state).toBe('rejected');
  });

  it('destroys a lab when its TTL runs out, and tells the owner', async () => {
    const { bob } = world.people;
    const request = await flow.command(bob, '/env request quick-sandbox --ttl 2s');
    const envId = envIdIn(request.text);
    expect(request.text).toContain('Approved by policy');
    await flow.dm(bob, (text) => text.includes(envId) && text.includes('is running'), 'the sandbox ready');
    await flow.dm(bob, (text) => text.includes(envId) && text.includes('expired and was destroyed'), 'the expiry');
    expect((await envRow(envId)).destroyReason).toBe('expired');
  });

  it('never lets an approver decide on their own request', async () => {
    const { ana } = world.people;
    const envId = envIdIn((await flow.command(ana, '/env request ir-dfir-lab')).text);
    const card = await flow.approvalCard(envId);
    await flow.click(ana, card, 'approve', 'denied');
    await flow.shownTo(ana, (text) => /own request/i.test(text), 'why she may not approve her own request');
    expect(actionIds(flow.driver.refresh(card))).toEqual(['approve', 'reject']);
    expect((await envRow(envId)).state).toBe('pending_approval');
  });

  it('lets an admin change roles and refuses a member', async () => {
    const { alice, bob, adam } = world.people;
    const changed = await flow.command(adam, `/env role ${world.typedMention(bob)} approver`);
    expect(changed.text).toContain('approver');
    const [role] = await world.app.services.db.select().from(members).where(eq(members.userId, bob.id));
    expect(role?.role).toBe('approver');

    const refused = await flow.command(alice, `/env role ${world.typedMention(alice)} admin`, 'denied');
    expect(refused.text).toMatch(/admin/i);
    const [unchanged] = await world.app.services.db.select().from(members).where(eq(members.userId, alice.id));
    expect(unchanged?.role ?? 'member').toBe('member');
  });

  it('names users only as the platform resolves them: nobody it does not know, no bot', async () => {
    const { adam } = world.people;
    const unknown = await flow.command(adam, '/env role @nobody approver', 'invalid');
    expect(unknown.text).toContain('@nobody is not someone this chat knows');
    const bot = await flow.command(adam, `/env role ${world.typedMention(world.bot)} approver`, 'invalid');
    expect(bot.text).toContain(`@${world.bot.name} is a bot`);
    const [row] = await world.app.services.db.select().from(members).where(eq(members.userId, world.bot.id));
    expect(row).toBeUndefined();
  });

  it('exports the audit log as CSV into the admin\'s DM, with filters; refuses members and bad filters', async () => {
    const { alice, adam } = world.people;
    const refused = await flow.command(alice, '/audit export', 'denied');
    expect(refused.text).toMatch(/admin/i);
    const badDate = await flow.command(adam, '/audit export --from 2025-02-30', 'invalid');
    expect(badDate.text).toContain('--from');
    const badType = await flow.command(adam, '/audit export --type nonsense', 'invalid');
    expect(badType.text).toContain('nonsense');

    const today = new Date().toISOString().slice(0, 10);
    const started = await flow.command(adam, `/audit export --from ${today} --type chat --actor ${world.typedMention(alice)}`);
    expect(started.text).toContain('Preparing your export');
    expect(started.text).toContain(`actor: ${alice.id}`);
    const delivered = await flow.driver.waitFor(() => flow.driver.dms(adam).find((message) => message.files.length > 0), 10_000);
    expect(readable(delivered.text)).toMatch(/Audit log export: \d+ entries/);
    const file = delivered.files[0]!;
    expect(file.name).toMatch(/\.csv$/);
    expect(world.uploadSteps()).toEqual(UPLOAD_STEPS[platform]);

    const csv = await world.fileText(file.id);
    expect(csv.split(/\r?\n/)[0]).toBe(CSV_COLUMNS.join(','));
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) {
      expect(row.actor_id).toBe(alice.id);
      expect(AUDIT_EVENTS.chat as readonly string[]).toContain(row.event_type);
      expect(row.platform).toBe(platform);
    }
    const alicesChat = await world.app.services.db
      .select({ id: auditLog.id })
      .from(auditLog)
      .where(and(eq(auditLog.actorId, alice.id), inArray(auditLog.eventType, [...AUDIT_EVENTS.chat]), gte(auditLog.occurredAt, new Date(`${today}T00:00:00Z`))));
    expect(rows).toHaveLength(alicesChat.length);
    // alice's refused export is in it, with its outcome.
    const deniedExport = rows.find((row) => row.outcome === 'denied' && JSON.parse(row.details ?? '{}').text === 'export');
    expect(deniedExport?.event_type).toBe('command.invoked');
  });

  it('writes one audit entry for every command and click, with its outcome and platform', async () => {
    const total = await flow.checkAuditTrail();
    // Nothing else wrote invocation entries: one per request sent, no more.
    expect(total).toBe(flow.sentCount);
  });
});
