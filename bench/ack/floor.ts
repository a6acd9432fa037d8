import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, type Receiver } from '@slack/bolt';
import { boltLogger } from '../../src/chat/slack/bolt-logger.js';
import { SLACK_EVENTS_PATH } from '../../src/chat/slack/platform.js';
import { silentLogger } from '../../src/log.js';
import { startChild } from './child.js';

export interface AckFloor {
  /** Where to POST slash commands. */
  url: string;
  stop(): Promise<void>;
}

/**
 * The floor of ack latency: a bare Bolt app with the same HTTPReceiver (signature check included), the same signing
 * secret and logger as the bot, and a command listener that acks at once. Nothing the bot does can be faster.
 */
export async function startAckFloor(signingSecret: string): Promise<AckFloor> {
  const logger = boltLogger(silentLogger);
  const receiver = new HTTPReceiver({ signingSecret, endpoints: SLACK_EVENTS_PATH, processBeforeResponse: false, logger });
  const app = new App({
    receiver: receiver as Receiver,
    token: 'xoxb-floor',
    botId: 'B0FLOOR',
    botUserId: 'U0FLOOR',
    tokenVerificationEnabled: false,
    convoStore: false,
    logger,
  });
  app.command(/^\/.+$/, async ({ ack }) => {
    await ack();
  });
  const server = await receiver.start({ port: 0, host: '127.0.0.1' });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${SLACK_EVENTS_PATH}`,
    stop: () => receiver.stop(),
  };
}

/** The floor in a process of its own (floor-process.ts): a bare app does not share the bot's heap or event loop. */
export async function startFloorProcess(signingSecret: string): Promise<AckFloor> {
  const child = await startChild<{ signingSecret: string }, string>(new URL('./floor-process.ts', import.meta.url));
  try {
    return { url: await child.ask({ signingSecret }), stop: () => child.stop() };
  } catch (error) {
    await child.stop();
    throw error;
  }
}
