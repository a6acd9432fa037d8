import { z } from 'zod';
import type { Logger } from '../../log.js';
import type { LabProgram, PulumiEngine, StackState } from './engine.js';

export interface RecoveryContext {
  engine: PulumiEngine;
  stack: string;
  signal: AbortSignal;
  log: Logger;
  /** Runs a stack-changing call, waiting while another update holds the stack. */
  whenFree<T>(call: () => Promise<T>): Promise<T>;
  /** The lab's program, for refreshes that must run it again (a lab deployed with a cloud key). */
  program?: LabProgram;
}

/**
 * Clears what an interrupted run (a crashed or killed worker) left in the stack, so the next deploy or destroy starts
 * from a state that matches the cloud. Never `pulumi cancel`: that would break a lock another update may hold.
 *
 * First `pulumi refresh --clear-pending-creates`: Pulumi's own repair, done under the stack's lock, reads every known
 * resource back from AWS and drops creates that never finished. Only if pending operations are still there (a CLI
 * whose refresh keeps them) is the state edited: export, drop them, import, and refresh again. A create that did finish
 * in AWS before the crash is no longer tracked after either path; its URN is logged, and it carries the lab's
 * `aithroyz:env` tag, so an operator can find it.
 *
 * Returns the number of pending operations found (0: nothing to do). `state` is the export the caller already has.
 */
export async function recoverInterruptedRun(context: RecoveryContext, state?: StackState): Promise<number> {
  const { engine, stack, signal, log, whenFree } = context;
  const program = context.program ? { program: context.program } : {};
  const pending = pendingOperationsOf(state ?? (await engine.exportStack(stack)));
  if (pending.length === 0) return 0;
  log.warn({ stack, pending }, 'the stack has operations an interrupted run left pending; refreshing it before going on');
  await whenFree(() => engine.refresh(stack, { signal, clearPendingCreates: true, ...program }));

  const refreshed = await engine.exportStack(stack);
  const left = pendingOperationsOf(refreshed);
  if (left.length === 0 || !refreshed) return pending.length;
  log.warn({ stack, pending: left }, 'refresh kept pending operations; dropping them from the state and refreshing again');
  await whenFree(() => engine.importStack(stack, withoutPendingOperations(refreshed)));
  await whenFree(() => engine.refresh(stack, { signal, ...program }));
  return pending.length;
}

/** An operation an interrupted run started and never recorded as finished (`pending_operations` in the state). */
export interface PendingOperation {
  urn: string;
  type: string;
}

const deploymentSchema = z.looseObject({
  pending_operations: z
    .array(z.looseObject({ resource: z.looseObject({ urn: z.string() }), type: z.string() }))
    .nullish(),
});

/** The pending operations of an exported stack; none for a missing stack or a state without any. */
export function pendingOperationsOf(state: StackState | undefined): PendingOperation[] {
  if (!state) return [];
  const parsed = deploymentSchema.safeParse(state.deployment);
  if (!parsed.success) return [];
  return (parsed.data.pending_operations ?? []).map((operation) => ({ urn: operation.resource.urn, type: operation.type }));
}

/** The same state with its pending operations dropped, for `pulumi stack import`. */
export function withoutPendingOperations(state: StackState): StackState {
  const deployment = z.record(z.string(), z.unknown()).parse(state.deployment);
  const { pending_operations: _dropped, ...rest } = deployment;
  return { ...state, deployment: rest };
}
