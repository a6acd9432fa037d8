import { createHash } from 'node:crypto';
import { and, count, eq, isNull, ne, sql } from 'drizzle-orm';
import { appendAudit } from '../src/audit/append.js';
import type { AuditEventType } from '../src/audit/events.js';
import { actedBy } from '../src/audit/types.js';
import type { Tx } from '../src/db/client.js';
import { members } from '../src/db/schema/members.js';
import type { Actor } from '../src/domain/actor.js';
import { standingOf, type TeamChangeFacts } from '../src/domain/team.js';
import { userKey, type Platform, type Role, type UserRef } from '../src/domain/users.js';
import { isAppError, outcomeOf } from '../src/errors.js';
import type { Services } from '../src/services.js';
import { authorize, memberOf } from './roles.js';

/**
 * What every change to the team shares: one change at a time per platform (so two admins cannot demote each other
 * into no admin at all, and an answer cannot race an expiry), the facts the rules read, and the audit entry of a
 * refusal.
 */

/** A person a team change is about, as the door resolved them. */
export type TeamTarget = Pick<UserRef, 'platform' | 'id'> & { name: string };

/** Serialises the team changes of a platform until the transaction ends. */
export async function lockTeam(tx: Tx, platform: Platform): Promise<void> {
  const key = createHash('sha256').update(`team-lock:${platform}`).digest().readBigInt64BE(0).toString();
  await tx.execute(sql`select pg_advisory_xact_lock(${key}::bigint)`);
}

/** Admins of the platform still in the team. */
export async function countActiveAdmins(tx: Tx, platform: Platform): Promise<number> {
  const [row] = await tx
    .select({ value: count() })
    .from(members)
    .where(and(eq(members.platform, platform), eq(members.role, 'admin'), isNull(members.removedAt)));
  return row?.value ?? 0;
}

/** Locks the team, authorises the actor and reads what the rules need about the target, all in `tx`. */
export async function teamChangeFacts(s: Services, tx: Tx, actor: Actor, target: TeamTarget): Promise<TeamChangeFacts> {
  await lockTeam(tx, target.platform);
  const actorRole = await authorize(s, actor, 'change', tx);
  await rememberName(tx, actor.user);
  return {
    actor: actor.user,
    actorRole,
    target,
    targetStanding: standingOf(await memberOf(tx, target), s.config.WORKSPACE_ACCESS),
    targetIsConfiguredAdmin: s.config.ADMINS.includes(userKey(target)),
    activeAdmins: await countActiveAdmins(tx, target.platform),
  };
}

/** Keeps the name the team list shows for someone current (rows of the configuration start without one). */
async function rememberName(tx: Tx, user: UserRef): Promise<void> {
  if (!user.name) return;
  await tx
    .update(members)
    .set({ displayName: user.name })
    .where(and(eq(members.platform, user.platform), eq(members.userId, user.id), ne(members.displayName, user.name)));
}

export interface TeamEntry {
  eventType: AuditEventType;
  actor: Actor;
  target: TeamTarget;
  details: Record<string, unknown>;
  requestId: string | null;
  channelId?: string | null;
}

/** Writes a team event about the target (the member is the resource) in the caller's transaction. */
export async function auditTeam(s: Services, tx: Tx, entry: TeamEntry): Promise<void> {
  await appendAudit(tx, s.clock, {
    eventType: entry.eventType,
    ...actedBy(entry.actor, { target: entry.target.name, ...entry.details }),
    platform: entry.target.platform,
    channelId: entry.channelId ?? null,
    resource: memberResource(entry.target),
    outcome: 'ok',
    requestId: entry.requestId,
  });
}

export function memberResource(target: Pick<UserRef, 'platform' | 'id'>): { type: string; id: string } {
  return { type: 'member', id: userKey(target) };
}

/**
 * Runs a team change in one transaction. A refusal rolls it back whole and is then written as the change's own
 * event, with the refusal's outcome and reason, before it reaches the user.
 */
export async function changeTeam<T>(s: Services, refused: Omit<TeamEntry, 'details'> & { details?: Record<string, unknown> }, change: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await s.db.transaction(change);
  } catch (error) {
    if (isAppError(error)) {
      await s.db.transaction(async (tx) => {
        await appendAudit(tx, s.clock, {
          eventType: refused.eventType,
          ...actedBy(refused.actor, { target: refused.target.name, ...refused.details, reason: error.code }),
          platform: refused.target.platform,
          channelId: refused.channelId ?? null,
          resource: memberResource(refused.target),
          outcome: outcomeOf(error),
          requestId: refused.requestId,
        });
      });
    }
    throw error;
  }
}

/** Writes the member's row for a role they now have: a new row, an update, or their return after a removal. */
export async function upsertMember(s: Services, tx: Tx, target: TeamTarget, role: Role, by: string): Promise<void> {
  const now = s.clock.now();
  const existing = await memberOf(tx, target);
  if (!existing) {
    await tx.insert(members).values({
      platform: target.platform,
      userId: target.id,
      displayName: target.name,
      role,
      updatedAt: now,
      updatedBy: by,
      addedAt: now,
      addedBy: by,
    });
    return;
  }
  const returning = existing.removedAt !== null;
  await tx
    .update(members)
    .set({
      role,
      displayName: target.name || existing.displayName,
      updatedAt: now,
      updatedBy: by,
      ...(returning ? { addedAt: now, addedBy: by, removedAt: null, removedBy: null } : {}),
    })
    .where(and(eq(members.platform, target.platform), eq(members.userId, target.id)));
}
