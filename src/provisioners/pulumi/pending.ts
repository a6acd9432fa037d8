import { z } from 'zod';
import type { StackState } from './engine.js';

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
