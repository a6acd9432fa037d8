import { createHash } from 'node:crypto';
import { and, eq, getTableColumns, inArray, sql, type SQL } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { appendAudit, appendedValues, appendPreparedWhen, appendWhen, observeAppended } from '../src/audit/append.js';
import type { AuditEntryInput } from '../src/audit/types.js';
import type { Db, DbOrTx, Tx } from '../src/db/client.js';
import { preparedPerDb } from '../src/db/prepared.js';
import type { SessionDb } from '../src/db/session.js';
import { environments, type EnvironmentRow, type NewEnvironmentRow } from '../src/db/schema/environments.js';
import { assertTransition, type EnvState } from '../src/domain/lifecycle.js';
import type { Services } from '../src/services.js';

/**
 * The parts of every change to an environment: the conditional state transition, the audit entry written in the same
 * transaction, and the jobs enqueued once it has committed.
 */

/** What a writer says about an environment; the platform and the resource come from the environment. */
export type EnvironmentEntry = Omit<AuditEntryInput, 'resource' | 'platform' | 'outcome'> & { outcome?: AuditEntryInput['outcome'] };

/** The entry as appended: about the environment, on its platform, `ok` unless the writer says otherwise. */
export function environmentEntry(env: Pick<EnvironmentRow, 'id' | 'platform'>, entry: EnvironmentEntry): AuditEntryInput {
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
  const fromStates = checkedMove(from, to);
  return db
    .update(environments)
    .set({ ...patch, state: to, version: sql`${environments.version} + 1`, updatedAt: s.clock.now() })
    .where(and(eq(environments.id, envId), inArray(environments.state, fromStates)))
    .returning();
}

/** The states a move may start from, each checked against the lifecycle. */
function checkedMove(from: EnvState | readonly EnvState[], to: EnvState): EnvState[] {
  const fromStates = typeof from === 'string' ? [from] : [...from];
  for (const state of fromStates) assertTransition(state, to);
  return fromStates;
}

/**
 * `transition` and the audit entries that record it as one statement: the UPDATE, and the entries written only when
 * it moved the row. One round trip; outside a transaction it commits alone, so the change and its entries commit
 * together or not at all. For a caller that has read the environment already: the entries take its id and platform
 * (which no transition changes). Returns the updated row, or undefined when the environment was not in a `from` state.
 * Inside a transaction, `alongside` is another write of the same change in the same statement (the decision of a
 * plan), which runs only when the move does: it is given the condition to write under.
 */
export async function transitionAudited(
  s: Services,
  db: DbOrTx,
  env: Pick<EnvironmentRow, 'id' | 'platform'>,
  from: EnvState | readonly EnvState[],
  to: EnvState,
  patch: Partial<NewEnvironmentRow>,
  entries: readonly EnvironmentEntry[],
  alongside?: (whenMoved: SQL) => SQL,
): Promise<EnvironmentRow | undefined> {
  if (!(db instanceof PgTransaction)) {
    if (alongside) throw new Error('a move with another write runs inside a transaction');
    return runPreparedMove(s, db, env, from, to, patch, entries);
  }
  const started = performance.now();
  const inputs = entries.map((entry) => environmentEntry(env, entry));
  const whenMoved = sql`exists (select 1 from moved)`;
  const moved = db.$with('moved').as(conditionalUpdate(s, db, env.id, from, to, patch));
  const audit = db.$with('audit', {}).as(appendWhen(s.clock, inputs, whenMoved));
  const writes = alongside ? [moved, audit, db.$with('alongside', {}).as(alongside(whenMoved))] : [moved, audit];
  const [row] = await db.with(...writes).select().from(moved);
  if (row) observeAppended(entries.length, (performance.now() - started) / 1000);
  return row;
}

/**
 * `transitionAudited` on the connection that holds the lab's lock (`acquireEnvLock`, keyed `lockKey`): a move that
 * happens gives the lock back in the same statement (a moment before it commits: whoever takes the lock next finds
 * the lab moved or waits on its row until it is). When the lab was not in a `from` state, the lock is still held.
 */
export async function transitionAuditedUnlocking(
  s: Services,
  session: SessionDb,
  env: Pick<EnvironmentRow, 'id' | 'platform'>,
  from: EnvState | readonly EnvState[],
  to: EnvState,
  patch: Partial<NewEnvironmentRow>,
  entries: readonly EnvironmentEntry[],
  lockKey: string,
): Promise<EnvironmentRow | undefined> {
  return runPreparedMove(s, session, env, from, to, patch, entries, lockKey);
}

/** A move and its entries as the prepared statement of their shape, giving back the lab's lock when `lockKey` is given. */
async function runPreparedMove(
  s: Services,
  db: Db | SessionDb,
  env: Pick<EnvironmentRow, 'id' | 'platform'>,
  from: EnvState | readonly EnvState[],
  to: EnvState,
  patch: Partial<NewEnvironmentRow>,
  entries: readonly EnvironmentEntry[],
  lockKey?: string,
): Promise<EnvironmentRow | undefined> {
  const started = performance.now();
  const inputs = entries.map((entry) => environmentEntry(env, entry));
  const shape = moveShapeOf(from, to, patch, inputs.length, lockKey !== undefined);
  const values = appendedValues(s.clock, inputs, { ...patch, ...(lockKey === undefined ? {} : { lockKey }), envId: env.id, updatedAt: s.clock.now() });
  const [row] = await preparedMove(db, shape).execute(values);
  if (!row) return undefined;
  observeAppended(entries.length, (performance.now() - started) / 1000);
  const { unlocked: _unlocked, ...moved } = row;
  return moved;
}

/**
 * What the text of a move's statement depends on: the states, the columns it sets (to a value or to null), how many
 * entries, and whether it gives back the lab's lock.
 */
interface MoveShape {
  from: EnvState[];
  to: EnvState;
  columns: (keyof NewEnvironmentRow)[];
  nullColumns: (keyof NewEnvironmentRow)[];
  entries: number;
  unlock: boolean;
  key: string;
}

function moveShapeOf(from: EnvState | readonly EnvState[], to: EnvState, patch: Partial<NewEnvironmentRow>, entries: number, unlock: boolean): MoveShape {
  const fromStates = checkedMove(from, to);
  const set = (Object.keys(patch) as (keyof NewEnvironmentRow)[]).filter((column) => patch[column] !== undefined).sort();
  const columns = set.filter((column) => patch[column] !== null);
  const nullColumns = set.filter((column) => patch[column] === null);
  const key = `${fromStates.join(',')}>${to}|${columns.join(',')}|${nullColumns.join(',')}|${entries}${unlock ? '|unlock' : ''}`;
  return { from: fromStates, to, columns, nullColumns, entries, unlock, key };
}

/**
 * A move outside a transaction runs as a prepared statement, one per shape and database handle: drizzle builds its
 * text once, and Postgres parses and plans it once per connection, where every lab's deploy runs the same moves.
 */
const preparedMovesOf = preparedPerDb((_db: Db | SessionDb) => new Map<string, PreparedMove>());
type PreparedMove = ReturnType<typeof prepareMove>;

function preparedMove(db: Db | SessionDb, shape: MoveShape): PreparedMove {
  const moves = preparedMovesOf(db);
  let move = moves.get(shape.key);
  if (!move) {
    move = prepareMove(db, shape);
    moves.set(shape.key, move);
  }
  return move;
}

function prepareMove(db: Db | SessionDb, shape: MoveShape) {
  const columns = getTableColumns(environments);
  const placeholder = (column: keyof NewEnvironmentRow) => sql`${sql.param(sql.placeholder(column), columns[column])}`;
  const set: Partial<Record<keyof NewEnvironmentRow, SQL>> = {};
  for (const column of shape.columns) set[column] = placeholder(column);
  for (const column of shape.nullColumns) set[column] = sql`null`;
  const update = db
    .update(environments)
    .set({ ...set, state: shape.to, version: sql`${environments.version} + 1`, updatedAt: placeholder('updatedAt') })
    .where(and(eq(environments.id, sql.placeholder('envId')), inArray(environments.state, shape.from)))
    // Evaluated for the moved row only: the lock goes back when the move happens.
    .returning({ ...columns, unlocked: shape.unlock ? sql<boolean>`pg_advisory_unlock(${sql.placeholder('lockKey')}::bigint)`.as('unlocked') : sql<boolean>`false`.as('unlocked') });
  const moved = db.$with('moved').as(update);
  const audit = db.$with('audit', {}).as(appendPreparedWhen(shape.entries, sql`exists (select 1 from moved)`));
  return db
    .with(moved, audit)
    .select()
    .from(moved)
    .prepare(`move_${createHash('sha256').update(shape.key).digest('hex').slice(0, 24)}`);
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
