import { and, asc, eq, isNull, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { mention } from '../blocks/view.js';
import type { DbOrTx } from '../src/db/client.js';
import { preparedPerDb } from '../src/db/prepared.js';
import { members, type MemberRow } from '../src/db/schema/members.js';
import { mayChange, type Actor } from '../src/domain/actor.js';
import { notInTeam, standingOf, type MemberFacts, type Standing } from '../src/domain/team.js';
import type { Platform, Role, UserRef } from '../src/domain/users.js';
import { AppError } from '../src/errors.js';
import type { Services } from '../src/services.js';

/**
 * What the members table holds for a user now, or undefined when they have no row. Every command and click reads it
 * (through `authorize`): from the pool it runs a prepared statement; inside a transaction it is read there.
 */
export async function memberOf(db: DbOrTx, user: Pick<UserRef, 'platform' | 'id'>): Promise<MemberRow | undefined> {
  const [row] =
    db instanceof PgTransaction
      ? await db.select().from(members).where(and(eq(members.platform, user.platform), eq(members.userId, user.id)))
      : await memberLookupOf(db).execute({ platform: user.platform, userId: user.id });
  return row;
}

const memberLookupOf = preparedPerDb((db) =>
  db
    .select()
    .from(members)
    .where(and(eq(members.platform, sql.placeholder('platform')), eq(members.userId, sql.placeholder('userId'))))
    .prepare('member_of'),
);

/** A user's role as Postgres has it now; users without a row are members. */
export async function roleOf(s: Pick<Services, 'db'>, user: Pick<UserRef, 'platform' | 'id'>, db: DbOrTx = s.db): Promise<Role> {
  return (await memberOf(db, user))?.role ?? 'member';
}

/** A user's place in the team now: their row read against WORKSPACE_ACCESS. */
export async function standingNow(s: Pick<Services, 'db' | 'config'>, user: Pick<UserRef, 'platform' | 'id'>, db: DbOrTx = s.db): Promise<Standing> {
  return standingFrom(s, (await memberOf(db, user)) ?? null);
}

/**
 * For a query that reads a user's standing beside other rows (an API key and its owner, in one round trip): the
 * columns to select, the join condition from the user's platform and id columns, and the standing they give.
 */
export const MEMBER_FACTS = { role: members.role, removedAt: members.removedAt, removedBy: members.removedBy } as const;

export function memberRowOf(platform: AnyColumn, userId: AnyColumn): SQL {
  return and(eq(members.platform, platform), eq(members.userId, userId))!;
}

/** The standing the member facts give (null: the user has no row). */
export function standingFrom(s: Pick<Services, 'config'>, facts: MemberFacts | null): Standing {
  return standingOf(facts ?? undefined, s.config.WORKSPACE_ACCESS);
}

/** What an actor asks of the core: to read, or to change state. */
export type Access = 'read' | 'change';

/**
 * The role an actor acts with now, as Postgres holds it at decision time. Every workflow a door reaches authorises
 * through here, so each rule holds whichever door a request came through: someone not in the team (removed, or
 * never invited in `invite` mode) is refused with one answer naming who can add them back, and a change asked with
 * a `read` API key is refused before any role is read. A read decides on the standing the actor's request read with
 * its credential (`standingAtRequest`, the same moment, one round trip less); a change reads it again, in `db`.
 */
export async function authorize(s: Pick<Services, 'db' | 'config'>, actor: Actor, access: Access, db: DbOrTx = s.db): Promise<Role> {
  refuseReadOnlyChange(actor, access);
  const standing = access === 'read' && actor.standingAtRequest ? actor.standingAtRequest : await standingNow(s, actor.user, db);
  return authorizeStanding(actor, access, standing, db);
}

/**
 * `authorize` on a standing the caller has just read in `db` with the row it acts on (`MEMBER_FACTS`), in the
 * transaction of the change: the same rules, one round trip less.
 */
export async function authorizeStanding(actor: Actor, access: Access, standing: Standing, db: DbOrTx): Promise<Role> {
  refuseReadOnlyChange(actor, access);
  if (standing.kind !== 'member') throw notInTeam(standing, await adminMentions(db, actor.user.platform));
  return standing.role;
}

/** Refuses a change asked with a `read` API key: before anything is read for it. */
export function refuseReadOnlyChange(actor: Actor, access: Access): void {
  if (access === 'change' && !mayChange(actor)) {
    throw new AppError('read_only_key', `The API key "${actor.apiKey?.name ?? ''}" can only read.`, {
      hint: 'Use a key created with `--scope write` to change anything.',
    });
  }
}

/** The platform's admins in the team, as mention tokens: who can add someone back. */
async function adminMentions(db: DbOrTx, platform: Platform): Promise<string[]> {
  const rows = await db
    .select({ id: members.userId, name: members.displayName })
    .from(members)
    .where(and(eq(members.platform, platform), eq(members.role, 'admin'), isNull(members.removedAt)))
    .orderBy(asc(members.userId))
    .limit(5);
  return rows.map((row) => mention({ id: row.id, name: row.name || row.id }));
}

/**
 * Writes the roles named in ADMINS and APPROVERS, and `more` (the sandbox's people). Bootstrap admins are always restored, and back in the team if they
 * were out (so a config admin cannot be locked out); bootstrap approvers seed a row only where the user has none, so
 * what chat changed afterwards (a new role, a removal) stays changed across restarts.
 */
export async function bootstrapRoles(s: Services, more: readonly { key: string; role: Role }[] = []): Promise<void> {
  const now = s.clock.now();
  const entries: { key: string; role: Role }[] = [
    ...s.config.APPROVERS.map((key) => ({ key, role: 'approver' as const })),
    ...s.config.ADMINS.map((key) => ({ key, role: 'admin' as const })),
    ...more,
  ];
  for (const { key, role } of entries) {
    const [platform, id] = key.split(':') as [Platform, string];
    const insert = s.db.insert(members).values({ platform, userId: id, role, updatedAt: now, updatedBy: 'config', addedAt: now, addedBy: 'config' });
    if (role === 'admin') {
      await insert.onConflictDoUpdate({
        target: [members.platform, members.userId],
        set: { role, updatedAt: now, updatedBy: 'config', removedAt: null, removedBy: null },
      });
    } else {
      await insert.onConflictDoNothing();
    }
  }
}

/** Users in the team with a given role on a platform (to alert admins). */
export async function usersWithRole(s: Pick<Services, 'db'>, platform: Platform, role: Role): Promise<string[]> {
  const rows = await s.db
    .select({ userId: members.userId })
    .from(members)
    .where(and(eq(members.platform, platform), eq(members.role, role), isNull(members.removedAt)));
  return rows.map((row) => row.userId);
}
