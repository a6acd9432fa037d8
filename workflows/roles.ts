import { and, eq } from 'drizzle-orm';
import { appendAudit } from '../src/audit/append.js';
import { actedBy } from '../src/audit/types.js';
import type { DbOrTx } from '../src/db/client.js';
import { members } from '../src/db/schema/members.js';
import { mayChange, type Actor } from '../src/domain/actor.js';
import { canManageRoles } from '../src/domain/policy.js';
import { userKey, type Platform, type Role, type UserRef } from '../src/domain/users.js';
import { AppError } from '../src/errors.js';
import type { Services } from '../src/services.js';

/** A user's role as Postgres has it now; users without a row are members. */
export async function roleOf(s: Pick<Services, 'db'>, user: Pick<UserRef, 'platform' | 'id'>, db: DbOrTx = s.db): Promise<Role> {
  const [row] = await db
    .select({ role: members.role })
    .from(members)
    .where(and(eq(members.platform, user.platform), eq(members.userId, user.id)));
  return row?.role ?? 'member';
}

/** What an actor asks of the core: to read, or to change state. */
export type Access = 'read' | 'change';

/**
 * The role an actor acts with now, as Postgres holds it at decision time. Every workflow a door reaches authorises
 * through here, so each rule holds whichever door a request came through; a change asked with a `read` API key is
 * refused before any role is read.
 */
export async function authorize(s: Pick<Services, 'db'>, actor: Actor, access: Access, db: DbOrTx = s.db): Promise<Role> {
  if (access === 'change' && !mayChange(actor)) {
    throw new AppError('read_only_key', `The API key "${actor.apiKey?.name ?? ''}" can only read.`, {
      hint: 'Use a key created with `--scope write` to change anything.',
    });
  }
  return roleOf(s, actor.user, db);
}

export interface SetRoleInput {
  actor: Actor;
  target: { platform: Platform; id: string; name?: string };
  role: Role;
  requestId: string;
  channelId?: string;
}

/** Admins set roles; the change and its `member.role_changed` entry commit together. */
export async function setRole(s: Services, input: SetRoleInput): Promise<{ previous: Role; role: Role }> {
  return s.db.transaction(async (tx) => {
    const actorRole = await authorize(s, input.actor, 'change', tx);
    if (!canManageRoles(actorRole)) {
      throw new AppError('forbidden', 'Only admins can change roles.');
    }
    const previous = await roleOf(s, input.target, tx);
    const now = s.clock.now();
    await tx
      .insert(members)
      .values({
        platform: input.target.platform,
        userId: input.target.id,
        displayName: input.target.name ?? '',
        role: input.role,
        updatedAt: now,
        updatedBy: userKey(input.actor.user),
      })
      .onConflictDoUpdate({
        target: [members.platform, members.userId],
        set: { role: input.role, updatedAt: now, updatedBy: userKey(input.actor.user) },
      });
    await appendAudit(tx, s.clock, {
      eventType: 'member.role_changed',
      ...actedBy(input.actor, { from: previous, to: input.role, target: input.target.name ?? input.target.id }),
      platform: input.actor.user.platform,
      channelId: input.channelId ?? null,
      resource: { type: 'member', id: input.target.id },
      outcome: 'ok',
      requestId: input.requestId,
    });
    return { previous, role: input.role };
  });
}

/**
 * Writes the roles named in ADMINS and APPROVERS, and `more` (the sandbox's people). Bootstrap admins are always
 * restored (so a config admin cannot be locked out); bootstrap approvers are only added where the user has no role yet.
 */
export async function bootstrapRoles(s: Services, more: readonly { key: string; role: Exclude<Role, 'member'> }[] = []): Promise<void> {
  const now = s.clock.now();
  const entries: { key: string; role: Role }[] = [
    ...s.config.APPROVERS.map((key) => ({ key, role: 'approver' as const })),
    ...s.config.ADMINS.map((key) => ({ key, role: 'admin' as const })),
    ...more,
  ];
  for (const { key, role } of entries) {
    const [platform, id] = key.split(':') as [Platform, string];
    const insert = s.db.insert(members).values({ platform, userId: id, role, updatedAt: now, updatedBy: 'config' });
    if (role === 'admin') {
      await insert.onConflictDoUpdate({ target: [members.platform, members.userId], set: { role, updatedAt: now, updatedBy: 'config' } });
    } else {
      await insert.onConflictDoNothing();
    }
  }
}

/** Users with a given role on a platform (to alert admins). */
export async function usersWithRole(s: Pick<Services, 'db'>, platform: Platform, role: Role): Promise<string[]> {
  const rows = await s.db
    .select({ userId: members.userId })
    .from(members)
    .where(and(eq(members.platform, platform), eq(members.role, role)));
  return rows.map((row) => row.userId);
}
