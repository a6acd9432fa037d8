import { and, eq, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { preparedPerDb } from '../db/prepared.js';
import { simulatedResources, type SimulatedResourceRow } from '../db/schema/simulated.js';
import { checkCloudKeyPair } from '../domain/cloud-keys.js';
import type { Preset, ToolDefinition } from '../domain/presets.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DeployRequest, DeployResult, DestroyRequest, Provisioner } from './port.js';
import { pause } from './pause.js';

export interface LocalProvisionerOptions {
  /** Simulated time per tool (LOCAL_PROVISIONER_STEP_MS). */
  stepMs: number;
  /** Tool ids whose deploy step fails (LOCAL_PROVISIONER_FAIL), for fault injection. */
  failTools: readonly string[];
  clock: Clock;
  log: Logger;
}

/** Endpoints of simulated labs are under `.invalid`, a name reserved never to resolve (RFC 2606). */
export function simulatedEndpoint(toolId: string, envId: string): string {
  return `https://${toolId}.${envId}.lab.local.invalid`;
}

/**
 * A SIMULATOR of a provisioner, for demos and tests: no cloud resource is created. Each tool of a preset is a step of
 * `stepMs`; what it "creates" is a row of `simulated_resources`, so state survives a crash like real cloud state does
 * and a retried deploy carries on where the last one stopped.
 */
export class LocalProvisioner implements Provisioner {
  readonly name = 'local' as const;

  constructor(
    private readonly db: Db,
    private readonly options: LocalProvisionerOptions,
  ) {
    options.log.info(
      { stepMs: options.stepMs, failTools: options.failTools },
      'PROVISIONER=local is a simulator: labs are simulated, no cloud resources are created, endpoints end in .lab.local.invalid',
    );
  }

  async deploy({ envId, preset, onProgress, signal, credentials, fresh }: DeployRequest): Promise<DeployResult> {
    checkCredentials(credentials);
    const created = fresh ? {} : ((await this.outputs(envId)) ?? {});
    const endpoints: Record<string, string> = {};
    const made: SimulatedResourceRow[] = [];
    try {
      for (const tool of preset.tools) {
        const existing = created[tool.id];
        if (existing) {
          endpoints[tool.id] = existing;
          continue;
        }
        endpoints[tool.id] = await this.createTool(envId, tool, credentials, made, onProgress, signal);
      }
    } finally {
      await this.record(made.splice(0));
    }
    this.options.log.info({ envId, preset: preset.id, tools: Object.keys(endpoints) }, 'simulated lab deployed');
    return { endpoints };
  }

  async destroy({ envId, preset, onProgress, signal, credentials }: DestroyRequest): Promise<void> {
    checkCredentials(credentials);
    await this.checkSameKey(envId, credentials);
    const created = Object.keys((await this.outputs(envId)) ?? {});
    // Each row goes as soon as its tool is gone, so a retried destroy resumes where this one stopped.
    for (const toolId of teardownOrder(preset, created)) {
      await pause(this.options.stepMs, signal);
      await this.db
        .delete(simulatedResources)
        .where(and(eq(simulatedResources.envId, envId), eq(simulatedResources.toolId, toolId)));
      await onProgress({ toolId, toolName: toolName(preset, toolId), status: 'destroyed' });
    }
    this.options.log.info({ envId, destroyed: created.length }, 'simulated lab destroyed');
  }

  async outputs(envId: string): Promise<Record<string, string> | undefined> {
    const rows = await outputsOf(this.db).execute({ envId });
    if (rows.length === 0) return undefined;
    return Object.fromEntries(rows.map((row) => [row.toolId, row.endpoint]));
  }

  /** A lab is destroyed with the key it was deployed with (its current pair): anything else would leave its resources behind. */
  private async checkSameKey(envId: string, credentials: DestroyRequest['credentials']): Promise<void> {
    const rows = await this.db
      .select({ cloudKeyId: simulatedResources.cloudKeyId })
      .from(simulatedResources)
      .where(eq(simulatedResources.envId, envId));
    const used = [...new Set(rows.map((row) => row.cloudKeyId))];
    const given = credentials?.keyId ?? null;
    if (used.some((keyId) => keyId !== given)) {
      throw new AppError('cloud_key_mismatch', `The lab ${envId} was deployed with another cloud key than the one its destroy was given.`, { retry: false });
    }
  }

  /**
   * One tool's step. What it makes joins `made`, which is written before the simulator waits (so a worker killed in a
   * step leaves a record of every tool made before it) and when the deploy ends: at zero delay, one insert per deploy.
   */
  private async createTool(
    envId: string,
    tool: ToolDefinition,
    credentials: DeployRequest['credentials'],
    made: SimulatedResourceRow[],
    onProgress: DeployRequest['onProgress'],
    signal: AbortSignal,
  ): Promise<string> {
    signal.throwIfAborted();
    await onProgress({ toolId: tool.id, toolName: tool.name, status: 'started' });
    if (this.options.stepMs > 0) await this.record(made.splice(0));
    await pause(this.options.stepMs, signal);
    if (this.options.failTools.includes(tool.id)) {
      const message = `Simulated failure of ${tool.name} (LOCAL_PROVISIONER_FAIL includes "${tool.id}").`;
      await onProgress({ toolId: tool.id, toolName: tool.name, status: 'failed', message });
      throw new AppError('provision_failed', message, { retry: true });
    }
    const endpoint = simulatedEndpoint(tool.id, envId);
    made.push({ envId, toolId: tool.id, endpoint, cloudKeyId: credentials?.keyId ?? null, createdAt: this.options.clock.now() });
    await onProgress({ toolId: tool.id, toolName: tool.name, status: 'ready', message: endpoint });
    return endpoint;
  }

  /** Writes the rows of tools made, in one statement; a row already there (a resumed deploy) stays as it is. */
  private async record(rows: SimulatedResourceRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.insert(simulatedResources).values(rows).onConflictDoNothing();
  }
}

/** What a lab's deploy reads first, to carry on where an earlier attempt stopped. */
const outputsOf = preparedPerDb((db) =>
  db
    .select({ toolId: simulatedResources.toolId, endpoint: simulatedResources.endpoint })
    .from(simulatedResources)
    .where(eq(simulatedResources.envId, sql.placeholder('envId')))
    .orderBy(simulatedResources.createdAt, simulatedResources.toolId)
    .prepare('simulated_outputs'),
);

/** The simulator uses no key, but checks the one it is given is a well-formed pair, as a cloud would refuse one that is not. */
function checkCredentials(credentials: DeployRequest['credentials']): void {
  if (!credentials) return;
  const problems = Object.values(checkCloudKeyPair(credentials));
  if (problems.length > 0) {
    throw new AppError('cloud_key_invalid', `The cloud key "${credentials.name}" is not a usable pair: ${problems.join(' ')}`, { retry: false });
  }
}

/** The reverse of the deploy order, like tearing down a stack; tools the preset no longer lists go first. */
function teardownOrder(preset: Preset, created: string[]): string[] {
  const inPreset = preset.tools.map((tool) => tool.id).filter((toolId) => created.includes(toolId));
  const others = created.filter((toolId) => !inPreset.includes(toolId));
  return [...others, ...inPreset.reverse()];
}

function toolName(preset: Preset, toolId: string): string {
  return preset.tools.find((tool) => tool.id === toolId)?.name ?? toolId;
}
