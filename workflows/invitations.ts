import { and, eq, inArray, isNull, lt, or } from 'drizzle-orm';
import { invitationCardView, inviterNoticeView } from '../blocks/views/team.js';
import type { ClosedInvitationModel } from '../blocks/models.js';
import { appendAudit } from '../src/audit/append.js';
import { systemActor } from '../src/audit/types.js';
import type { Tx } from '../src/db/client.js';
import { invitations, type InvitationRow } from '../src/db/schema/invitations.js';
import type { Actor } from '../src/domain/actor.js';
import { newInvitationId } from '../src/domain/ids.js';
import { checkInvitationAnswer, checkTeamChange, standingOf } from '../src/domain/team.js';
import { userKey, type Role } from '../src/domain/users.js';
import { AppError } from '../src/errors.js';
import { jobIds, type JobPayload, type JobToAdd } from '../src/queue/jobs.js';
import type { Services } from '../src/services.js';
import { memberOf } from './roles.js';
import { enqueueAfterCommit } from './state-change.js';
import { auditTeam, changeTeam, countActiveAdmins, lockTeam, memberResource, teamChangeFacts, upsertMember, type TeamTarget } from './team-change.js';

/**
 * Invitations to the team: an admin invites, the invitee answers with the buttons of a DM, and an invitation nobody
 * answers expires after INVITATION_TTL (a delayed job the reconciler re-creates from Postgres). Each answer, expiry
 * and replacement is a conditional change of a pending row under the team's lock, so of an Accept, a Decline and an
 * expiry racing each other exactly one wins.
 */

export interface InviteInput {
  actor: Actor;
  target: TeamTarget;
  role: Role;
  requestId: string;
  channelId?: string;
}

export interface Invited {
  invitation: InvitationRow;
  /** The pending invitation this one replaced. */
  replaced: string | undefined;
}

/** `/team invite`: records the invitation (replacing a pending one), audits `member.invited`, then sends the DM. */
export async function invite(s: Services, input: InviteInput): Promise<Invited> {
  const entry = { eventType: 'member.invited', actor: input.actor, target: input.target, requestId: input.requestId, channelId: input.channelId ?? null } as const;
  const invited = await changeTeam(s, { ...entry, details: { role: input.role } }, async (tx) => {
    const facts = await teamChangeFacts(s, tx, input.actor, input.target);
    checkTeamChange({ kind: 'invite', role: input.role }, facts);
    const now = s.clock.now();
    const [previous] = await tx
      .update(invitations)
      .set({ state: 'replaced', answeredAt: now })
      .where(and(eq(invitations.platform, input.target.platform), eq(invitations.inviteeId, input.target.id), eq(invitations.state, 'pending')))
      .returning({ id: invitations.id });
    const [invitation] = await tx
      .insert(invitations)
      .values({
        id: newInvitationId(),
        platform: input.target.platform,
        inviteeId: input.target.id,
        inviteeName: input.target.name,
        role: input.role,
        invitedBy: input.actor.user.id,
        invitedByName: input.actor.user.name,
        invitedAt: now,
        expiresAt: new Date(now.getTime() + s.config.INVITATION_TTL * 1000),
        state: 'pending',
      })
      .returning();
    await auditTeam(s, tx, {
      ...entry,
      details: { role: input.role, invitation: invitation!.id, expires_at: invitation!.expiresAt.toISOString(), ...(previous ? { replaces: previous.id } : {}) },
    });
    return { invitation: invitation!, replaced: previous?.id };
  });
  const { invitation, replaced } = invited;
  await enqueueAfterCommit(s, invitation.id, [
    () => s.jobs.add('invitation-notify', { invitationId: invitation.id, notice: 'sent' }, { jobId: jobIds.invitationNotify(invitation.id, 'sent') }),
    () => s.jobs.add('invitation-expire', { invitationId: invitation.id }, { jobId: jobIds.invitationExpire(invitation.id), runAt: invitation.expiresAt }),
    ...(replaced
      ? [
          () => s.jobs.remove('invitation-expire', jobIds.invitationExpire(replaced)),
          () => s.jobs.add('invitation-notify', { invitationId: replaced, notice: 'closed' }, { jobId: jobIds.invitationNotify(replaced, 'closed') }),
        ]
      : []),
  ]);
  return invited;
}

export interface AnswerInput {
  invitationId: string;
  /** The invitee, as their chat door verified them. */
  actor: Actor;
  answer: 'accept' | 'decline';
  requestId: string;
  channelId?: string;
}

/**
 * Accept or Decline on the invitee's DM card. Only the invitee answers, once, before the expiry; accepting gives
 * them the invited role (and brings a removed person back). Whoever the invitee is now, the answer needs no role:
 * the invitation is how people get into the team.
 */
export async function answerInvitation(s: Services, input: AnswerInput): Promise<InvitationRow> {
  const eventType = input.answer === 'accept' ? 'member.invitation_accepted' : 'member.invitation_declined';
  const [found] = await s.db.select().from(invitations).where(eq(invitations.id, input.invitationId));
  if (!found) throw new AppError('unknown_invitation', 'This invitation does not exist (any more).');
  const target: TeamTarget = { platform: found.platform, id: found.inviteeId, name: found.inviteeName };
  const entry = { eventType, actor: input.actor, target, requestId: input.requestId, channelId: input.channelId ?? null } as const;
  const answered = await changeTeam(s, { ...entry, details: { invitation: found.id, role: found.role } }, async (tx) => {
    await lockTeam(tx, found.platform);
    const invitation = await lockInvitation(tx, found.id);
    const now = s.clock.now();
    checkInvitationAnswer(invitation, input.actor.user, now);
    const details: Record<string, unknown> = { invitation: invitation.id, role: invitation.role, invited_by: invitation.invitedByName };
    if (input.answer === 'accept') {
      const standing = standingOf(await memberOf(tx, target), s.config.WORKSPACE_ACCESS);
      if (standing.kind === 'member' && standing.role === 'admin' && invitation.role !== 'admin' && (await countActiveAdmins(tx, target.platform)) <= 1) {
        throw new AppError('last_admin', `You are the last admin: accepting the ${invitation.role} role would leave no admin.`);
      }
      details.from = standing.kind === 'member' ? standing.role : standing.kind;
      await upsertMember(s, tx, { ...target, name: input.actor.user.name || target.name }, invitation.role, userKey({ platform: invitation.platform, id: invitation.invitedBy }));
    }
    const [closed] = await tx
      .update(invitations)
      .set({ state: input.answer === 'accept' ? 'accepted' : 'declined', answeredAt: now })
      .where(and(eq(invitations.id, invitation.id), eq(invitations.state, 'pending')))
      .returning();
    await auditTeam(s, tx, { ...entry, details });
    return closed!;
  });
  await closeAfterCommit(s, answered.id);
  return answered;
}

async function lockInvitation(tx: Tx, invitationId: string): Promise<InvitationRow> {
  const [row] = await tx.select().from(invitations).where(eq(invitations.id, invitationId)).for('update');
  if (!row) throw new AppError('unknown_invitation', 'This invitation does not exist (any more).');
  return row;
}

/** Once an invitation ended: its expiry job goes, its notice (card, inviter) comes. */
export async function closeAfterCommit(s: Services, invitationId: string): Promise<void> {
  await enqueueAfterCommit(s, invitationId, [
    () => s.jobs.remove('invitation-expire', jobIds.invitationExpire(invitationId)),
    () => s.jobs.add('invitation-notify', { invitationId, notice: 'closed' }, { jobId: jobIds.invitationNotify(invitationId, 'closed') }),
  ]);
}

/** The expiry job: a pending invitation at or past its expiry expires, audited as `member.invitation_expired`. */
export async function runInvitationExpire(s: Services, payload: JobPayload<'invitation-expire'>): Promise<void> {
  const [found] = await s.db.select({ platform: invitations.platform }).from(invitations).where(eq(invitations.id, payload.invitationId));
  if (!found) return;
  const expired = await s.db.transaction(async (tx) => {
    await lockTeam(tx, found.platform);
    const invitation = await lockInvitation(tx, payload.invitationId);
    if (invitation.state !== 'pending') return false;
    if (s.clock.now() < invitation.expiresAt) {
      s.log.warn({ invitationId: invitation.id }, 'an invitation expiry ran before its time; the reconciler reschedules it');
      return false;
    }
    await tx.update(invitations).set({ state: 'expired', answeredAt: s.clock.now() }).where(eq(invitations.id, invitation.id));
    await appendAudit(tx, s.clock, {
      eventType: 'member.invitation_expired',
      actor: systemActor('timer'),
      platform: invitation.platform,
      resource: memberResource({ platform: invitation.platform, id: invitation.inviteeId }),
      outcome: 'ok',
      details: {
        target: invitation.inviteeName,
        invitation: invitation.id,
        role: invitation.role,
        invited_by: invitation.invitedByName,
        expires_at: invitation.expiresAt.toISOString(),
      },
    });
    return true;
  });
  if (expired) await closeAfterCommit(s, payload.invitationId);
}

/**
 * The invitation's messages, rendered from Postgres at send time: `sent` DMs the invitee the card with its buttons
 * (once); `closed` turns the card into how it ended and tells the inviter (not of a replacement or a withdrawal,
 * which an admin made).
 */
export async function runInvitationNotify(s: Services, payload: JobPayload<'invitation-notify'>): Promise<void> {
  const invitation = await getInvitation(s, payload.invitationId);
  if (!invitation) return;
  const notifier = s.notifiers.find(invitation.platform);
  if (!notifier) throw new AppError('platform_off', `${invitation.platform} is not configured in this process`, { retry: false });
  if (payload.notice === 'sent') {
    if (invitation.card || invitation.state !== 'pending') return;
    const card = await notifier.dm(invitation.inviteeId, invitationCardView(modelOf(invitation)));
    await s.db
      .update(invitations)
      .set({ card: { channelId: card.channelId, messageId: card.messageId } })
      .where(and(eq(invitations.id, invitation.id), isNull(invitations.card)));
    // Answered or expired while the card was being sent: its own notice found no card to edit, so edit it now.
    const now = await getInvitation(s, invitation.id);
    if (now && now.state !== 'pending') await notifier.update(card, invitationCardView(modelOf(now)));
    return;
  }
  if (invitation.state === 'pending' || invitation.announcedAt) return;
  if (invitation.card) await notifier.update({ platform: invitation.platform, ...invitation.card }, invitationCardView(modelOf(invitation)));
  // The inviter made a replacement or a removal themselves (or another admin did, and was told): no notice for those.
  if (invitation.state !== 'replaced' && invitation.state !== 'withdrawn') await notifier.dm(invitation.invitedBy, inviterNoticeView(modelOf(invitation)));
  await s.db.update(invitations).set({ announcedAt: s.clock.now() }).where(eq(invitations.id, invitation.id));
}

async function getInvitation(s: Services, invitationId: string): Promise<InvitationRow | undefined> {
  const [row] = await s.db.select().from(invitations).where(eq(invitations.id, invitationId));
  return row;
}

export function modelOf(row: InvitationRow): ClosedInvitationModel {
  return {
    id: row.id,
    inviteeId: row.inviteeId,
    inviteeName: row.inviteeName,
    role: row.role,
    invitedBy: { id: row.invitedBy, name: row.invitedByName },
    expiresAt: row.expiresAt,
    state: row.state,
    answeredAt: row.answeredAt,
  };
}

/** A message is re-sent only when its job has been gone for this long (it may simply not have run yet). */
const NOTICE_GRACE_MS = 60_000;

/**
 * The reconciler's part: the jobs every pending invitation needs (its expiry; its card, when not sent a while after
 * the invitation) and every ending not yet announced needs, so a wiped Redis or a crash between a commit and its
 * enqueue loses nothing.
 */
export async function invitationJobs(s: Services): Promise<JobToAdd[]> {
  const cutoff = new Date(s.clock.now().getTime() - NOTICE_GRACE_MS);
  const notice = (invitationId: string, kind: 'sent' | 'closed'): JobToAdd => ({
    name: 'invitation-notify',
    payload: { invitationId, notice: kind },
    options: { jobId: jobIds.invitationNotify(invitationId, kind) },
  });
  const jobs: JobToAdd[] = [];
  // One query, whatever the number: the pending invitations, and the ended ones not yet announced.
  const rows = await s.db
    .select()
    .from(invitations)
    .where(
      or(
        eq(invitations.state, 'pending'),
        and(inArray(invitations.state, ['accepted', 'declined', 'expired', 'replaced', 'withdrawn']), isNull(invitations.announcedAt), lt(invitations.answeredAt, cutoff)),
      ),
    );
  for (const invitation of rows) {
    if (invitation.state !== 'pending') {
      jobs.push(notice(invitation.id, 'closed'));
      continue;
    }
    jobs.push({
      name: 'invitation-expire',
      payload: { invitationId: invitation.id },
      options: { jobId: jobIds.invitationExpire(invitation.id), runAt: invitation.expiresAt },
    });
    if (!invitation.card && invitation.invitedAt < cutoff) jobs.push(notice(invitation.id, 'sent'));
  }
  return jobs;
}
