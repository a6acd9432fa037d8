import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit.js';
import { environments } from '../../src/db/schema/environments.js';
import { invitations } from '../../src/db/schema/invitations.js';
import { members } from '../../src/db/schema/members.js';
import { silentLogger } from '../../src/log.js';
import type { ChatMessage, ChatUser, ChatWorld, WorldPlatform } from '../fakes/chat-world.js';
import { openFlowWorld, type FlowWorld } from '../support/flow-world.js';
import { actionIds, envIdIn, type Flow, readable } from '../support/flows.js';
import { FAST_SETTINGS } from '../support/services.js';

/**
 * The team as people live it, on the fake Slack and the fake Mattermost alike: the whole bot (`startApp`) with
 * Postgres and Redis, driven by typed commands and clicks. An invitation goes out by DM, is accepted with its button,
 * and the new approver decides a plan; an unanswered one expires after a short INVITATION_TTL; a removed member's
 * reminder buttons are refused while their lab keeps running.
 */
const TEAM_SETTINGS: Record<string, string> = {
  MIN_TTL: FAST_SETTINGS.MIN_TTL!,
  APPROVAL_TIMEOUT: FAST_SETTINGS.APPROVAL_TIMEOUT!,
  LOCAL_PROVISIONER_STEP_MS: FAST_SETTINGS.LOCAL_PROVISIONER_STEP_MS!,
  LOG_LEVEL: 'silent',
  MAX_ACTIVE_PER_USER: '10',
  // A reminder soon after a lab starts, long before it expires.
  REMINDER_OFFSETS: '25s',
  INVITATION_TTL: '6s',
};

describe.each<WorldPlatform>(['slack', 'mattermost'])('the team on %s', (platform) => {
  let opened: FlowWorld | undefined;
  let world: ChatWorld;
  let flow: Flow;

  beforeAll(async () => {
    opened = await openFlowWorld(platform, 'team', {
      settings: TEAM_SETTINGS,
      log: silentLogger,
    });
    ({ world, flow } = opened);
  });

  afterAll(async () => {
    await opened?.close();
  });

  const db = () => world.app.services.db;
  const at = (user: ChatUser) => world.typedMention(user);

  async function invitationCard(user: ChatUser): Promise<ChatMessage> {
    return flow.driver.waitFor(() => flow.driver.dms(user).find((message) => readable(message.text).includes('invites you') && message.buttons.length > 0), 10_000);
  }

  async function teamEvents(user: ChatUser, eventType: string) {
    return db()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.eventType, eventType as 'member.invited'), eq(auditLog.resourceId, `${platform}:${user.id}`)));
  }

  it('invites by DM, gives the role on Accept, tells the inviter, and the new approver approves a plan', async () => {
    const { alice, bob, adam } = world.people;
    const refused = await flow.command(bob, `/team invite ${at(alice)} approver`, 'denied');
    expect(refused.text).toContain('Only admins');

    // Only people the platform knows, and no bot, can be invited; each refusal names them.
    const unknown = await flow.command(adam, '/team invite @nobody approver', 'invalid');
    expect(unknown.text).toContain('@nobody is not someone this chat knows');
    const bot = await flow.command(adam, `/team invite ${at(world.bot)}`, 'invalid');
    expect(bot.text).toContain(`@${world.bot.name} is a bot`);
    const typo = await flow.command(adam, '/team promote', 'invalid');
    expect(typo.text).toContain('There is no `/team promote`');

    const invited = await flow.command(adam, `/team invite ${at(bob)} approver`);
    expect(invited.text).toContain('Invited @bob as approver');
    const card = await invitationCard(bob);
    expect(readable(card.text)).toMatch(/@adam invites you to the Aithroyz team as \**approver/);
    expect(card.buttons.map((button) => button.label)).toEqual(['Accept', 'Decline']);
    const [before] = await db().select().from(members).where(eq(members.userId, bob.id));
    expect(before).toBeUndefined();

    // Someone else's click does nothing to it.
    await flow.click(alice, card, 'invitationAccept', 'denied');
    await flow.shownTo(alice, (text) => text.includes('This invitation is for @bob'), 'whose invitation it is');

    await flow.click(bob, card, 'invitationAccept');
    const answered = await flow.driver.waitFor(() => {
      const now = flow.driver.refresh(card);
      return now.buttons.length === 0 ? now : undefined;
    });
    expect(readable(answered.text)).toContain('You accepted');
    await flow.dm(adam, (text) => text.includes('@bob accepted your invitation: they are approver now.'), 'the acceptance');
    const [after] = await db().select().from(members).where(eq(members.userId, bob.id));
    expect(after).toMatchObject({ role: 'approver', addedBy: `${platform}:${adam.id}` });
    expect((await teamEvents(bob, 'member.invitation_accepted')).map((row) => row.outcome)).toEqual(['denied', 'ok']);

    const request = await flow.command(alice, '/env request soc-platform --ttl 1h');
    const envId = envIdIn(request.text);
    const approvalCard = await flow.approvalCard(envId);
    await flow.click(bob, approvalCard, 'approve');
    const decided = await flow.driver.waitFor(() => {
      const now = flow.driver.refresh(approvalCard);
      return now.buttons.length === 0 ? now : undefined;
    });
    expect(readable(decided.text)).toContain('Approved by @bob');

    const list = await flow.command(alice, '/team list');
    expect(list.text).toMatch(/@bob: \**approver\**, added by @adam/);
  });

  it('expires an unanswered invitation after INVITATION_TTL: the card says so, its buttons stop, the inviter is told', async () => {
    const { alice, adam } = world.people;
    await flow.command(adam, `/team invite ${at(alice)} approver`);
    const card = await invitationCard(alice);
    const expired = await flow.driver.waitFor(() => {
      const now = flow.driver.refresh(card);
      return now.buttons.length === 0 ? now : undefined;
    }, 20_000);
    expect(readable(expired.text)).toContain('expired on');
    expect(readable(expired.text)).toContain('without an answer');
    await flow.dm(adam, (text) => text.includes('Your invitation of @alice as approver expired'), 'the expiry');
    if (platform === 'slack') {
      // A Slack client still showing the card as it was sends the click: it is refused.
      await flow.click(alice, card, 'invitationAccept', 'invalid');
      await flow.shownTo(alice, (text) => text.includes('expired on'), 'that the invitation expired');
    }
    const [row] = await db().select().from(invitations).where(eq(invitations.inviteeId, alice.id));
    expect(row!.state).toBe('expired');
    expect(await teamEvents(alice, 'member.invitation_expired')).toHaveLength(1);
    const [member] = await db().select().from(members).where(eq(members.userId, alice.id));
    expect(member?.role ?? 'member').toBe('member');
  });

  it('refuses a removed member every command and reminder button, naming the admin; their lab keeps running', async () => {
    const { alice, adam } = world.people;
    const request = await flow.command(alice, '/env request quick-sandbox --ttl 30s');
    const envId = envIdIn(request.text);
    const reminder = await flow.dm(alice, (text) => text.includes(envId) && text.includes('expires in'), 'a reminder', 20_000);
    expect(actionIds(reminder)).toEqual(['extend1h', 'extend4h', 'destroy']);

    const removed = await flow.command(adam, `/team remove ${at(alice)}`);
    expect(removed.text).toContain('@alice is removed from the team');
    // This lab and the one approved earlier.
    expect(removed.text).toContain('They own 2 active labs: they keep running until expiry');

    for (const actionId of ['extend1h', 'destroy']) {
      await flow.click(alice, reminder, actionId, 'denied');
    }
    const refusal = await flow.shownTo(alice, (text) => text.includes('You were removed from the team'), 'the refusal');
    expect(readable(refusal.text)).toContain('@adam');
    const list = await flow.command(alice, '/env list', 'denied');
    expect(list.text).toContain('You were removed from the team');
    const [lab] = await db().select().from(environments).where(eq(environments.id, envId));
    expect(lab!.state).toBe('running');
    expect(lab!.expiresAt!.getTime() - lab!.runningAt!.getTime()).toBe(30_000);

    const team = await flow.command(adam, '/team list');
    expect(team.text).toMatch(/Removed \(1\)[\s\S]*@alice: was member, removed by @adam/);
  });

  it('writes one audit entry for every command and click, with its outcome and platform', async () => {
    const total = await flow.checkAuditTrail();
    expect(total).toBe(flow.sentCount);
  });
});
