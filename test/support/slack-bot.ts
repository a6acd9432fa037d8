import { handleInvocation, recordRejectedRequest } from '../../commands/index.js';
import type { Invocation } from '../../src/chat/types.js';
import { silentLogger } from '../../src/log.js';
import type { ChatUser } from '../fakes/chat-types.js';
import { startSlackHarness, type SlackHarness } from '../fakes/slack-harness.js';
import type { TestServices } from './services.js';

export interface SlackBotOptions {
  mode: 'http' | 'socket';
  /** The workspace's users, as the fake Slack knows them. */
  users: ChatUser[];
  /** Collects every invocation the adapter hands to the commands, when given. */
  handled?: Invocation[];
}

/**
 * The Slack adapter over test services as the app wires it (the commands' `handleInvocation` and
 * `recordRejectedRequest`, no retries of Web API calls), pointed at a fake Slack that also becomes the services'
 * Slack notifier.
 */
export async function startSlackBot(services: TestServices, options: SlackBotOptions): Promise<SlackHarness> {
  const slack = services.config.slack!;
  const harness = await startSlackHarness({
    mode: options.mode,
    config: { approvalsChannel: slack.approvalsChannel, signingSecret: slack.signingSecret },
    fake: { users: options.users },
    deps: () => ({
      log: silentLogger,
      clock: services.s.clock,
      retryConfig: { retries: 0 },
      handle: (invocation) => {
        options.handled?.push(invocation);
        return handleInvocation(services.s, invocation);
      },
      recordRejected: (request) => recordRejectedRequest(services.s, request),
    }),
  });
  services.s.notifiers.register(harness.platform.notifier);
  return harness;
}
