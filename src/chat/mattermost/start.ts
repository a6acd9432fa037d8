import type { AppMetrics } from '../../http/metrics.js';
import type { HttpServer } from '../../http/server.js';
import type { Services } from '../../services.js';
import type { MattermostNotifier } from './notifier.js';
import { createMattermostPlatform } from './platform.js';

export interface MattermostHandle {
  notifier: MattermostNotifier;
  stop(): Promise<void>;
}

/**
 * Mattermost as the app runs it, from `s.config.mattermost`: the web half mounts the command, action and dialog routes;
 * a worker-only process only sends. Start-up checks the bot token and fails naming MATTERMOST_URL and the token.
 */
export async function startMattermost(
  s: Services,
  options: { http: Pick<HttpServer, 'route'> | undefined; metrics?: Pick<AppMetrics, 'ackLatency'> },
): Promise<MattermostHandle | undefined> {
  const config = s.config.mattermost;
  if (!config) return undefined;
  const platform = createMattermostPlatform(
    config,
    {
      services: s,
      onAck: (sample) => options.metrics?.ackLatency.observe({ platform: 'mattermost', kind: sample.kind }, sample.seconds),
    },
    options.http,
  );
  await platform.start();
  s.log.info({ receives: options.http !== undefined }, 'Mattermost is on');
  return { notifier: platform.notifier, stop: () => platform.stop() };
}
