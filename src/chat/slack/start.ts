import { handleInvocation, recordRejectedRequest } from '../../../commands/index.js';
import type { AppMetrics } from '../../http/metrics.js';
import type { Door } from '../../http/server.js';
import type { Services } from '../../services.js';
import { resolveMentions } from '../mentions.js';
import { slackMentionFinder } from './mentions.js';
import { createSlackClient, SlackNotifier } from './notifier.js';
import { createSlackPlatform } from './platform.js';

export interface SlackHandle {
  notifier: SlackNotifier;
  /** The route Slack calls, for the web half's server; undefined in Socket Mode and in a worker-only process. */
  door: Door | undefined;
  stop(): Promise<void>;
}

/**
 * Slack as the app runs it, from `s.config.slack`. The web half receives commands and clicks, over HTTP (through the
 * door it returns) or Socket Mode, and sends; a worker-only process just sends.
 */
export async function startSlack(
  s: Services,
  options: { web: boolean; metrics?: Pick<AppMetrics, 'ackLatency'> },
): Promise<SlackHandle | undefined> {
  const config = s.config.slack;
  if (!config) return undefined;
  if (!options.web) {
    return { notifier: new SlackNotifier(createSlackClient(config, { log: s.log })), door: undefined, stop: async () => undefined };
  }
  const mentions = slackMentionFinder(config, s.log);
  const platform = createSlackPlatform(config, {
    log: s.log,
    clock: s.clock,
    handle: async (invocation) => handleInvocation(s, await resolveMentions(invocation, mentions, s.log)),
    recordRejected: (request) => recordRejectedRequest(s, request),
    onAck: (sample) => options.metrics?.ackLatency.observe({ platform: sample.platform, kind: sample.kind }, sample.seconds),
  });
  await platform.start();
  s.log.info({ mode: platform.mode }, 'Slack is on');
  return { notifier: platform.notifier, door: platform.door, stop: () => platform.stop() };
}
