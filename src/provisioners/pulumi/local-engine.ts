import * as pulumi from '@pulumi/pulumi';
import type { automation } from '@pulumi/pulumi';
import { engineErrorOf } from './engine-errors.js';
import {
  isEngineError,
  type LabEngineEvent,
  type LabProgram,
  type OperationOptions,
  type ProgramOptions,
  type PulumiEngine,
  type RefreshOptions,
  type StackOutputs,
  type StackState,
} from './engine.js';
import { scrubEngineText } from './scrub.js';

export interface LocalEngineSettings {
  projectName: string;
  backendUrl: string;
  passphrase: string | undefined;
  secretsProvider: string | undefined;
  pulumiHome: string | undefined;
  /** The folder whose bin/ holds the CLI when it is not on PATH. */
  cliRoot: string | undefined;
}

/**
 * The PulumiEngine of the real CLI, through the Automation API's LocalWorkspace. One workspace (with no program of
 * its own) serves every stack: `up` passes the lab's inline program, and refresh and destroy work from the state
 * alone, unless they are given the lab's program to run again (a lab deployed with a cloud key: see ProgramOptions).
 * Every command names its stack, so labs do not share a "current stack". A lab's cloud key reaches its provider
 * through the program alone, never through this workspace's environment (shared by every lab); labs without a key
 * use the process's standard AWS environment.
 */
export class LocalWorkspaceEngine implements PulumiEngine {
  private workspace: Promise<automation.LocalWorkspace> | undefined;
  private readonly secrets: string[];

  constructor(private readonly settings: LocalEngineSettings) {
    this.secrets = [settings.passphrase].filter((value): value is string => value !== undefined);
  }

  up(stack: string, program: LabProgram, options: OperationOptions): Promise<StackOutputs> {
    return this.run(async () => {
      const selected = await pulumi.automation.Stack.createOrSelect(stack, await this.ready());
      const result = await selected.up({ program, color: 'never', ...this.operationOptions(options) });
      return valuesOf(result.outputs);
    });
  }

  destroy(stack: string, options: OperationOptions & ProgramOptions): Promise<void> {
    return this.run(async () => {
      const selected = await pulumi.automation.Stack.select(stack, await this.workspaceFor(options.program));
      await selected.destroy({ color: 'never', ...this.programOptions(options.program), ...this.operationOptions(options) });
    });
  }

  refresh(stack: string, options: RefreshOptions & ProgramOptions): Promise<void> {
    return this.run(async () => {
      const selected = await pulumi.automation.Stack.select(stack, await this.workspaceFor(options.program));
      await selected.refresh({
        color: 'never',
        clearPendingCreates: options.clearPendingCreates ?? false,
        ...this.programOptions(options.program),
        ...this.operationOptions(options),
      });
    });
  }

  /**
   * The shared workspace, or for a destroy or refresh that re-runs a lab's program, a workspace of that program's own:
   * Pulumi runs an inline program for those operations only from its workspace, and the shared one serves every lab
   * at once.
   */
  private workspaceFor(program: LabProgram | undefined): Promise<automation.LocalWorkspace> {
    return program ? this.createWorkspace(program) : this.ready();
  }

  private programOptions(program: LabProgram | undefined): { runProgram?: boolean } {
    return program ? { runProgram: true } : {};
  }

  outputs(stack: string): Promise<StackOutputs | undefined> {
    return this.unlessMissing(async () => valuesOf(await (await this.ready()).stackOutputs(stack)));
  }

  exportStack(stack: string): Promise<StackState | undefined> {
    return this.unlessMissing(async () => (await this.ready()).exportStack(stack));
  }

  importStack(stack: string, state: StackState): Promise<void> {
    return this.run(async () => (await this.ready()).importStack(stack, state));
  }

  async removeStack(stack: string): Promise<void> {
    await this.unlessMissing(async () => (await this.ready()).removeStack(stack));
  }

  private ready(): Promise<automation.LocalWorkspace> {
    this.workspace ??= this.createWorkspace().catch((error: unknown) => {
      this.workspace = undefined; // a CLI installed later is found on the next call
      throw error;
    });
    return this.workspace;
  }

  private async createWorkspace(program?: LabProgram): Promise<automation.LocalWorkspace> {
    const { projectName, backendUrl, passphrase, secretsProvider, pulumiHome, cliRoot } = this.settings;
    const pulumiCommand = await pulumi.automation.PulumiCommand.get(cliRoot ? { root: cliRoot } : {});
    return pulumi.automation.LocalWorkspace.create({
      pulumiCommand,
      projectSettings: { name: projectName, runtime: 'nodejs' },
      envVars: {
        PULUMI_BACKEND_URL: backendUrl,
        PULUMI_SKIP_UPDATE_CHECK: 'true',
        ...(passphrase ? { PULUMI_CONFIG_PASSPHRASE: passphrase } : {}),
      },
      ...(secretsProvider ? { secretsProvider } : {}),
      ...(pulumiHome ? { pulumiHome } : {}),
      ...(program ? { program } : {}),
    });
  }

  /** Engine events are reduced and scrubbed here; the CLI's text output is never relayed. */
  private operationOptions({ signal, onEvent }: OperationOptions): { signal: AbortSignal; onEvent?: (event: automation.EngineEvent) => void } {
    if (!onEvent) return { signal };
    return {
      signal,
      onEvent: (event) => {
        const labEvent = labEventOf(event, this.secrets);
        if (labEvent) onEvent(labEvent);
      },
    };
  }

  private async run<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw engineErrorOf(error, this.secrets);
    }
  }

  private async unlessMissing<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.run(call);
    } catch (error) {
      if (isEngineError(error, 'stack_missing')) return undefined;
      throw error;
    }
  }
}

function valuesOf(outputs: automation.OutputMap): StackOutputs {
  return Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, output.value as unknown]));
}

/**
 * Reduces a Pulumi engine event to what progress needs: resource steps (planning steps of a preview are skipped) and
 * error or warning diagnostics, with credentials removed. Everything else (stdout, prelude, summary) is dropped.
 */
export function labEventOf(event: automation.EngineEvent, knownSecrets: readonly string[] = []): LabEngineEvent | undefined {
  const step = event.resourcePreEvent ?? event.resOutputsEvent;
  if (step && !step.planning) {
    const { urn, op } = step.metadata;
    return { type: event.resourcePreEvent ? 'resource-started' : 'resource-done', urn, op };
  }
  if (event.resOpFailedEvent) {
    const { urn, op } = event.resOpFailedEvent.metadata;
    return { type: 'resource-failed', urn, op };
  }
  const diagnostic = event.diagnosticEvent;
  if (diagnostic && (diagnostic.severity === 'error' || diagnostic.severity === 'warning')) {
    const message = scrubEngineText(diagnostic.message, knownSecrets).trim();
    return { type: 'diagnostic', severity: diagnostic.severity, message, ...(diagnostic.urn ? { urn: diagnostic.urn } : {}) };
  }
  return undefined;
}
