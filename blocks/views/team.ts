import { formatUtc } from '../../src/domain/time.js';
import type { ClosedInvitationModel, InvitationModel, PersonModel, TeamMemberModel, TeamModel } from '../models.js';
import { mention, type View, type ViewBlock } from '../view.js';

/** The team: its list, the invitee's card, and the answers to admins' changes. */

const ROLE_WORDS: Readonly<Record<TeamMemberModel['role'], string>> = {
  admin: 'admin (manages the team, decides plans, sees every lab and the audit log)',
  approver: 'approver (approves or rejects plans)',
  member: 'member (requests and runs labs)',
};

function who(person: PersonModel): string {
  return mention(person);
}

function addedLine(member: TeamMemberModel): string {
  const by = member.addedBy ? `by ${who(member.addedBy)}` : 'by configuration';
  return `${who(member)}: *${member.role}*, added ${by} on ${formatUtc(member.addedAt)}`;
}

function removedLine(member: TeamMemberModel): string {
  const by = member.removedBy ? ` by ${who(member.removedBy)}` : '';
  return `${who(member)}: was ${member.role}, removed${by} on ${formatUtc(member.removedAt ?? member.addedAt)}`;
}

function invitationLine(invitation: InvitationModel): string {
  return `${who({ id: invitation.inviteeId, name: invitation.inviteeName })}: invited as *${invitation.role}* by ${who(invitation.invitedBy)}, expires ${formatUtc(invitation.expiresAt)}`;
}

/** People shown per section of `/team list`: a message has room for about this many lines in each. */
export const MAX_LISTED_PEOPLE = 20;

/** The first MAX_LISTED_PEOPLE lines, and how many were left out. */
function capped(lines: string[]): string[] {
  if (lines.length <= MAX_LISTED_PEOPLE) return lines;
  return [...lines.slice(0, MAX_LISTED_PEOPLE), `… and ${lines.length - MAX_LISTED_PEOPLE} more not shown`];
}

/** `/team list`. */
export function teamListView(team: TeamModel): View {
  const access =
    team.access === 'open'
      ? 'Access: open: everyone in this chat is a member unless removed; those listed have a role set.'
      : 'Access: by invitation: only the people listed here use Aithroyz.';
  const section = (title: string, items: string[], empty: string): ViewBlock[] => [
    { kind: 'text', text: `*${title}*` },
    items.length > 0 ? { kind: 'list', items } : { kind: 'context', text: empty },
  ];
  const members = capped(team.members.map(addedLine));
  const pending = capped(team.invitations.map(invitationLine));
  const removed = capped(team.removed.map(removedLine));
  const counts = { members: team.members.length, pending: team.invitations.length, removed: team.removed.length };
  const text = [
    'Team',
    access,
    `Members (${counts.members}):`,
    ...members,
    `Pending invitations (${counts.pending}):`,
    ...pending,
    `Removed (${counts.removed}):`,
    ...removed,
  ].join('\n');
  return {
    text,
    blocks: [
      { kind: 'header', text: 'Team' },
      { kind: 'context', text: access },
      ...section(`Members (${counts.members})`, members, 'Nobody has a role set.'),
      ...section(`Pending invitations (${counts.pending})`, pending, 'No invitation is waiting for an answer.'),
      ...section(`Removed (${counts.removed})`, removed, 'Nobody was removed.'),
    ],
  };
}

/** The invitee's DM: Accept and Decline while pending; how it ended once closed. */
export function invitationCardView(invitation: ClosedInvitationModel): View {
  const offer = `${who(invitation.invitedBy)} invites you to the Aithroyz team as *${invitation.role}*: ${ROLE_WORDS[invitation.role]}.`;
  const at = invitation.answeredAt ? formatUtc(invitation.answeredAt) : '';
  const endings: Record<ClosedInvitationModel['state'], string> = {
    pending: `Answer before ${formatUtc(invitation.expiresAt)}.`,
    accepted: `You accepted on ${at}: you are ${invitation.role} now.`,
    declined: `You declined on ${at}.`,
    expired: `This invitation expired on ${formatUtc(invitation.expiresAt)} without an answer: ask ${who(invitation.invitedBy)} for a new one if you still want to join.`,
    replaced: 'This invitation was replaced by a newer one: answer that one instead.',
    withdrawn: `This invitation was withdrawn on ${at}: you were removed from the team.`,
  };
  const ending = endings[invitation.state];
  const blocks: ViewBlock[] = [
    { kind: 'header', text: 'Invitation to the team' },
    { kind: 'text', text: offer },
    { kind: 'context', text: ending },
  ];
  if (invitation.state === 'pending') {
    blocks.push({
      kind: 'actions',
      buttons: [
        { actionId: 'invitationAccept', label: 'Accept', style: 'primary', value: invitation.id },
        { actionId: 'invitationDecline', label: 'Decline', value: invitation.id },
      ],
    });
  }
  const tone = invitation.state === 'accepted' ? 'good' : invitation.state === 'pending' ? 'neutral' : 'warning';
  return { text: `${offer} ${ending}`, tone, blocks };
}

/** The inviter's DM when their invitation ended. */
export function inviterNoticeView(invitation: ClosedInvitationModel): View {
  const invitee = who({ id: invitation.inviteeId, name: invitation.inviteeName });
  const texts: Partial<Record<ClosedInvitationModel['state'], string>> = {
    accepted: `${invitee} accepted your invitation: they are ${invitation.role} now.`,
    declined: `${invitee} declined your invitation to be ${invitation.role}.`,
    expired: `Your invitation of ${invitee} as ${invitation.role} expired on ${formatUtc(invitation.expiresAt)} without an answer. \`/team invite\` sends a new one.`,
  };
  const text = texts[invitation.state] ?? `Your invitation of ${invitee} is ${invitation.state}.`;
  return { text, tone: invitation.state === 'accepted' ? 'good' : 'warning', blocks: [{ kind: 'text', text }] };
}

/** The admin's answer to `/team invite`. */
export function invitedView(invitation: InvitationModel, replaced: boolean): View {
  const text =
    `Invited ${who({ id: invitation.inviteeId, name: invitation.inviteeName })} as ${invitation.role}: they have a DM with Accept and Decline, ` +
    `until ${formatUtc(invitation.expiresAt)}.${replaced ? ' Their earlier invitation no longer counts.' : ''}`;
  return { text, tone: 'good', blocks: [{ kind: 'text', text }] };
}

/** The admin's answer to `/team remove`. */
export function removedView(person: PersonModel, activeLabs: number): View {
  const labs =
    activeLabs === 0
      ? 'They own no active lab.'
      : `They own ${activeLabs} active lab${activeLabs === 1 ? '' : 's'}: ${activeLabs === 1 ? 'it keeps' : 'they keep'} running until expiry; \`/env list --all\` shows ${activeLabs === 1 ? 'it' : 'them'} and \`/env destroy\` ends ${activeLabs === 1 ? 'it' : 'them'} sooner.`;
  const text = `${who(person)} is removed from the team: their commands and clicks are refused from now on. ${labs}`;
  return { text, tone: 'warning', blocks: [{ kind: 'text', text }] };
}

/** The invitee's answer to their click. */
export function answeredView(invitation: ClosedInvitationModel): View {
  const text =
    invitation.state === 'accepted'
      ? `Welcome to the team: you are ${invitation.role} now. \`/env help\` shows what you can do.`
      : 'You declined the invitation; nothing changed.';
  return { text, tone: invitation.state === 'accepted' ? 'good' : 'neutral', blocks: [{ kind: 'text', text }] };
}
