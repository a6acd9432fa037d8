import { and, eq, inArray, sql } from 'drizzle-orm';
import { appendAudit } from '../src/audit/append.js';
import type { AuditActor, AuditEntryInput } from '../src/audit/types.js';
import type { Tx } from '../src/db/client.js';
import { environments, type EnvironmentRow, type NewEnvironmentRow } from '../src/db/schema/environments.js';
import { assertTransition, type EnvState } from '../src/domain/lifecycle.js';
import type { UserRef } from '../src/domain/users.js';
import { AppError } from '../src/errors.js';
import type { Services } from '../src/services.js';

/** The audit actor for a chat user. */
export function userActor(user: UserRef): AuditActor {
  return { type: 'user', id: user.id, name: user.name };
}

/** The owner of an environment as a user reference. */
export function ownerOf(env: EnvironmentRow): UserRef {
  return { platform: env.platform, id: env.ownerId, name: env.ownerName };
}

/** Appends an audit event about an environment inside the caller's transaction. */
export function auditEnvironment(
  s: Services,
  tx: Tx,
  env: EnvironmentRow,
  entry: Omit<AuditEntryInput, 'resource' | 'platform' | 'outcome'> & { outcome?: AuditEntryInput['outcome'] },
): Promise<unknown> {
  return appendAudit(tx, s.clock, {
    ...entry,
    outcome: entry.outcome ?? 'ok',
    platform: env.platform,
    resource: { type: 'environment', id: env.id },
  });
}

/**
 * Moves an environment from one of `from` to `to` with a conditional UPDATE, so that of two concurrent attempts only
 * one wins. Returns the updated row, or undefined when the environment was not in a `from` state.
 */
export async function transition(
  s: Services,
  tx: Tx,
  envId: string,
  from: EnvState | readonly EnvState[],
  to: EnvState,
  patch: Partial<NewEnvironmentRow> = {},
): Promise<EnvironmentRow | undefined> {
  const fromStates = typeof from === 'string' ? [from] : [...from];
  for (const state of fromStates) assertTransition(state, to);
  const [row] = await tx
    .update(environments)
    .set({ ...patch, state: to, version: sql`${environments.version} + 1`, updatedAt: s.clock.now() })
    .where(and(eq(environments.id, envId), inArray(environments.state, fromStates)))
    .returning();
  return row;
}

/** Reads an environment, locking its row until the transaction ends; `not_found` when there is none. */
export async function lockEnvironment(tx: Tx, envId: string): Promise<EnvironmentRow> {
  const [row] = await tx.select().from(environments).where(eq(environments.id, envId)).for('update');
  if (!row) throw notFound(envId);
  return row;
}

export function notFound(envId: string): AppError {
  return new AppError('not_found', `There is no environment ${envId}.`, { hint: '`/env list` shows your environments.' });
}

/**
 * Enqueues the jobs that follow a committed change. A failure here (Redis down) must not undo or misreport the change:
 * it is logged, and the reconciler re-drives the missing work from Postgres within a minute.
 */
export async function enqueueAfterCommit(s: Services, envId: string, adds: (() => Promise<void>)[]): Promise<void> {
  for (const add of adds) {
    try {
      await add();
    } catch (error) {
      s.log.warn({ err: error, envId }, 'could not enqueue a job; the reconciler will re-drive it');
    }
  }
}
