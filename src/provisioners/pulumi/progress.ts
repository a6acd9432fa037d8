import type { ToolDefinition } from '../../domain/presets.js';
import type { ProgressEvent } from '../port.js';
import type { LabEngineEvent } from './engine.js';
import { resourceNameOf, resourceTypeOf, toolIdOfUrn } from './naming.js';
import { oneLine } from './scrub.js';

/** Steps that change nothing in the cloud; they say nothing about a tool's progress. */
const QUIET_OPS = new Set(['same', 'read', 'refresh']);

/**
 * Turns engine events into per-tool progress for the card's thread. A tool's own resources (its ingress rules) mark
 * it started, or destroyed once they are deleted (its port is closed); a failed shared resource (the instance, the
 * security group) fails every tool. Each tool gets each status at most once.
 *
 * Engine events arrive synchronously; progress is posted in order on a chain that `flush` waits for.
 */
export class ToolProgress {
  private readonly sent = new Map<string, Set<ProgressEvent['status']>>();
  private readonly errorsByUrn = new Map<string, string>();
  private firstError: string | undefined;
  private chain: Promise<void> = Promise.resolve();
  private postFailure: { error: unknown } | undefined;

  constructor(
    private readonly tools: readonly ToolDefinition[],
    private readonly mode: 'deploy' | 'destroy',
    private readonly onProgress: (event: ProgressEvent) => Promise<void>,
  ) {}

  readonly observe = (event: LabEngineEvent): void => {
    if (event.type === 'diagnostic') {
      if (event.severity !== 'error') return;
      this.firstError ??= oneLine(event.message);
      if (event.urn && !this.errorsByUrn.has(event.urn)) this.errorsByUrn.set(event.urn, oneLine(event.message));
      return;
    }
    const toolId = toolIdOfUrn(event.urn);
    if (event.type === 'resource-failed') {
      const message = this.errorsByUrn.get(event.urn) ?? `${event.op} of ${resourceTypeOf(event.urn)} ${resourceNameOf(event.urn)} failed`;
      for (const tool of toolId ? this.toolsWithId(toolId) : this.tools) if (!this.has(tool, 'destroyed')) this.emit(tool, 'failed', message);
      return;
    }
    if (!toolId || QUIET_OPS.has(event.op)) return;
    for (const tool of this.toolsWithId(toolId)) {
      if (this.mode === 'deploy' && event.type === 'resource-started') this.emit(tool, 'started');
      if (this.mode === 'destroy' && event.type === 'resource-done' && event.op === 'delete') this.emit(tool, 'destroyed');
    }
  };

  /** The first error diagnostic the engine reported, if any: the most precise reason for a failure. */
  get engineError(): string | undefined {
    return this.firstError;
  }

  ready(endpoints: Record<string, string>): void {
    for (const tool of this.tools) this.emit(tool, 'ready', endpoints[tool.id]);
  }

  /** After a successful destroy: every tool not yet reported is gone too (the instance that ran it is). */
  destroyedRemaining(): void {
    for (const tool of this.tools) if (!this.has(tool, 'destroyed')) this.emit(tool, 'destroyed');
  }

  /** After a failed operation: every tool not already failed (or destroyed) fails with the reason. */
  failRemaining(message: string): void {
    for (const tool of this.tools) if (!this.has(tool, 'failed') && !this.has(tool, 'destroyed')) this.emit(tool, 'failed', message);
  }

  /** Waits until every event is posted; rethrows the first posting error. */
  async flush(): Promise<void> {
    await this.chain;
    if (this.postFailure) throw this.postFailure.error;
  }

  private emit(tool: ToolDefinition, status: ProgressEvent['status'], message?: string): void {
    if (this.has(tool, status)) return;
    const statuses = this.sent.get(tool.id) ?? new Set();
    statuses.add(status);
    this.sent.set(tool.id, statuses);
    const event: ProgressEvent = { toolId: tool.id, toolName: tool.name, status, ...(message ? { message } : {}) };
    this.chain = this.chain.then(async () => {
      try {
        await this.onProgress(event);
      } catch (error) {
        this.postFailure ??= { error };
      }
    });
  }

  private has(tool: ToolDefinition, status: ProgressEvent['status']): boolean {
    return this.sent.get(tool.id)?.has(status) ?? false;
  }

  private toolsWithId(toolId: string): ToolDefinition[] {
    return this.tools.filter((tool) => tool.id === toolId);
  }
}
