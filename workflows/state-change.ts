import { and, eq, inArray, sql } from 'drizzle-orm';
import { appendAudit, appendWhen, observeAppended } from '../src/audit/append.js';
import type { AuditEntryInput } from '../src/audit/types.js';
import type { DbOrTx, Tx } from '../src/db/client.js';
import { environments, type EnvironmentRow, type NewEnvironmentRow } from '../src/db/schema/environments.js';
import { assertTransition, type EnvState } from '../src/domain/lifecycle.js';
import type { Services } from '../src/services.js';

/**
 * The parts of every change to an environment: the conditional state transition, the audit entry written in the same
 * transaction, and the jobs enqueued once it has committed.
 */

/** What a writer says about an environment; the platform and the resource come from the environment. */
export type EnvironmentEntry = Omit<AuditEntryInput, 'resource' | 'platform' | 'outcome'> & { outcome?: AuditEntryInput['outcome'] };

function environmentEntry(env: Pick<EnvironmentRow, 'id' | 'platform'>, entry: EnvironmentEntry): AuditEntryInput {
  return { ...entry, outcome: entry.outcome ?? 'ok', platform: env.platform, resource: { type: 'environment', id: env.id } };
}

/** Appends an audit event about an environment inside the caller's transaction. */
export function auditEnvironment(s: Services, tx: Tx, env: EnvironmentRow, entry: EnvironmentEntry): Promise<unknown> {
  return appendAudit(tx, s.clock, environmentEntry(env, entry));
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
  const [row] = await conditionalUpdate(s, tx, envId, from, to, patch);
  return row;
}

/** The conditional UPDATE of a transition, returning the updated row; the move itself is checked against the lifecycle. */
function conditionalUpdate(s: Services, db: DbOrTx, envId: string, from: EnvState | readonly EnvState[], to: EnvState, patch: Partial<NewEnvironmentRow>) {
  const fromStates = typeof from === 'string' ? [from] : [...from];
  for (const state of fromStates) assertTransition(state, to);
  return db
    .update(environments)
    .set({ ...patch, state: to, version: sql`${environments.version} + 1`, updatedAt: s.clock.now() })
    .where(and(eq(environments.id, envId), inArray(environments.state, fromStates)))
    .returning();
}

/**
 * `transition` and the audit entries that record it as one statement: the UPDATE, and the entries written only when
 * it moved the row. One round trip; outside a transaction it commits alone, so the change and its entries commit
 * together or not at all. For a caller that has read the environment already: the entries take its id and platform
 * (which no transition changes). Returns the updated row, or undefined when the environment was not in a `from` state.
 */
export async function transitionAudited(
  s: Services,
  db: DbOrTx,
  env: Pick<EnvironmentRow, 'id' | 'platform'>,
  from: EnvState | readonly EnvState[],
  to: EnvState,
  patch: Partial<NewEnvironmentRow>,
  entries: readonly EnvironmentEntry[],
): Promise<EnvironmentRow | undefined> {
  const started = performance.now();
  const moved = db.$with('moved').as(conditionalUpdate(s, db, env.id, from, to, patch));
  const audit = db.$with('audit', {}).as(appendWhen(s.clock, entries.map((entry) => environmentEntry(env, entry)), sql`exists (select 1 from moved)`));
  const [row] = await db.with(moved, audit).select().from(moved);
  if (row) observeAppended(entries.length, (performance.now() - started) / 1000);
  return row;
}

/**
 * A new environment's row and the audit entries that record its creation as one statement: the INSERT, and the
 * entries written with it. One round trip; inside the caller's transaction they commit with it. Returns the row.
 */
export async function insertAudited(s: Services, db: DbOrTx, values: NewEnvironmentRow, entries: readonly EnvironmentEntry[]): Promise<EnvironmentRow> {
  const started = performance.now();
  const created = db.$with('created').as(db.insert(environments).values(values).returning());
  const audit = db.$with('audit', {}).as(appendWhen(s.clock, entries.map((entry) => environmentEntry(values, entry)), sql`exists (select 1 from created)`));
  const [row] = await db.with(created, audit).select().from(created);
  observeAppended(entries.length, (performance.now() - started) / 1000);
  return row!;
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
