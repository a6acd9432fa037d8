import { and, eq, inArray, sql } from 'drizzle-orm';
import { appendAudit } from '../src/audit/append.js';
import type { AuditEntryInput } from '../src/audit/types.js';
import type { Tx } from '../src/db/client.js';
import { environments, type EnvironmentRow, type NewEnvironmentRow } from '../src/db/schema/environments.js';
import { assertTransition, type EnvState } from '../src/domain/lifecycle.js';
import type { Services } from '../src/services.js';

/**
 * The parts of every change to an environment: the conditional state transition, the audit entry written in the same
 * transaction, and the jobs enqueued once it has committed.
 */

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
