import { and, asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { View } from '../../blocks/view.js';
import { handleInvocation } from '../../commands/index.js';
import type { Invocation, MentionedUser } from '../../src/chat/types.js';
import { ManualClock } from '../../src/clock.js';
import { auditLog, type AuditRow } from '../../src/db/schema/audit.js';
import { invitations, type InvitationRow } from '../../src/db/schema/invitations.js';
import { members } from '../../src/db/schema/members.js';
import type { UserRef } from '../../src/domain/users.js';
import type { Services } from '../../src/services.js';
import { runInvitationExpire, runInvitationNotify } from '../../workflows/invitations.js';
import { bootstrapRoles, roleOf } from '../../workflows/roles.js';
import { chatEntry, click, command, envIdIn, markRunning, mentioned, RecordingJobQueue, users, type CommandTestKit } from '../support/command-kit.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { RecordingNotifier } from '../support/recording-notifier.js';
import { buildServices } from '../support/services.js';

/**
 * The team through the core's single entry, on real Postgres: `/team` and its rules, invitations answered from their
 * DM card, expiries, removals, and the membership every command and button is checked against.
 */

interface TeamKit extends CommandTestKit {
  notifier: RecordingNotifier;
  database: TestDatabase;
}

const ROLE_SETTINGS = { ADMINS: `slack:${users.carol.id}`, APPROVERS: `slack:${users.bob.id},slack:${users.erin.id}` };

async function teamKit(settings: Record<string, string> = {}, database?: TestDatabase): Promise<TeamKit> {
  const db = database ?? (await createTestDatabase());
  const clock = new ManualClock('2026-11-26T12:00:00.000Z');
  const jobs = new RecordingJobQueue();
  const notifier = new RecordingNotifier('slack');
  const s = await buildServices({
    db: db.db,
    settings: { ...ROLE_SETTINGS, MAX_ACTIVE_PER_USER: '20', MIN_TTL: '15m', ...settings },
    clock,
    jobs,
    notifiers: [notifier],
  });
  return { s, jobs, clock, notifier, database: db };
}

let open: TeamKit;
let invite: TeamKit;
beforeAll(async () => {
  open = await teamKit();
  invite = await teamKit({ WORKSPACE_ACCESS: 'invite' });
});
afterAll(async () => {
  await open?.database.drop();
  await invite?.database.drop();
});

type Person = UserRef;

async function send(kit: TeamKit, invocation: Invocation) {
  const reply = await handleInvocation(kit.s, invocation);
  const entry = await chatEntry(kit.s.db, invocation.requestId);
  expect(reply.outcome).toBe(entry.outcome);
  return { reply, entry, text: reply.view.text };
}

/** `/team …` typed by `user`; the people it names are resolved as a door would. */
function team(kit: TeamKit, user: Person, text: string, named: readonly Person[] = [], extra: readonly MentionedUser[] = []) {
  return send(kit, command(user, text, 'team', [...named.map((person) => mentioned(person).user), ...extra]));
}

const at = (person: Person) => mentioned(person).token;

async function teamEntries(kit: TeamKit, person: Person, eventType?: string): Promise<AuditRow[]> {
  const rows = await kit.s.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.category, 'team'), eq(auditLog.resourceId, `${person.platform}:${person.id}`)))
    .orderBy(asc(auditLog.id));
  return eventType ? rows.filter((row) => row.eventType === eventType) : rows;
}

async function invitationsOf(kit: TeamKit, person: Person): Promise<InvitationRow[]> {
  return kit.s.db.select().from(invitations).where(eq(invitations.inviteeId, person.id)).orderBy(asc(invitations.invitedAt), asc(invitations.id));
}

/** Runs the invitation notices the workflows queued so far, as the workers would. */
async function deliver(kit: TeamKit): Promise<void> {
  for (const job of kit.jobs.named('invitation-notify').splice(0)) {
    await runInvitationNotify(kit.s, job.payload as Parameters<typeof runInvitationNotify>[1]);
  }
  const remaining = kit.jobs.added.filter((job) => job.name !== 'invitation-notify');
  kit.jobs.added.length = 0;
  kit.jobs.added.push(...remaining);
}

function buttonsOf(view: View): string[] {
  return view.blocks.flatMap((block) => (block.kind === 'actions' ? block.buttons.map((button) => `${button.actionId}:${button.value}`) : []));
}

/** The DM cards `person` got, newest last. */
function cardsOf(kit: TeamKit, person: Person) {
  return kit.notifier.ofKind('dm').filter((call) => call.userId === person.id && call.view.text.includes('invites you'));
}

async function requestLab(kit: TeamKit, owner: Person): Promise<string> {
  const { text, entry } = await send(kit, command(owner, 'request soc-platform'));
  expect(entry.outcome).toBe('ok');
  return envIdIn(text);
}

describe('an invitation, from /team invite to Accept', () => {
  let invitation: InvitationRow;

  it('records the invitation, audits member.invited and DMs the invitee a card with Accept and Decline; the role waits', async () => {
    const { text, entry } = await team(open, users.carol, `invite ${at(users.dave)} approver`, [users.dave]);
    expect(entry).toMatchObject({ outcome: 'ok', resourceType: 'member', resourceId: `slack:${users.dave.id}` });
    expect(text).toContain('Invited <@U0DAVE|dave> as approver');
    expect(text).toContain('2026-12-03 12:00 UTC');
    invitation = (await invitationsOf(open, users.dave))[0]!;
    expect(invitation).toMatchObject({ state: 'pending', role: 'approver', invitedBy: users.carol.id, expiresAt: new Date('2026-12-03T12:00:00.000Z') });
    const [invited] = await teamEntries(open, users.dave, 'member.invited');
    expect(invited).toMatchObject({ actorId: users.carol.id, outcome: 'ok', details: { role: 'approver', invitation: invitation.id, target: 'dave' } });
    expect(open.jobs.named('invitation-expire')).toEqual([
      { name: 'invitation-expire', payload: { invitationId: invitation.id }, options: { jobId: `invitation-expire-${invitation.id}`, runAt: invitation.expiresAt } },
    ]);
    expect(await roleOf(open.s, users.dave)).toBe('member');

    await deliver(open);
    const [card] = cardsOf(open, users.dave);
    expect(card!.view.text).toContain('<@U0CAROL|carol> invites you to the Aithroyz team as *approver*');
    expect(buttonsOf(card!.view)).toEqual([`invitationAccept:${invitation.id}`, `invitationDecline:${invitation.id}`]);
    expect((await invitationsOf(open, users.dave))[0]!.card).toEqual({ channelId: card!.ref.channelId, messageId: card!.ref.messageId });
    // Delivered once: a repeated notice sends nothing more.
    await runInvitationNotify(open.s, { invitationId: invitation.id, notice: 'sent' });
    expect(cardsOf(open, users.dave)).toHaveLength(1);
  });

  it('refuses anyone but the invitee, as denied and audited, and changes nothing', async () => {
    const { text, entry } = await send(open, click(users.alice, 'invitationAccept', invitation.id));
    expect(text).toContain('This invitation is for @dave, not for you.');
    expect(entry).toMatchObject({ outcome: 'denied', resourceType: 'invitation', resourceId: invitation.id, details: { error: 'not_invitee' } });
    const [refused] = await teamEntries(open, users.dave, 'member.invitation_accepted');
    expect(refused).toMatchObject({ actorId: users.alice.id, outcome: 'denied', details: { reason: 'not_invitee' } });
    expect((await invitationsOf(open, users.dave))[0]!.state).toBe('pending');
  });

  it('gives the role on Accept, turns the card into the answer, tells the inviter, and takes no second answer', async () => {
    const { reply, entry } = await send(open, click(users.dave, 'invitationAccept', invitation.id));
    expect(entry).toMatchObject({ outcome: 'ok', resourceType: 'invitation', resourceId: invitation.id });
    expect(reply.view.text).toContain('you are approver now');
    expect(buttonsOf(reply.replaceOriginal!)).toEqual([]);
    expect(reply.replaceOriginal!.text).toContain('You accepted on 2026-11-26 12:00 UTC');
    expect(await roleOf(open.s, users.dave)).toBe('approver');
    const accepted = (await teamEntries(open, users.dave, 'member.invitation_accepted')).filter((row) => row.outcome === 'ok');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({ actorId: users.dave.id, details: { role: 'approver', from: 'member', invited_by: 'carol' } });
    const [row] = await open.s.db.select().from(members).where(eq(members.userId, users.dave.id));
    expect(row).toMatchObject({ role: 'approver', addedBy: `slack:${users.carol.id}`, removedAt: null });
    expect(open.jobs.removed).toContainEqual({ name: 'invitation-expire', jobId: `invitation-expire-${invitation.id}` });

    await deliver(open);
    const card = cardsOf(open, users.dave)[0]!;
    const edit = open.notifier.ofKind('update').find((call) => call.message.messageId === card.ref.messageId);
    expect(edit!.view.text).toContain('You accepted');
    expect(open.notifier.sentTo(users.carol.id).map((call) => (call.kind === 'dm' ? call.view.text : ''))).toContain(
      '<@U0DAVE|dave> accepted your invitation: they are approver now.',
    );

    for (const actionId of ['invitationAccept', 'invitationDecline']) {
      const again = await send(open, click(users.dave, actionId, invitation.id));
      expect(again.text).toContain('already accepted');
      expect(again.entry).toMatchObject({ outcome: 'invalid', details: { error: 'invitation_closed' } });
    }
    expect(await roleOf(open.s, users.dave)).toBe('approver');
  });

  it('lets the new approver decide a plan', async () => {
    const envId = await requestLab(open, users.alice);
    const { entry } = await send(open, click(users.dave, 'approve', envId));
    expect(entry.outcome).toBe('ok');
  });
});

describe('re-inviting, declining and expiry', () => {
  it('replaces a pending invitation: the old card stops working and says so', async () => {
    await team(open, users.carol, `invite ${at(users.alice)} approver`, [users.alice]);
    await deliver(open);
    open.clock.advance(1000);
    const { text } = await team(open, users.carol, `invite ${at(users.alice)} admin`, [users.alice]);
    expect(text).toContain('Their earlier invitation no longer counts');
    const [first, second] = await invitationsOf(open, users.alice);
    expect(first).toMatchObject({ state: 'replaced' });
    expect(second).toMatchObject({ state: 'pending', role: 'admin' });
    const [invited] = (await teamEntries(open, users.alice, 'member.invited')).slice(-1);
    expect(invited!.details).toMatchObject({ replaces: first!.id });
    await deliver(open);
    const oldCard = cardsOf(open, users.alice)[0]!;
    const edit = open.notifier.ofKind('update').find((call) => call.message.messageId === oldCard.ref.messageId);
    expect(edit!.view.text).toContain('replaced by a newer one');
    expect(buttonsOf(edit!.view)).toEqual([]);
    const stale = await send(open, click(users.alice, 'invitationAccept', first!.id));
    expect(stale.entry).toMatchObject({ outcome: 'invalid', details: { error: 'invitation_closed' } });

    const declined = await send(open, click(users.alice, 'invitationDecline', second!.id));
    expect(declined.text).toContain('You declined');
    expect(await roleOf(open.s, users.alice)).toBe('member');
    expect((await teamEntries(open, users.alice, 'member.invitation_declined')).map((row) => row.outcome)).toEqual(['ok']);
    await deliver(open);
    expect(open.notifier.ofKind('dm').some((call) => call.userId === users.carol.id && call.view.text.includes('<@U0ALICE|alice> declined'))).toBe(true);
  });

  it('expires an unanswered invitation at INVITATION_TTL: buttons refused, card and inviter told, audited once', async () => {
    const kit = await teamKit({ INVITATION_TTL: '2h' });
    try {
      await team(kit, users.carol, `invite ${at(users.dave)} approver`, [users.dave]);
      await deliver(kit);
      const [pending] = await invitationsOf(kit, users.dave);
      expect(pending!.expiresAt).toEqual(new Date('2026-11-26T14:00:00.000Z'));
      // Too early: the job leaves it pending (the reconciler schedules it again).
      await runInvitationExpire(kit.s, { invitationId: pending!.id });
      expect((await invitationsOf(kit, users.dave))[0]!.state).toBe('pending');

      kit.clock.set(pending!.expiresAt);
      const late = await send(kit, click(users.dave, 'invitationAccept', pending!.id));
      expect(late.text).toContain('expired on 2026-11-26 14:00 UTC');
      expect(late.entry).toMatchObject({ outcome: 'invalid', details: { error: 'invitation_expired' } });
      expect(await roleOf(kit.s, users.dave)).toBe('member');

      await runInvitationExpire(kit.s, { invitationId: pending!.id });
      await runInvitationExpire(kit.s, { invitationId: pending!.id });
      expect((await invitationsOf(kit, users.dave))[0]).toMatchObject({ state: 'expired' });
      const expired = await teamEntries(kit, users.dave, 'member.invitation_expired');
      expect(expired).toHaveLength(1);
      expect(expired[0]).toMatchObject({ actorType: 'system', actorId: 'timer', outcome: 'ok', details: { role: 'approver', invitation: pending!.id } });

      await deliver(kit);
      const card = cardsOf(kit, users.dave)[0]!;
      const edit = kit.notifier.ofKind('update').find((call) => call.message.messageId === card.ref.messageId);
      expect(edit!.view.text).toContain('expired on 2026-11-26 14:00 UTC without an answer');
      expect(buttonsOf(edit!.view)).toEqual([]);
      const told = kit.notifier.ofKind('dm').filter((call) => call.userId === users.carol.id);
      expect(told.map((call) => call.view.text)).toEqual([expect.stringContaining('Your invitation of <@U0DAVE|dave> as approver expired')]);
      const after = await send(kit, click(users.dave, 'invitationDecline', pending!.id));
      expect(after.entry).toMatchObject({ outcome: 'invalid', details: { error: 'invitation_closed' } });
    } finally {
      await kit.database.drop();
    }
  });

  it('ends an Accept, a Decline and the expiry racing each other in exactly one outcome', async () => {
    const kit = await teamKit({ INVITATION_TTL: '1h' });
    // The expiry job runs on a clock at the expiry; the clicks arrive a moment before it, on another web process.
    const jobClock = new ManualClock();
    const worker: Services = { ...kit.s, clock: jobClock };
    try {
      const people = [users.alice, users.dave, { platform: 'slack', id: 'U0FRANK', name: 'frank' } as const];
      for (const [round, person] of people.entries()) {
        await team(kit, users.carol, `invite ${at(person)} approver`, [person]);
        const [pending] = await invitationsOf(kit, person);
        kit.clock.set(new Date(pending!.expiresAt.getTime() - 1));
        jobClock.set(pending!.expiresAt);
        const clicks = [click(person, 'invitationAccept', pending!.id), click(person, 'invitationDecline', pending!.id)];
        const racing: (() => Promise<unknown>)[] = [
          () => runInvitationExpire(worker, { invitationId: pending!.id }),
          ...clicks.map((invocation) => () => handleInvocation(kit.s, invocation)),
        ];
        // Each round starts them in another order.
        for (let turn = 0; turn < round; turn += 1) racing.push(racing.shift()!);
        await Promise.all(racing.map((start) => start()));
        const [closed] = await invitationsOf(kit, person);
        const wins = (await teamEntries(kit, person)).filter((row) => row.eventType !== 'member.invited' && row.outcome === 'ok');
        expect(wins, `round ${round}`).toHaveLength(1);
        const won = { 'member.invitation_accepted': 'accepted', 'member.invitation_declined': 'declined', 'member.invitation_expired': 'expired' }[wins[0]!.eventType as string];
        expect(closed!.state).toBe(won);
        expect(await roleOf(kit.s, person)).toBe(won === 'accepted' ? 'approver' : 'member');
      }
    } finally {
      await kit.database.drop();
    }
  });
});

describe('the rules of /team, each refusal answered and audited', () => {
  it('lets only admins invite, change roles and remove', async () => {
    for (const [actor, text] of [[users.bob, `invite ${at(users.alice)} approver`], [users.alice, `role ${at(users.dave)} admin`], [users.erin, `remove ${at(users.alice)}`]] as const) {
      const { reply, entry } = await team(open, actor, text, [users.alice, users.dave]);
      expect(reply.view.text).toContain('Only admins');
      expect(entry).toMatchObject({ outcome: 'denied', details: { error: 'forbidden' } });
    }
    const [refused] = (await teamEntries(open, users.alice, 'member.removed')).slice(-1);
    expect(refused).toMatchObject({ actorId: users.erin.id, outcome: 'denied', details: { reason: 'forbidden' } });
    expect(await roleOf(open.s, users.alice)).toBe('member');
  });

  it('refuses an admin their own role or removal, and leaves the configuration’s admins to it', async () => {
    await team(open, users.carol, `role ${at(users.erin)} admin`, [users.erin]);
    const own = await team(open, users.erin, `role ${at(users.erin)} member`, [users.erin]);
    expect(own.text).toContain('You cannot change your own role');
    expect(own.entry).toMatchObject({ outcome: 'denied', details: { error: 'own_membership' } });
    expect((await team(open, users.erin, `remove ${at(users.erin)}`, [users.erin])).text).toContain('You cannot remove yourself');
    for (const text of [`role ${at(users.carol)} member`, `remove ${at(users.carol)}`]) {
      const configured = await team(open, users.erin, text, [users.carol]);
      expect(configured.text).toContain('the configuration decides their role');
      expect(configured.entry).toMatchObject({ outcome: 'denied', details: { error: 'configured_admin' } });
    }
    const [roleRefusal] = (await teamEntries(open, users.carol, 'member.role_changed')).slice(-1);
    expect(roleRefusal).toMatchObject({ outcome: 'denied', details: { reason: 'configured_admin', to: 'member' } });
    expect(await roleOf(open.s, users.carol)).toBe('admin');
    await team(open, users.carol, `role ${at(users.erin)} approver`, [users.erin]);
  });

  it('refuses bad input clearly, as invalid, changing nothing', async () => {
    const robot = { id: 'B0ROBOT', name: 'robot', bot: true };
    const cases: [string, readonly MentionedUser[], string, string][] = [
      ['invite <@B0ROBOT|robot> approver', [robot], 'bot_user', '@robot is a bot'],
      ['invite @nobody approver', [], 'unknown_user', '@nobody is not someone this chat knows'],
      [`invite ${at(users.dave)} overlord`, [mentioned(users.dave).user], 'invalid_role', '"overlord" is not a role'],
      [`invite ${at(users.dave)} approver`, [mentioned(users.dave).user], 'same_role', 'already is approver'],
      ['invite U0DAVE', [], 'invalid_user', 'mention them'],
      [`role ${at(users.dave)}`, [mentioned(users.dave).user], 'invalid_arguments', 'Which role?'],
      ['promote everyone', [], 'unknown_subcommand', 'There is no `/team promote`'],
      ['list everything', [], 'invalid_arguments', 'takes nothing more'],
    ];
    for (const [text, found, code, shown] of cases) {
      const { reply, entry } = await send(open, command(users.carol, text, 'team', found));
      expect(reply.view.text, text).toContain(shown);
      expect(entry, text).toMatchObject({ outcome: 'invalid', details: { error: code } });
    }
    expect(await roleOf(open.s, users.dave)).toBe('approver');
  });

  it('sets a role directly in open mode, and takes an approver’s old approval card away with the role', async () => {
    const frank = { platform: 'slack', id: 'U0FRANK2', name: 'frank' } as const;
    const { text } = await team(open, users.carol, `role ${at(frank)} approver`, [frank]);
    expect(text).toContain('is now approver (was member)');
    const envId = await requestLab(open, users.alice);
    await team(open, users.carol, `role ${at(frank)} member`, [frank]);
    const { reply, entry } = await send(open, click(frank, 'approve', envId));
    expect(reply.view.text).toContain('Only approvers and admins');
    expect(entry.outcome).toBe('denied');
    const changes = await teamEntries(open, frank, 'member.role_changed');
    expect(changes.map((row) => row.details)).toEqual([
      expect.objectContaining({ from: 'member', to: 'approver' }),
      expect.objectContaining({ from: 'approver', to: 'member' }),
    ]);
  });

  it('keeps /env role working, pointing to /team', async () => {
    const { reply, entry } = await send(open, command(users.carol, `role ${at(users.dave)} member`, 'env', [mentioned(users.dave).user]));
    expect(entry.outcome).toBe('ok');
    expect(reply.view.text).toContain('is now member (was approver)');
    expect(JSON.stringify(reply.view.blocks)).toContain('/team role');
    expect(await roleOf(open.s, users.dave)).toBe('member');
  });
});

describe('removing someone', () => {
  it('refuses them every command and button with one answer naming who can add them back; their labs keep running', async () => {
    const lab = await markRunning(open, await requestLabApproved(users.alice));
    // A pending invitation of hers is withdrawn with the removal: it no longer brings her back.
    await team(open, users.carol, `invite ${at(users.alice)} approver`, [users.alice]);
    await deliver(open);
    const [pendingBefore] = (await invitationsOf(open, users.alice)).filter((row) => row.state === 'pending');
    open.clock.set('2026-11-27T09:30:00.000Z');
    const { text, entry } = await team(open, users.carol, `remove ${at(users.alice)}`, [users.alice]);
    expect(entry.outcome).toBe('ok');
    expect(text).toMatch(/is removed from the team.*They own \d+ active labs?/);
    const [removed] = (await teamEntries(open, users.alice, 'member.removed')).filter((row) => row.outcome === 'ok');
    expect(removed).toMatchObject({ actorId: users.carol.id, outcome: 'ok', details: { role: 'member' } });
    expect(Number((removed!.details as Record<string, unknown>).active_labs)).toBeGreaterThanOrEqual(1);
    expect(removed!.details).toMatchObject({ withdrawn_invitation: pendingBefore!.id });
    expect((await invitationsOf(open, users.alice)).find((row) => row.id === pendingBefore!.id)!.state).toBe('withdrawn');
    await deliver(open);
    const withdrawnCard = open.notifier.ofKind('update').filter((call) => call.message.messageId === cardsOf(open, users.alice).at(-1)!.ref.messageId).at(-1);
    expect(withdrawnCard!.view.text).toContain('This invitation was withdrawn on 2026-11-27 09:30 UTC');
    expect(buttonsOf(withdrawnCard!.view)).toEqual([]);
    const late = await send(open, click(users.alice, 'invitationAccept', pendingBefore!.id));
    expect(late.text).toContain('This invitation was withdrawn');
    expect(late.entry).toMatchObject({ outcome: 'invalid', details: { error: 'invitation_closed' } });

    const attempts: Invocation[] = [
      command(users.alice, 'list'),
      command(users.alice, 'help'),
      command(users.alice, ''),
      command(users.alice, 'presets'),
      command(users.alice, `extend ${lab.id} 1h`),
      click(users.alice, 'extend1h', lab.id),
      click(users.alice, 'destroy', lab.id),
      click(users.alice, 'destroyCancel', lab.id),
      command(users.alice, 'list', 'team'),
    ];
    for (const attempt of attempts) {
      const { reply, entry: refused } = await send(open, attempt);
      expect(reply.view.text).toContain('You were removed from the team on 2026-11-27 09:30 UTC');
      expect(reply.view.text).toContain('<@U0CAROL');
      expect(refused).toMatchObject({ outcome: 'denied', details: { error: 'not_in_team' } });
    }
    // `/team help` answers anyone: it says how people get in.
    expect((await send(open, command(users.alice, 'help', 'team'))).entry.outcome).toBe('ok');
    const [row] = await open.s.db.select().from(members).where(eq(members.userId, users.alice.id));
    expect(row).toMatchObject({ removedBy: `slack:${users.carol.id}`, removedAt: new Date('2026-11-27T09:30:00.000Z') });
    const labNow = await open.s.db.query.environments.findFirst({ where: (table, { eq: same }) => same(table.id, lab.id) });
    expect(labNow!.state).toBe('running');

    const list = await team(open, users.carol, 'list');
    expect(list.text).toMatch(/Removed \(1\):\n<@U0ALICE\|alice>: was member, removed by <@U0CAROL\|carol> on 2026-11-27 09:30 UTC/);
    expect(list.text).toContain('<@U0CAROL|carol>: *admin*, added by configuration');
    expect(list.text).toContain('<@U0DAVE|dave>: *member*, added by <@U0CAROL|carol>');

    const again = await team(open, users.carol, `remove ${at(users.alice)}`, [users.alice]);
    expect(again.entry).toMatchObject({ outcome: 'invalid', details: { error: 'already_removed' } });
    const role = await team(open, users.carol, `role ${at(users.alice)} approver`, [users.alice]);
    expect(role.text).toContain('invite them back');
  });

  it('brings a removed person back by invitation, recording who added them again', async () => {
    await team(open, users.carol, `invite ${at(users.alice)} member`, [users.alice]);
    const pending = (await invitationsOf(open, users.alice)).find((row) => row.state === 'pending');
    // A removed person may still answer an invitation: that is how they come back.
    const { entry } = await send(open, click(users.alice, 'invitationAccept', pending!.id));
    expect(entry.outcome).toBe('ok');
    expect((await send(open, command(users.alice, 'list'))).entry.outcome).toBe('ok');
    const [row] = await open.s.db.select().from(members).where(eq(members.userId, users.alice.id));
    expect(row).toMatchObject({ removedAt: null, removedBy: null, addedBy: `slack:${users.carol.id}` });
  });
});

async function requestLabApproved(owner: Person): Promise<string> {
  const envId = await requestLab(open, owner);
  expect((await send(open, click(users.bob, 'approve', envId))).entry.outcome).toBe('ok');
  return envId;
}

describe('invite mode', () => {
  it('refuses people with no accepted invitation, naming the admins, and lets the configured ones in', async () => {
    const { reply, entry } = await send(invite, command(users.dave, 'list'));
    expect(reply.view.text).toContain('invited people only');
    // The configuration's admins have no name until they act in the team: they are named by id.
    expect(reply.view.text).toContain('<@U0CAROL|U0CAROL>');
    expect(entry).toMatchObject({ outcome: 'denied', details: { error: 'not_in_team' } });
    expect((await send(invite, command(users.bob, 'list'))).entry.outcome).toBe('ok');
    expect((await send(invite, command(users.carol, 'list'))).entry.outcome).toBe('ok');
  });

  it('asks for an invitation before a role, and lets an invitee who accepted in', async () => {
    const role = await team(invite, users.carol, `role ${at(users.dave)} approver`, [users.dave]);
    expect(role.text).toContain('not in the team yet: invite them first');
    expect(role.entry).toMatchObject({ outcome: 'invalid', details: { error: 'invite_first' } });
    // Inviting to the member role makes sense here: without it they are not in the team at all.
    await team(invite, users.carol, `invite ${at(users.dave)}`, [users.dave]);
    const [pending] = await invitationsOf(invite, users.dave);
    expect(pending!.role).toBe('member');
    expect((await send(invite, click(users.dave, 'invitationAccept', pending!.id))).entry.outcome).toBe('ok');
    expect((await send(invite, command(users.dave, 'list'))).entry.outcome).toBe('ok');
    const list = await team(invite, users.carol, 'list');
    expect(list.text).toContain('Access: by invitation');
    expect(list.text).toContain('<@U0DAVE|dave>: *member*, added by <@U0CAROL|carol>');
  });
});

describe('restarts', () => {
  it('keep what chat changed of the APPROVERS (demoted, removed) and always restore the ADMINS', async () => {
    const kit = await teamKit();
    try {
      await team(kit, users.carol, `role ${at(users.bob)} member`, [users.bob]);
      await team(kit, users.carol, `remove ${at(users.erin)}`, [users.erin]);
      await kit.s.db.update(members).set({ role: 'member' }).where(eq(members.userId, users.carol.id));
      await bootstrapRoles(kit.s);
      const again = await buildServices({ db: kit.s.db, settings: ROLE_SETTINGS, jobs: kit.jobs });
      await bootstrapRoles(again);
      const rows = await kit.s.db.select().from(members).where(inArray(members.userId, [users.bob.id, users.erin.id, users.carol.id]));
      const byId = Object.fromEntries(rows.map((row) => [row.userId, { role: row.role, removed: row.removedAt !== null }]));
      expect(byId).toEqual({
        [users.bob.id]: { role: 'member', removed: false },
        [users.erin.id]: { role: 'approver', removed: true },
        [users.carol.id]: { role: 'admin', removed: false },
      });
    } finally {
      await kit.database.drop();
    }
  });
});

describe('the last admin', () => {
  it('stays when two admins remove each other at once: one removal wins, the other is refused', async () => {
    const kit = await teamKit({ ADMINS: '', APPROVERS: '' });
    try {
      const now = kit.clock.now();
      for (const person of [users.alice, users.dave]) {
        await kit.s.db.insert(members).values({ platform: 'slack', userId: person.id, displayName: person.name, role: 'admin', updatedAt: now, updatedBy: 'slack:U0SEED', addedAt: now, addedBy: 'slack:U0SEED' });
      }
      const results = await Promise.all([
        team(kit, users.alice, `remove ${at(users.dave)}`, [users.dave]),
        team(kit, users.dave, `remove ${at(users.alice)}`, [users.alice]),
      ]);
      expect(results.map((result) => result.entry.outcome).sort()).toEqual(['denied', 'ok']);
      const admins = await kit.s.db.select().from(members).where(eq(members.role, 'admin'));
      expect(admins.filter((row) => row.removedAt === null)).toHaveLength(1);
    } finally {
      await kit.database.drop();
    }
  });
});
