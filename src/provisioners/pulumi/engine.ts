/**
 * The boundary between the Pulumi provisioner and Pulumi's Automation API. The provisioner's outcome handling (retries,
 * recovery, progress, errors) is written against this interface only; `LocalWorkspaceEngine` implements it with the
 * real CLI, and tests use a fake.
 */

/** An inline Pulumi program: registers resources and returns the stack outputs. */
export type LabProgram = () => Promise<Record<string, unknown>>;

/** What the engine reports while an operation runs, reduced to what progress and error messages need. */
export type LabEngineEvent =
  | { type: 'resource-started' | 'resource-done' | 'resource-failed'; urn: string; op: string }
  | { type: 'diagnostic'; severity: 'error' | 'warning'; message: string; urn?: string };

export interface OperationOptions {
  signal: AbortSignal;
  onEvent?(event: LabEngineEvent): void;
}

/**
 * Destroy and refresh run from the state alone unless given the lab's program: then it is run again (`runProgram`),
 * so the lab's provider gets its inputs (the lab's cloud key, as it is now) from the program instead of from the
 * state, where they were recorded at the last update.
 */
export interface ProgramOptions {
  program?: LabProgram;
}

export interface RefreshOptions extends OperationOptions {
  /** Drop creates that an interrupted run left pending (`pulumi refresh --clear-pending-creates`). */
  clearPendingCreates?: boolean;
}

/** A stack's exported state (`pulumi stack export`), kept opaque except where recovery reads it. */
export interface StackState {
  version: number;
  deployment: unknown;
}

/** Stack output values by name. */
export type StackOutputs = Record<string, unknown>;

export interface PulumiEngine {
  /** Creates the stack when missing, then runs `up` with the program; returns the outputs. */
  up(stack: string, program: LabProgram, options: OperationOptions): Promise<StackOutputs>;
  /** Throws an EngineError of kind `stack_missing` when there is no such stack. */
  destroy(stack: string, options: OperationOptions & ProgramOptions): Promise<void>;
  /** Throws an EngineError of kind `stack_missing` when there is no such stack. */
  refresh(stack: string, options: RefreshOptions & ProgramOptions): Promise<void>;
  /** The outputs of the last update; undefined when there is no such stack. */
  outputs(stack: string): Promise<StackOutputs | undefined>;
  /** Undefined when there is no such stack. */
  exportStack(stack: string): Promise<StackState | undefined>;
  importStack(stack: string, state: StackState): Promise<void>;
  /** Removes the stack's state and history; a missing stack is not an error. */
  removeStack(stack: string): Promise<void>;
}

/** What went wrong, as far as the provisioner's decisions go. */
export type EngineFailureKind =
  | 'concurrent_update' // another update holds the stack (409 / "currently locked")
  | 'stack_missing'
  | 'credentials' // no AWS credentials, or AWS refused them
  | 'permissions' // AWS accepted the credentials but denied an action
  | 'secrets' // the passphrase or secrets provider cannot decrypt the stack
  | 'cli_missing'
  | 'failed';

/**
 * A failed engine call. `detail` is a short summary of the engine's output with credentials removed; the raw output
 * is never kept, so this error is safe to log.
 */
export class EngineError extends Error {
  constructor(
    readonly kind: EngineFailureKind,
    readonly detail: string,
  ) {
    super(`${kind}: ${detail}`);
    this.name = 'EngineError';
  }
}

export function isEngineError(error: unknown, kind?: EngineFailureKind): error is EngineError {
  return error instanceof EngineError && (kind === undefined || error.kind === kind);
}
