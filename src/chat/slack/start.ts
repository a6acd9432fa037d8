import { handleInvocation, recordRejectedRequest } from '../../../commands/index.js';
import type { AppMetrics } from '../../http/metrics.js';
import type { HttpServer } from '../../http/server.js';
import type { Services } from '../../services.js';
import { resolveMentions } from '../mentions.js';
import { slackMentionFinder } from './mentions.js';
import { createSlackClient, SlackNotifier } from './notifier.js';
import { createSlackPlatform } from './platform.js';

export interface SlackHandle {
  notifier: SlackNotifier;
  stop(): Promise<void>;
}

/**
 * Slack as the app runs it, from `s.config.slack`. The web half (with an HTTP server) receives commands and clicks,
 * over HTTP or Socket Mode, and sends; a worker-only process just sends.
 */
export async function startSlack(
  s: Services,
  options: { http: Pick<HttpServer, 'route'> | undefined; metrics?: Pick<AppMetrics, 'ackLatency'> },
): Promise<SlackHandle | undefined> {
  const config = s.config.slack;
  if (!config) return undefined;
  if (!options.http) {
    return { notifier: new SlackNotifier(createSlackClient(config, { log: s.log })), stop: async () => undefined };
  }
  const mentions = slackMentionFinder(config, s.log);
  const platform = createSlackPlatform(
    config,
    {
      log: s.log,
      clock: s.clock,
      handle: async (invocation) => handleInvocation(s, await resolveMentions(invocation, mentions, s.log)),
      recordRejected: (request) => recordRejectedRequest(s, request),
      onAck: (sample) => options.metrics?.ackLatency.observe({ platform: sample.platform, kind: sample.kind }, sample.seconds),
    },
    options.http,
  );
  await platform.start();
  s.log.info({ mode: platform.mode }, 'Slack is on');
  return { notifier: platform.notifier, stop: () => platform.stop() };
}
