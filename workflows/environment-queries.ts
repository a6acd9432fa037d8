import { and, asc, count, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db, DbOrTx, Tx } from '../src/db/client.js';
import type pg from 'pg';
import { preparedPerDb } from '../src/db/prepared.js';
import { sessionDbOf, type SessionDb } from '../src/db/session.js';
import { auditLog, type AuditRow } from '../src/db/schema/audit.js';
import { environments, type EnvironmentRow } from '../src/db/schema/environments.js';
import { members } from '../src/db/schema/members.js';
import { ACTIVE_STATES, type EnvState } from '../src/domain/lifecycle.js';
import { canSeeAllEnvironments } from '../src/domain/policy.js';
import type { Actor } from '../src/domain/actor.js';
import type { MemberFacts } from '../src/domain/team.js';
import type { UserRef } from '../src/domain/users.js';
import { AppError } from '../src/errors.js';
import type { Services } from '../src/services.js';
import { authorize, MEMBER_FACTS, standingFrom } from './roles.js';

/** Reading environments: one by id (or locked for a change), a user's list, what counts against the quota, the history. */

/** Reads an environment, locking its row until the transaction ends; `not_found` when there is none. */
export async function lockEnvironment(tx: Tx, envId: string): Promise<EnvironmentRow> {
  const [row] = await tx.select().from(environments).where(eq(environments.id, envId)).for('update');
  if (!row) throw notFound(envId);
  return row;
}

export function notFound(envId: string): AppError {
  return new AppError('not_found', `There is no environment ${envId}.`, { hint: '`/env list` shows your environments.' });
}

/** The owner of an environment as a user reference. */
export function ownerOf(env: EnvironmentRow): UserRef {
  return { platform: env.platform, id: env.ownerId, name: env.ownerName };
}

export async function getEnvironment(s: Pick<Services, 'db'>, envId: string): Promise<EnvironmentRow> {
  const [row] = await environmentByIdOf(s.db).execute({ envId });
  if (!row) throw notFound(envId);
  return row;
}

/**
 * Tries the lab's lock (`acquireEnvLock`, keyed `key`) on the connection `client` holds it on, and reads the lab in
 * the same statement: a job that works under the lock reads what it works on with the lock, one round trip for both.
 * No row, and no lock tried, when there is no such lab.
 */
export async function lockAndReadEnvironment(client: pg.PoolClient, key: string, envId: string): Promise<{ locked: boolean; env: EnvironmentRow } | undefined> {
  const [row] = await environmentLockedOf(sessionDbOf(client)).execute({ key, envId });
  return row;
}

const environmentLockedOf = preparedPerDb((db: SessionDb) =>
  db
    .select({ locked: sql<boolean>`pg_try_advisory_lock(${sql.placeholder('key')}::bigint)`, env: environments })
    .from(environments)
    .where(eq(environments.id, sql.placeholder('envId')))
    .prepare('environment_locked'),
);

/** Every job about a lab starts by reading it. */
const environmentByIdOf = preparedPerDb((db) => db.select().from(environments).where(eq(environments.id, sql.placeholder('envId'))).prepare('environment_by_id'));

/**
 * The user's environments, newest first; with `all`, everyone's (admins only). A user's own are read with their
 * standing in one statement, which the read is then authorised on (the same moment, one round trip less).
 */
export async function listEnvironments(s: Services, input: { actor: Actor; all: boolean }): Promise<EnvironmentRow[]> {
  if (!input.all) {
    const own = await ownLabsWithFacts(s.db, input.actor.user);
    await authorize(s, { ...input.actor, standingAtRequest: input.actor.standingAtRequest ?? standingFrom(s, own.facts) }, 'read');
    return own.labs;
  }
  const role = await authorize(s, input.actor, 'read');
  if (!canSeeAllEnvironments(role)) {
    throw new AppError('forbidden', 'Only admins can list everyone’s environments.', { hint: 'Use `/env list` for yours.' });
  }
  return listsOf(s.db).everyones.all.execute({});
}

/** A user's own environments, newest first (at most 100), and what the members table holds for them (null: no row). */
export async function ownLabsWithFacts(db: Db, user: Pick<UserRef, 'platform' | 'id'>): Promise<{ labs: EnvironmentRow[]; facts: MemberFacts | null }> {
  const rows = await ownLabsOf(db).execute({ platform: user.platform, ownerId: user.id });
  return { labs: rows.flatMap((row) => (row.env ? [row.env] : [])), facts: rows[0]?.member ?? null };
}

/**
 * One statement: each of the user's environments beside their member facts, and one row with no environment when they
 * have none. `/env list`, which every member runs, as a prepared statement.
 */
const ownLabsOf = preparedPerDb((db) => {
  const platform = sql`${sql.placeholder('platform')}`;
  const ownerId = sql`${sql.placeholder('ownerId')}`;
  return db
    .select({ member: MEMBER_FACTS, env: environments })
    .from(sql`(select 1) as one`)
    .leftJoin(members, and(eq(members.platform, platform), eq(members.userId, ownerId)))
    .leftJoin(environments, and(eq(environments.platform, platform), eq(environments.ownerId, ownerId)))
    .orderBy(desc(environments.requestedAt))
    .limit(100)
    .prepare('own_labs');
});

/**
 * The environments an actor may see, newest first (at most 100): everyone's for admins (unless `mineOnly`), their own
 * for everyone else; only those in `state` when given.
 */
export async function listVisibleEnvironments(
  s: Services,
  input: { actor: Actor; mineOnly: boolean; state?: EnvState },
): Promise<EnvironmentRow[]> {
  const role = await authorize(s, input.actor, 'read');
  const lists = listsOf(s.db);
  const { user } = input.actor;
  const list = canSeeAllEnvironments(role) && !input.mineOnly ? lists.everyones : lists.own;
  // A statement takes the placeholders it has and leaves the others.
  return (input.state === undefined ? list.all : list.inState).execute({ platform: user.platform, ownerId: user.id, state: input.state });
}

/**
 * The lists of `listVisibleEnvironments` and `/env list all`, newest first (at most 100): everyone's or a user's own,
 * all or in one state, each a prepared statement, since the REST API runs them on every list request.
 */
const listsOf = preparedPerDb((db) => {
  const prepare = (own: boolean, inState: boolean, name: string) =>
    db
      .select()
      .from(environments)
      .where(
        and(
          own ? and(eq(environments.platform, sql.placeholder('platform')), eq(environments.ownerId, sql.placeholder('ownerId'))) : undefined,
          inState ? eq(environments.state, sql.placeholder('state')) : undefined,
        ),
      )
      .orderBy(desc(environments.requestedAt))
      .limit(100)
      .prepare(name);
  return {
    everyones: { all: prepare(false, false, 'labs_everyones'), inState: prepare(false, true, 'labs_everyones_in_state') },
    own: { all: prepare(true, false, 'labs_own'), inState: prepare(true, true, 'labs_own_in_state') },
  };
});

/** Environments of a user that count against the quota. */
export async function countActive(s: Pick<Services, 'db'>, owner: Pick<UserRef, 'platform' | 'id'>, db: DbOrTx = s.db): Promise<number> {
  const [row] = await db
    .select({ value: count() })
    .from(environments)
    .where(
      and(
        eq(environments.platform, owner.platform),
        eq(environments.ownerId, owner.id),
        inArray(environments.state, [...ACTIVE_STATES]),
      ),
    );
  return row?.value ?? 0;
}

/** The audit entries about one environment, oldest first. */
export async function environmentHistory(s: Pick<Services, 'db'>, envId: string): Promise<AuditRow[]> {
  return s.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.resourceType, 'environment'), eq(auditLog.resourceId, envId)))
    .orderBy(asc(auditLog.id))
    .limit(200);
}
