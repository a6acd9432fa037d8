import * as pulumi from '@pulumi/pulumi';
import {
  EngineError,
  type EngineFailureKind,
  type LabEngineEvent,
  type LabProgram,
  type OperationOptions,
  type ProgramOptions,
  type PulumiEngine,
  type RefreshOptions,
  type StackOutputs,
  type StackState,
} from '../../src/provisioners/pulumi/engine.js';

type Method = 'up' | 'destroy' | 'refresh' | 'outputs' | 'exportStack' | 'importStack' | 'removeStack';

interface FakeStack {
  state: StackState;
  outputs: StackOutputs;
}

/** A program's outputs with Pulumi outputs resolved, as the engine reports them (the real AWS program under mocks returns those). */
async function resolved(outputs: Record<string, unknown>): Promise<StackOutputs> {
  const entries = await Promise.all(
    Object.entries(outputs).map(async ([name, value]) => [name, pulumi.Output.isInstance(value) ? await new Promise((resolve) => value.apply(resolve)) : value] as const),
  );
  return Object.fromEntries(entries);
}

/** A resource URN of the fake project. */
export function urnOf(stack: string, type: string, name: string): string {
  return `urn:pulumi:${stack}::aithroyz-labs::${type}::${name}`;
}

export const INGRESS = 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule';
export const INSTANCE = 'aws:ec2/instance:Instance';

/**
 * An in-memory PulumiEngine with the semantics the provisioner relies on: `up` creates the stack and returns what the
 * program returns, `destroy`/`refresh` of a missing stack fail with `stack_missing`, `refresh` with
 * `clearPendingCreates` drops pending operations (unless `refreshKeepsPending`), `removeStack` of a missing stack is
 * fine. Failures and engine events are scripted per method; every call is recorded.
 */
export class FakeEngine implements PulumiEngine {
  readonly stacks = new Map<string, FakeStack>();
  readonly calls: { method: Method; stack: string; options?: Omit<RefreshOptions, 'signal' | 'onEvent'>; ranProgram?: true }[] = [];
  readonly imported: StackState[] = [];
  /** Events each call of a method reports before it ends. */
  readonly events: Partial<Record<Method, LabEngineEvent[]>> = {};
  refreshKeepsPending = false;
  private readonly failures: Partial<Record<Method, EngineError[]>> = {};
  /** Runs while `up` is in progress (after its events), e.g. to abort the operation's signal. */
  duringUp: (() => void) | undefined;

  failNext(method: Method, kind: EngineFailureKind, detail = `${kind} failure`, times = 1): void {
    const queue = (this.failures[method] ??= []);
    for (let index = 0; index < times; index += 1) queue.push(new EngineError(kind, detail));
  }

  withStack(stack: string, deployment: Record<string, unknown> = { resources: [] }, outputs: StackOutputs = {}): void {
    this.stacks.set(stack, { state: { version: 3, deployment }, outputs });
  }

  deployment(stack: string): Record<string, unknown> | undefined {
    return this.stacks.get(stack)?.state.deployment as Record<string, unknown> | undefined;
  }

  count(method: Method): number {
    return this.calls.filter((call) => call.method === method).length;
  }

  async up(stack: string, program: LabProgram, options: OperationOptions): Promise<StackOutputs> {
    this.begin('up', stack, options);
    this.duringUp?.();
    options.signal.throwIfAborted();
    const outputs = await resolved(await program());
    const existing = this.stacks.get(stack);
    this.stacks.set(stack, { state: existing?.state ?? { version: 3, deployment: { resources: [] } }, outputs });
    return outputs;
  }

  /** With a program, runs it first, as `pulumi destroy --run-program` does. */
  async destroy(stack: string, options: OperationOptions & ProgramOptions): Promise<void> {
    const existing = this.existing('destroy', stack, options);
    await this.runProgram(options);
    existing.outputs = {};
    existing.state = { version: 3, deployment: { resources: [] } };
  }

  async refresh(stack: string, options: RefreshOptions & ProgramOptions): Promise<void> {
    const existing = this.existing('refresh', stack, options, { clearPendingCreates: options.clearPendingCreates ?? false });
    await this.runProgram(options);
    if (options.clearPendingCreates && !this.refreshKeepsPending) {
      const { pending_operations: _cleared, ...rest } = existing.state.deployment as Record<string, unknown>;
      existing.state = { ...existing.state, deployment: rest };
    }
  }

  async outputs(stack: string): Promise<StackOutputs | undefined> {
    this.begin('outputs', stack);
    return this.stacks.get(stack)?.outputs;
  }

  async exportStack(stack: string): Promise<StackState | undefined> {
    this.begin('exportStack', stack);
    const state = this.stacks.get(stack)?.state;
    return state ? structuredClone(state) : undefined;
  }

  async importStack(stack: string, state: StackState): Promise<void> {
    const existing = this.existing('importStack', stack);
    this.imported.push(structuredClone(state));
    existing.state = structuredClone(state);
  }

  async removeStack(stack: string): Promise<void> {
    this.begin('removeStack', stack);
    this.stacks.delete(stack);
  }

  private async runProgram(options: ProgramOptions): Promise<void> {
    if (!options.program) return;
    this.calls.at(-1)!.ranProgram = true;
    await resolved(await options.program());
  }

  private existing(method: Method, stack: string, options?: OperationOptions, recorded?: Omit<RefreshOptions, 'signal' | 'onEvent'>): FakeStack {
    this.begin(method, stack, options, recorded);
    const existing = this.stacks.get(stack);
    if (!existing) throw new EngineError('stack_missing', `no stack named '${stack}' found`);
    return existing;
  }

  private begin(method: Method, stack: string, options?: OperationOptions, recorded?: Omit<RefreshOptions, 'signal' | 'onEvent'>): void {
    this.calls.push({ method, stack, ...(recorded ? { options: recorded } : {}) });
    for (const event of this.events[method] ?? []) options?.onEvent?.(event);
    const failure = this.failures[method]?.shift();
    if (failure) throw failure;
  }
}
