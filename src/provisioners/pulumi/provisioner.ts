import { z } from 'zod';
import type { CloudCredentials } from '../../domain/cloud-keys.js';
import type { Preset } from '../../domain/presets.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { DeployRequest, DeployResult, DestroyRequest, Provisioner } from '../port.js';
import { retryWhileBusy, type BusyRetryPolicy } from './busy.js';
import { isEngineError, type LabProgram, type PulumiEngine, type StackOutputs } from './engine.js';
import { appErrorOf, type LabOperation } from './outcome.js';
import { ToolProgress } from './progress.js';
import { recoverInterruptedRun, type RecoveryContext } from './recovery.js';

/** What a lab's program is generated from, besides the lab itself. */
export interface LabSettings {
  projectName: string;
  region: string;
  allowedCidrs: readonly string[];
}

export interface PulumiProvisionerOptions {
  /** The engine, created on first use (so the Automation API loads only when a lab is worked on). */
  engine: () => Promise<PulumiEngine>;
  lab: LabSettings;
  busyRetry: BusyRetryPolicy;
  log: Logger;
  /** The inline program of a lab; the generated AWS program unless a test gives another. */
  programFor?: (envId: string, preset: Preset, credentials: CloudCredentials | undefined) => Promise<LabProgram>;
}

const endpointsSchema = z.record(z.string(), z.string());

/**
 * Real labs with Pulumi: one stack per lab, named by the env id in the project `lab.projectName`. Deploy is `up` (which
 * converges, so a retried deploy carries on), destroy is `destroy` then the stack's removal, and both first repair
 * what an interrupted run left pending. Calls that meet another update's lock wait and retry; the workers' env lock
 * keeps this process from racing itself.
 */
export class PulumiProvisioner implements Provisioner {
  readonly name = 'pulumi' as const;
  private enginePromise: Promise<PulumiEngine> | undefined;

  constructor(private readonly options: PulumiProvisionerOptions) {}

  async deploy({ envId, preset, onProgress, signal, credentials }: DeployRequest): Promise<DeployResult> {
    const progress = new ToolProgress(preset.tools, 'deploy', onProgress);
    const endpoints = await this.operate('deploy', envId, signal, progress, async (engine, recovery) => {
      const program = await this.programFor(envId, preset, credentials);
      await recoverInterruptedRun(recovery);
      const outputs = await recovery.whenFree(() => engine.up(envId, program, { signal, onEvent: progress.observe }));
      return endpointsOf(outputs, preset, this.stackName(envId));
    });
    progress.ready(endpoints);
    await progress.flush();
    this.options.log.info({ envId, preset: preset.id, tools: Object.keys(endpoints) }, 'lab deployed with pulumi');
    return { endpoints };
  }

  /**
   * A lab deployed with a cloud key is destroyed by running its program again with the key's current pair: Pulumi
   * keeps a provider's explicit inputs in the state, so without the program a key rotated since the deploy would be
   * refused by AWS.
   */
  async destroy({ envId, preset, onProgress, signal, credentials }: DestroyRequest): Promise<void> {
    const progress = new ToolProgress(preset.tools, 'destroy', onProgress);
    const destroyed = await this.operate('destroy', envId, signal, progress, async (engine, recovery) => {
      const state = await engine.exportStack(envId);
      if (!state) return false; // never deployed, or already destroyed and removed
      const program = credentials ? { program: await this.programFor(envId, preset, credentials) } : {};
      await recoverInterruptedRun({ ...recovery, ...program }, state);
      await recovery.whenFree(() => engine.destroy(envId, { signal, onEvent: progress.observe, ...program }).catch(unlessMissing));
      await recovery.whenFree(() => engine.removeStack(envId));
      return true;
    });
    if (destroyed) progress.destroyedRemaining();
    await progress.flush();
    this.options.log.info({ envId, stack: this.stackName(envId), destroyed }, destroyed ? 'lab destroyed with pulumi' : 'no stack to destroy');
  }

  /** Reads the lab's resources back from AWS (and clears an interrupted run's leftovers). A missing stack is a no-op. */
  async refresh(envId: string, signal: AbortSignal, lab?: { preset: Preset; credentials: CloudCredentials }): Promise<void> {
    await this.operate('refresh', envId, signal, undefined, async (engine, recovery) => {
      const state = await engine.exportStack(envId);
      if (!state) return;
      const program = lab ? { program: await this.programFor(envId, lab.preset, lab.credentials) } : {};
      if ((await recoverInterruptedRun({ ...recovery, ...program }, state)) > 0) return;
      await recovery.whenFree(() => engine.refresh(envId, { signal, ...program }));
    });
  }

  async outputs(envId: string): Promise<Record<string, string> | undefined> {
    try {
      const outputs = await (await this.engine()).outputs(envId);
      const endpoints = endpointsSchema.safeParse(outputs?.endpoints);
      return endpoints.success && Object.keys(endpoints.data).length > 0 ? endpoints.data : undefined;
    } catch (error) {
      throw appErrorOf(error, { operation: 'status', stack: this.stackName(envId) });
    }
  }

  /** Runs one operation; a failure becomes an AppError and is reported on every tool it left unfinished. */
  private async operate<T>(
    operation: LabOperation,
    envId: string,
    signal: AbortSignal,
    progress: ToolProgress | undefined,
    work: (engine: PulumiEngine, recovery: RecoveryContext) => Promise<T>,
  ): Promise<T> {
    const stack = this.stackName(envId);
    try {
      const engine = await this.engine();
      return await work(engine, this.recoveryContext(engine, envId, signal));
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const failure = appErrorOf(error, { operation, stack, reason: progress?.engineError });
      this.options.log.warn({ err: failure, envId, stack, code: failure.code, retry: failure.retry }, `pulumi ${operation} failed`);
      progress?.failRemaining(failure.message);
      // The failure matters more than a progress note that could not be posted.
      await progress?.flush().catch(() => undefined);
      throw failure;
    }
  }

  private recoveryContext(engine: PulumiEngine, envId: string, signal: AbortSignal): RecoveryContext {
    const log = this.options.log;
    return {
      engine,
      stack: envId,
      signal,
      log,
      whenFree: (call) =>
        retryWhileBusy(call, this.options.busyRetry, signal, (attempt, delayMs) =>
          log.info({ envId, attempt, delayMs }, 'another pulumi update holds the stack; waiting before trying again'),
        ),
    };
  }

  private engine(): Promise<PulumiEngine> {
    this.enginePromise ??= this.options.engine().catch((error: unknown) => {
      this.enginePromise = undefined;
      throw error;
    });
    return this.enginePromise;
  }

  private async programFor(envId: string, preset: Preset, credentials: CloudCredentials | undefined): Promise<LabProgram> {
    if (this.options.programFor) return this.options.programFor(envId, preset, credentials);
    const { labProgram } = await import('./program.js');
    const { region, allowedCidrs } = this.options.lab;
    return labProgram({ envId, preset, region, allowedCidrs, ...(credentials ? { credentials } : {}) });
  }

  private stackName(envId: string): string {
    return `${this.options.lab.projectName}/${envId}`;
  }
}

function unlessMissing(error: unknown): void {
  if (!isEngineError(error, 'stack_missing')) throw error;
}

/** The `endpoints` output, checked to hold one URL for each of the preset's tools. */
function endpointsOf(outputs: StackOutputs, preset: Preset, stack: string): Record<string, string> {
  const parsed = endpointsSchema.safeParse(outputs.endpoints);
  const endpoints = parsed.success ? parsed.data : {};
  const missing = preset.tools.filter((tool) => !endpoints[tool.id]).map((tool) => tool.id);
  if (missing.length > 0) {
    throw new AppError('provision_failed', `The stack ${stack} has no endpoint for ${missing.join(', ')} in its outputs.`, { retry: false });
  }
  return Object.fromEntries(preset.tools.map((tool) => [tool.id, endpoints[tool.id]!]));
}
