import type { Platform } from '../domain/users.js';
import type { AppMetrics } from '../http/metrics.js';
import type { HttpServer } from '../http/server.js';
import type { Services } from '../services.js';
import { startMattermost } from './mattermost/start.js';
import { startSlack } from './slack/start.js';
import type { Notifier } from './types.js';

/** A chat platform the app runs: its outbound notifier and how to stop it. */
export interface PlatformHandle {
  notifier: Notifier;
  stop(): Promise<void>;
}

export interface PlatformOptions {
  /** The web half's server (routes are mounted on it); undefined in a worker-only process, which only sends. */
  http: HttpServer | undefined;
  metrics: AppMetrics;
  /** Platforms not to start (tests that bring a notifier of their own). */
  skip: readonly Platform[];
}

/** Starts every platform whose credentials are configured; the bot can run Slack and Mattermost at once. */
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
  return handles;
}
