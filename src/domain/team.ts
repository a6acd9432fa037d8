import { AppError } from '../errors.js';
import { formatUtc } from './time.js';
import { isSameUser } from './policy.js';
import type { Role, UserRef } from './users.js';

/**
 * The team: who may use the bot, with which role, and the rules for changing it. Pure functions of facts read from
 * Postgres at decision time.
 */

/** `open`: every chat user is a member unless removed. `invite`: only accepted invitations and ADMINS / APPROVERS. */
export const ACCESS_MODES = ['open', 'invite'] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

/** What the members table says of a person (nothing when they have no row). */
export interface MemberFacts {
  role: Role;
  removedAt: Date | null;
  /** `slack:U123` of the admin who removed them. */
  removedBy: string | null;
}

/** A person's place in the team now. */
export type Standing =
  | { kind: 'member'; role: Role; hasRow: boolean }
  | { kind: 'removed'; removedAt: Date }
  /** No row, in `invite` mode: not in the team until they accept an invitation. */
  | { kind: 'outsider' };

export function standingOf(row: MemberFacts | undefined, mode: AccessMode): Standing {
  if (!row) return mode === 'open' ? { kind: 'member', role: 'member', hasRow: false } : { kind: 'outsider' };
  if (row.removedAt) return { kind: 'removed', removedAt: row.removedAt };
  return { kind: 'member', role: row.role, hasRow: true };
}

/**
 * The one answer to someone who is not in the team, naming who can add them (the platform's admins, as mention
 * tokens, or the ADMINS setting when there are none).
 */
export function notInTeam(standing: Exclude<Standing, { kind: 'member' }>, admins: readonly string[]): AppError {
  const who = admins.length > 0 ? `an admin (${admins.join(', ')})` : 'an admin (those named in the ADMINS setting)';
  if (standing.kind === 'removed') {
    return new AppError('not_in_team', `You were removed from the team on ${formatUtc(standing.removedAt)}, so Aithroyz no longer takes your commands or clicks.`, {
      hint: `Only ${who} can add you back, with \`/team invite\`.`,
    });
  }
  return new AppError('not_in_team', 'You are not in the team: in this workspace Aithroyz works for invited people only.', {
    hint: `Ask ${who} to invite you, with \`/team invite\`.`,
  });
}

/** What an admin asks of the team. */
export type TeamChange = { kind: 'invite'; role: Role } | { kind: 'role'; role: Role } | { kind: 'remove' };

export interface TeamChangeFacts {
  actor: Pick<UserRef, 'platform' | 'id'>;
  /** The actor's role now (they are in the team: `authorize` let them through). */
  actorRole: Role;
  target: Pick<UserRef, 'platform' | 'id'> & { name: string };
  targetStanding: Standing;
  /** The target is named in ADMINS: the configuration decides their role. */
  targetIsConfiguredAdmin: boolean;
  /** Admins of the platform not removed, counted under lock. */
  activeAdmins: number;
}

const WHAT: Readonly<Record<TeamChange['kind'], string>> = { invite: 'invite', role: 'change the role of', remove: 'remove' };

/**
 * Refuses a team change the rules do not allow, with the reason (deny by default): only admins change the team,
 * nobody their own place, the configuration's admins are not changed from chat, the last admin stays, a removed
 * person comes back by invitation, and in `invite` mode a role is set only on someone already in the team.
 */
export function checkTeamChange(change: TeamChange, facts: TeamChangeFacts): void {
  const { target, targetStanding: standing } = facts;
  const who = `@${target.name || target.id}`;
  if (facts.actorRole !== 'admin') {
    throw new AppError('forbidden', 'Only admins can invite people, change roles and remove people.');
  }
  if (isSameUser(facts.actor, target)) {
    const refusals: Record<TeamChange['kind'], string> = {
      invite: 'You cannot invite yourself: you are in the team already.',
      role: 'You cannot change your own role: another admin has to.',
      remove: 'You cannot remove yourself: another admin has to.',
    };
    throw new AppError('own_membership', refusals[change.kind]);
  }
  if (facts.targetIsConfiguredAdmin) {
    throw new AppError('configured_admin', `${who} is an admin by configuration (ADMINS): the configuration decides their role, not chat.`, {
      hint: 'Change the ADMINS setting and restart to change it.',
    });
  }
  if (change.kind === 'remove') {
    if (standing.kind === 'removed') throw new AppError('already_removed', `${who} was already removed on ${formatUtc(standing.removedAt)}.`);
    if (standing.kind === 'outsider') throw new AppError('not_a_member', `${who} is not in the team: there is nobody to remove.`);
  }
  if (change.kind === 'role') {
    if (standing.kind === 'removed') {
      throw new AppError('removed_member', `${who} was removed from the team: invite them back to give them a role.`, {
        hint: `\`/team invite ${who} ${change.role}\``,
      });
    }
    if (standing.kind === 'outsider') {
      throw new AppError('invite_first', `${who} is not in the team yet: invite them first.`, { hint: `\`/team invite ${who} ${change.role}\`` });
    }
  }
  if (change.kind !== 'remove' && standing.kind === 'member' && standing.role === change.role) {
    throw new AppError('same_role', `${who} already is ${change.role}: nothing to ${change.kind === 'invite' ? 'invite them to' : 'change'}.`);
  }
  const losesAdmin = standing.kind === 'member' && standing.role === 'admin' && (change.kind === 'remove' || change.role !== 'admin');
  if (losesAdmin && facts.activeAdmins <= 1) {
    throw new AppError('last_admin', `${who} is the last admin: make someone else admin before you ${WHAT[change.kind]} them.`);
  }
}

/** `withdrawn`: its invitee was removed from the team while it was pending. */
export const INVITATION_STATES = ['pending', 'accepted', 'declined', 'expired', 'replaced', 'withdrawn'] as const;
export type InvitationState = (typeof INVITATION_STATES)[number];

/** What an invitation's answer is checked against. */
export interface InvitationFacts {
  id: string;
  inviteeId: string;
  inviteeName: string;
  platform: UserRef['platform'];
  state: InvitationState;
  expiresAt: Date;
  answeredAt: Date | null;
}

/** How a closed invitation is described to whoever clicks its buttons. */
export function describeClosedInvitation(invitation: InvitationFacts): string {
  const at = invitation.answeredAt ? ` on ${formatUtc(invitation.answeredAt)}` : '';
  switch (invitation.state) {
    case 'accepted':
      return `This invitation was already accepted${at}.`;
    case 'declined':
      return `This invitation was already declined${at}.`;
    case 'expired':
      return `This invitation expired on ${formatUtc(invitation.expiresAt)}: ask an admin for a new one.`;
    case 'replaced':
      return 'This invitation was replaced by a newer one: use the buttons of the newest invitation.';
    case 'withdrawn':
      return 'This invitation was withdrawn: you were removed from the team.';
    case 'pending':
      return 'This invitation is still open.';
  }
}

/** Refuses an answer (Accept or Decline) that is not the invitee's, or comes after the invitation closed or expired. */
export function checkInvitationAnswer(invitation: InvitationFacts, user: Pick<UserRef, 'platform' | 'id'>, now: Date): void {
  if (!isSameUser(user, { platform: invitation.platform, id: invitation.inviteeId })) {
    throw new AppError('not_invitee', `This invitation is for @${invitation.inviteeName || invitation.inviteeId}, not for you.`);
  }
  if (invitation.state !== 'pending') throw new AppError('invitation_closed', describeClosedInvitation(invitation));
  if (now.getTime() >= invitation.expiresAt.getTime()) {
    throw new AppError('invitation_expired', describeClosedInvitation({ ...invitation, state: 'expired' }));
  }
}
