import { App, SocketModeReceiver, type Receiver } from '@slack/bolt';
import type { Clock } from '../../clock.js';
import type { SlackConfig } from '../../config.js';
import { AppError } from '../../errors.js';
import type { Door } from '../../http/server.js';
import type { Logger } from '../../log.js';
import { callSlack } from './api-errors.js';
import { boltLogger } from './bolt-logger.js';
import { SlackHttpDoor } from './http-door.js';
import { newArrival, registerListeners, slackRequestHandlers, type ListenerOptions, type SlackHandlers } from './listeners.js';
import { createSlackClient, SlackNotifier, type SlackRetryConfig } from './notifier.js';

/** Slash commands and interactivity share one request URL (see slack/manifest.yaml). */
export const SLACK_EVENTS_PATH = '/slack/events';
/** Slack shows an error after 3 s; a slow command is acked before then and answered through its response_url. */
export const DEFAULT_ACK_DEADLINE_MS = 2500;
const STARTUP_RETRIES = { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2000 };

export interface SlackIdentity {
  botId: string;
  botUserId: string;
}

export interface SlackPlatformDeps extends SlackHandlers {
  log: Logger;
  clock: Clock;
  /** Web API retries (tests: `{ retries: 0 }`); the client's default is ten retries over about half an hour. */
  retryConfig?: SlackRetryConfig;
  /** Known bot ids skip `auth.test` at start-up. */
  identity?: SlackIdentity;
  /** Holds the HTTP answer until the listener ends; `false` (the default) in production. */
  processBeforeResponse?: boolean;
  ackDeadlineMs?: number;
  /** Where upload spools go (the system temp directory by default). */
  tempDir?: string;
}

export interface SlackPlatform {
  mode: 'http' | 'socket';
  notifier: SlackNotifier;
  /** `POST /slack/events`, for the web half's server (HTTP mode only). */
  door: Door | undefined;
  /** Checks the bot token (`auth.test`) and, in Socket Mode, connects. HTTP requests before start get 503. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The Slack adapter: commands, clicks and modal submissions become invocations through the handlers of listeners.ts.
 * In HTTP mode our door serves `POST /slack/events` on our HTTP server (http-door.ts: Bolt's rules, the body read
 * once); with an app-level token (SLACK_APP_TOKEN) a Bolt app connects over Socket Mode instead, and its middleware
 * hands each request to the same handlers.
 */
export function createSlackPlatform(config: SlackConfig, deps: SlackPlatformDeps): SlackPlatform {
  const clientOptions = { slackApiUrl: config.apiUrl, ...(deps.retryConfig ? { retryConfig: deps.retryConfig } : {}) };
  const client = createSlackClient(config, { log: deps.log, ...(deps.retryConfig ? { retryConfig: deps.retryConfig } : {}) });
  const notifier = new SlackNotifier(client, deps.tempDir ? { tempDir: deps.tempDir } : {});
  const listeners: ListenerOptions = {
    handlers: deps,
    responder: { client, log: deps.log },
    clock: deps.clock,
    log: deps.log,
    ackDeadlineMs: deps.ackDeadlineMs ?? DEFAULT_ACK_DEADLINE_MS,
  };
  let identity = deps.identity;
  const knownIdentity = async () => (identity ??= await checkBotToken(config, deps.log, deps.retryConfig ?? STARTUP_RETRIES));

  if (!config.appToken) {
    const http = new SlackHttpDoor({
      signingSecret: config.signingSecret,
      processBeforeResponse: deps.processBeforeResponse ?? false,
      handle: slackRequestHandlers(listeners),
      handlers: deps,
      log: deps.log,
      clock: deps.clock,
    });
    return {
      mode: 'http',
      notifier,
      door: http.door(SLACK_EVENTS_PATH),
      async start() {
        await knownIdentity();
        http.start();
      },
      async stop() {
        http.stop();
      },
    };
  }

  const logger = boltLogger(deps.log);
  const receiver = new SocketModeReceiver({
    appToken: config.appToken,
    logger,
    installerOptions: { clientOptions },
    customPropertiesExtractor: () => ({ arrival: newArrival(deps.clock) }),
  });
  let app: App | undefined;
  return {
    mode: 'socket',
    notifier,
    door: undefined,
    async start() {
      // Built once the bot's identity is known, so Bolt itself never has to call auth.test.
      app ??= buildApp(receiver, config, { ...(await knownIdentity()), clientOptions, logger }, listeners);
      await receiver.start();
    },
    async stop() {
      await receiver.stop();
    },
  };
}

function buildApp(
  receiver: SocketModeReceiver,
  config: SlackConfig,
  options: SlackIdentity & { clientOptions: { slackApiUrl: string }; logger: ReturnType<typeof boltLogger> },
  listeners: ListenerOptions,
): App {
  const app = new App({
    receiver: receiver as Receiver,
    token: config.botToken,
    botId: options.botId,
    botUserId: options.botUserId,
    tokenVerificationEnabled: false,
    convoStore: false,
    clientOptions: options.clientOptions,
    logger: options.logger,
  });
  registerListeners(app, listeners);
  return app;
}

/**
 * Checks the bot token with `auth.test` before taking requests. A few quick retries only: a bot that cannot reach
 * Slack at start-up should fail and say so, not wait out the client's half-hour retry schedule.
 */
async function checkBotToken(config: SlackConfig, log: Logger, retryConfig: SlackRetryConfig): Promise<SlackIdentity> {
  const client = createSlackClient(config, { log, retryConfig });
  const auth = await callSlack('auth.test', () => client.auth.test());
  if (!auth.bot_id || !auth.user_id) {
    throw new AppError('internal', 'SLACK_BOT_TOKEN is not a bot token (auth.test named no bot).', {
      hint: 'Use the Bot User OAuth Token (xoxb-...) from the app’s OAuth & Permissions page.',
    });
  }
  return { botId: auth.bot_id, botUserId: auth.user_id };
}
