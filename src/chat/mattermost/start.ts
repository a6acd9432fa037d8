import type { AppMetrics } from '../../http/metrics.js';
import type { Door } from '../../http/server.js';
import type { Services } from '../../services.js';
import type { MattermostNotifier } from './notifier.js';
import { createMattermostPlatform } from './platform.js';

export interface MattermostHandle {
  notifier: MattermostNotifier;
  /** The routes Mattermost calls, for the web half's server; undefined in a worker-only process. */
  door: Door | undefined;
  stop(): Promise<void>;
}

/**
 * Mattermost as the app runs it, from `s.config.mattermost`: the web half serves the command, action and dialog
 * routes through the door it returns; a worker-only process only sends. Start-up checks the bot token and fails
 * naming MATTERMOST_URL and the token.
 */
export async function startMattermost(
  s: Services,
  options: { web: boolean; metrics?: Pick<AppMetrics, 'ackLatency'>; publicUrl?: () => string },
): Promise<MattermostHandle | undefined> {
  const config = s.config.mattermost;
  if (!config) return undefined;
  const platform = createMattermostPlatform(config, {
    services: s,
    onAck: (sample) => options.metrics?.ackLatency.observe({ platform: 'mattermost', kind: sample.kind }, sample.seconds),
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
  });
  await platform.start();
  s.log.info({ receives: options.web }, 'Mattermost is on');
  return { notifier: platform.notifier, door: options.web ? platform.door : undefined, stop: () => platform.stop() };
}
