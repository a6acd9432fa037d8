import type { CloudCredentials } from '../domain/cloud-keys.js';
import type { Preset } from '../domain/presets.js';

/** What a provisioner reports while it works: one line per tool, for the approval card's thread. */
export interface ProgressEvent {
  toolId: string;
  toolName: string;
  status: 'started' | 'ready' | 'failed' | 'destroyed';
  message?: string;
}

export interface DeployRequest {
  envId: string;
  preset: Preset;
  /**
   * The cloud key the lab records, opened for this call (read anew for each call, so a rotation counts). Undefined
   * when the lab records none: the provisioner's own credentials are used.
   */
  credentials?: CloudCredentials;
  onProgress(event: ProgressEvent): Promise<void>;
  signal: AbortSignal;
  /**
   * True when nothing can have been made for the lab yet: this call's deploy moved it out of `approved` (a state no
   * lab returns to) under its lock. A provisioner may then skip looking for what an earlier attempt left behind.
   */
  fresh?: boolean;
}

export interface DeployResult {
  /** Tool id → URL. */
  endpoints: Record<string, string>;
}

export interface DestroyRequest {
  envId: string;
  preset: Preset;
  /** As for a deploy: the lab's key with its current pair. */
  credentials?: CloudCredentials;
  onProgress(event: ProgressEvent): Promise<void>;
  signal: AbortSignal;
}

/**
 * Creates and removes a lab's cloud resources. Implementations must be idempotent (a retried deploy after a crash
 * carries on or starts over; destroying what is already gone succeeds) and throw AppError with `retry` set to say
 * whether trying again can help. The workers hold a per-environment lock around every call.
 */
export interface Provisioner {
  readonly name: 'local' | 'pulumi';
  deploy(request: DeployRequest): Promise<DeployResult>;
  destroy(request: DestroyRequest): Promise<void>;
  /** Outputs of a deployed lab for `/env status` (tool id → URL), if the provisioner can read them back. */
  outputs?(envId: string): Promise<Record<string, string> | undefined>;
}
