import { and, asc, eq } from 'drizzle-orm';
import type { TeamMemberModel, TeamModel } from '../blocks/models.js';
import { invitations } from '../src/db/schema/invitations.js';
import { members } from '../src/db/schema/members.js';
import type { Actor } from '../src/domain/actor.js';
import { checkTeamChange } from '../src/domain/team.js';
import { userKey, type Role } from '../src/domain/users.js';
import type { Services } from '../src/services.js';
import { countActive } from './environment-queries.js';
import { closeAfterCommit } from './invitations.js';
import { authorize } from './roles.js';
import { auditTeam, changeTeam, teamChangeFacts, upsertMember, type TeamTarget } from './team-change.js';

export interface TeamChangeInput {
  actor: Actor;
  target: TeamTarget;
  requestId: string;
  channelId?: string;
}

/**
 * `/team role`: an admin sets the role of someone in the team (in `open` mode, of anyone not removed). The change and
 * its `member.role_changed` entry commit together; a refusal is audited with its reason.
 */
export async function setRole(s: Services, input: TeamChangeInput & { role: Role }): Promise<{ previous: Role; role: Role }> {
  const entry = { eventType: 'member.role_changed', actor: input.actor, target: input.target, requestId: input.requestId, channelId: input.channelId ?? null } as const;
  return changeTeam(s, { ...entry, details: { to: input.role } }, async (tx) => {
    const facts = await teamChangeFacts(s, tx, input.actor, input.target);
    checkTeamChange({ kind: 'role', role: input.role }, facts);
    const previous = facts.targetStanding.kind === 'member' ? facts.targetStanding.role : 'member';
    await upsertMember(s, tx, input.target, input.role, userKey(input.actor.user));
    await auditTeam(s, tx, { ...entry, details: { from: previous, to: input.role } });
    return { previous, role: input.role };
  });
}

export interface Removal {
  previous: Role;
  /** Labs the removed person owns that are still active: they keep running. */
  activeLabs: number;
  /** The pending invitation of theirs that was withdrawn. */
  withdrawn?: string | undefined;
}

/**
 * `/team remove`: the person keeps their row, marked removed (when and by whom), and is refused from then on; their
 * labs keep running. A pending invitation of theirs is withdrawn: only a new one brings them back.
 */
export async function removeMember(s: Services, input: TeamChangeInput): Promise<Removal> {
  const entry = { eventType: 'member.removed', actor: input.actor, target: input.target, requestId: input.requestId, channelId: input.channelId ?? null } as const;
  const removal = await changeTeam(s, entry, async (tx) => {
    const facts = await teamChangeFacts(s, tx, input.actor, input.target);
    checkTeamChange({ kind: 'remove' }, facts);
    const previous = facts.targetStanding.kind === 'member' ? facts.targetStanding.role : 'member';
    const now = s.clock.now();
    const by = userKey(input.actor.user);
    await tx
      .insert(members)
      .values({ platform: input.target.platform, userId: input.target.id, displayName: input.target.name, role: previous, updatedAt: now, updatedBy: by, addedAt: now, addedBy: by, removedAt: now, removedBy: by })
      .onConflictDoUpdate({ target: [members.platform, members.userId], set: { removedAt: now, removedBy: by, updatedAt: now, updatedBy: by } });
    const activeLabs = await countActive(s, input.target, tx);
    const withdrawn = await tx
      .update(invitations)
      .set({ state: 'withdrawn', answeredAt: now })
      .where(and(eq(invitations.platform, input.target.platform), eq(invitations.inviteeId, input.target.id), eq(invitations.state, 'pending')))
      .returning({ id: invitations.id });
    const details = { role: previous, active_labs: activeLabs, ...(withdrawn[0] ? { withdrawn_invitation: withdrawn[0].id } : {}) };
    await auditTeam(s, tx, { ...entry, details });
    return { previous, activeLabs, withdrawn: withdrawn[0]?.id };
  });
  if (removal.withdrawn) await closeAfterCommit(s, removal.withdrawn);
  return removal;
}

/** `/team list`: the people with a row, the pending invitations and the removed people of the actor's platform. */
export async function listTeam(s: Services, actor: Actor): Promise<TeamModel> {
  await authorize(s, actor, 'read');
  const platform = actor.user.platform;
  const rows = await s.db.select().from(members).where(eq(members.platform, platform)).orderBy(asc(members.addedAt), asc(members.userId));
  const names = new Map(rows.map((row) => [userKey({ platform: row.platform, id: row.userId }), row.displayName || row.userId]));
  const person = (key: string | null): TeamMemberModel['addedBy'] => {
    if (key === null || key === 'config') return null;
    const id = key.slice(key.indexOf(':') + 1);
    return { id, name: names.get(key) ?? id };
  };
  const toModel = (row: (typeof rows)[number]): TeamMemberModel => ({
    id: row.userId,
    name: row.displayName || row.userId,
    role: row.role,
    addedAt: row.addedAt,
    addedBy: person(row.addedBy),
    removedAt: row.removedAt,
    removedBy: person(row.removedBy),
  });
  const pending = await s.db
    .select()
    .from(invitations)
    .where(and(eq(invitations.platform, platform), eq(invitations.state, 'pending')))
    .orderBy(asc(invitations.expiresAt));
  return {
    access: s.config.WORKSPACE_ACCESS,
    members: rows.filter((row) => row.removedAt === null).map(toModel),
    removed: rows.filter((row) => row.removedAt !== null).map(toModel),
    invitations: pending.map((invitation) => ({
      id: invitation.id,
      inviteeId: invitation.inviteeId,
      inviteeName: invitation.inviteeName,
      role: invitation.role,
      invitedBy: { id: invitation.invitedBy, name: invitation.invitedByName },
      expiresAt: invitation.expiresAt,
    })),
  };
}
