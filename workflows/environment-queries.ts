import { and, asc, count, desc, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../src/db/client.js';
import { preparedPerDb } from '../src/db/prepared.js';
import { auditLog, type AuditRow } from '../src/db/schema/audit.js';
import { environments, type EnvironmentRow } from '../src/db/schema/environments.js';
import { ACTIVE_STATES, type EnvState } from '../src/domain/lifecycle.js';
import { canSeeAllEnvironments } from '../src/domain/policy.js';
import type { Actor } from '../src/domain/actor.js';
import type { UserRef } from '../src/domain/users.js';
import { AppError } from '../src/errors.js';
import type { Services } from '../src/services.js';
import { authorize } from './roles.js';

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

/** Every job about a lab starts by reading it. */
const environmentByIdOf = preparedPerDb((db) => db.select().from(environments).where(eq(environments.id, sql.placeholder('envId'))).prepare('environment_by_id'));

/** The user's environments, newest first; with `all`, everyone's (admins only). */
export async function listEnvironments(s: Services, input: { actor: Actor; all: boolean }): Promise<EnvironmentRow[]> {
  const role = await authorize(s, input.actor, 'read');
  if (input.all && !canSeeAllEnvironments(role)) {
    throw new AppError('forbidden', 'Only admins can list everyone’s environments.', { hint: 'Use `/env list` for yours.' });
  }
  if (!input.all) return ownLabsOf(s.db).execute({ platform: input.actor.user.platform, ownerId: input.actor.user.id });
  return s.db.select().from(environments).orderBy(desc(environments.requestedAt)).limit(100);
}

/** A user's own environments, newest first (at most 100): `/env list`, which every member runs, as a prepared statement. */
const ownLabsOf = preparedPerDb((db) =>
  db
    .select()
    .from(environments)
    .where(and(eq(environments.platform, sql.placeholder('platform')), eq(environments.ownerId, sql.placeholder('ownerId'))))
    .orderBy(desc(environments.requestedAt))
    .limit(100)
    .prepare('own_labs'),
);

/**
 * The environments an actor may see, newest first (at most 100): everyone's for admins (unless `mineOnly`), their own
 * for everyone else; only those in `state` when given.
 */
export async function listVisibleEnvironments(
  s: Services,
  input: { actor: Actor; mineOnly: boolean; state?: EnvState },
): Promise<EnvironmentRow[]> {
  const role = await authorize(s, input.actor, 'read');
  const all = canSeeAllEnvironments(role) && !input.mineOnly;
  const mine = and(eq(environments.platform, input.actor.user.platform), eq(environments.ownerId, input.actor.user.id));
  return s.db
    .select()
    .from(environments)
    .where(and(all ? undefined : mine, input.state === undefined ? undefined : eq(environments.state, input.state)))
    .orderBy(desc(environments.requestedAt))
    .limit(100);
}

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
