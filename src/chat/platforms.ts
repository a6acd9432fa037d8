import type { Platform } from '../domain/users.js';
import type { AppMetrics } from '../http/metrics.js';
import type { Door } from '../http/server.js';
import type { Services } from '../services.js';
import { startMattermost } from './mattermost/start.js';
import { startSandbox } from './sandbox/start.js';
import { startSlack } from './slack/start.js';
import type { Notifier } from './types.js';

/** A chat platform the app runs: its outbound notifier, the door its requests come in by, and how to stop it. */
export interface PlatformHandle {
  notifier: Notifier;
  /** For the web half's server; undefined when the platform receives nothing over HTTP. */
  door: Door | undefined;
  stop(): Promise<void>;
}

export interface PlatformOptions {
  /** Whether this process receives requests (the web half); a worker-only process only sends. */
  web: boolean;
  /** Whether this process runs the workers too. */
  workers: boolean;
  metrics: AppMetrics;
  /** Platforms not to start (tests that bring a notifier of their own). */
  skip: readonly Platform[];
  /** The bot's base URL when it is known only once the server listens (see `AppOptions.publicUrlFor`). */
  publicUrl?: () => string;
}

/**
 * Starts every platform whose credentials are configured; the bot can run Slack and Mattermost at once. With neither,
 * the sandbox is on (see `startSandbox`).
 */
export async function startPlatforms(s: Services, options: PlatformOptions): Promise<PlatformHandle[]> {
  const handles: PlatformHandle[] = [];
  if (!options.skip.includes('slack')) {
    const slack = await startSlack(s, options);
    if (slack) handles.push(slack);
  }
  if (!options.skip.includes('mattermost')) {
    const mattermost = await startMattermost(s, options);
    if (mattermost) handles.push(mattermost);
  }
  if (!options.skip.includes('sandbox')) {
    const sandbox = startSandbox(s, options);
    if (sandbox) handles.push(sandbox);
  }
  return handles;
}
