import { App, SocketModeReceiver, type Receiver } from '@slack/bolt';
import type { Clock } from '../../clock.js';
import type { SlackConfig } from '../../config.js';
import { AppError } from '../../errors.js';
import type { Door } from '../../http/server.js';
import type { Logger } from '../../log.js';
import { callSlack } from './api-errors.js';
import { boltLogger } from './bolt-logger.js';
import { SlackHttpReceiver } from './http-door.js';
import { newArrival, registerListeners, type SlackHandlers } from './listeners.js';
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
 * The Slack adapter: a Bolt app whose listeners turn commands, clicks and modal submissions into invocations. In
 * HTTP mode a receiver of ours (http-door.ts: Bolt's signature check, the body read once) serves `POST /slack/events`
 * on our HTTP server, through the platform's door; with an app-level token (SLACK_APP_TOKEN) it connects over Socket
 * Mode instead, with the same listeners.
 */
export function createSlackPlatform(config: SlackConfig, deps: SlackPlatformDeps): SlackPlatform {
  const logger = boltLogger(deps.log);
  const clientOptions = { slackApiUrl: config.apiUrl, ...(deps.retryConfig ? { retryConfig: deps.retryConfig } : {}) };
  const receiver = config.appToken
    ? new SocketModeReceiver({
        appToken: config.appToken,
        logger,
        installerOptions: { clientOptions },
        customPropertiesExtractor: () => ({ arrival: newArrival(deps.clock) }),
      })
    : new SlackHttpReceiver({
        signingSecret: config.signingSecret,
        processBeforeResponse: deps.processBeforeResponse ?? false,
        handlers: deps,
        log: deps.log,
        clock: deps.clock,
      });
  const client = createSlackClient(config, { log: deps.log, ...(deps.retryConfig ? { retryConfig: deps.retryConfig } : {}) });
  const notifier = new SlackNotifier(client, deps.tempDir ? { tempDir: deps.tempDir } : {});

  /** The Bolt app is built once the bot's identity is known, so Bolt itself never has to call auth.test. */
  const buildApp = (identity: SlackIdentity): App => {
    const app = new App({
      receiver: receiver as Receiver,
      token: config.botToken,
      ...identity,
      tokenVerificationEnabled: false,
      convoStore: false,
      clientOptions,
      logger,
    });
    registerListeners(app, {
      handlers: deps,
      responder: { client, log: deps.log },
      clock: deps.clock,
      log: deps.log,
      ackDeadlineMs: deps.ackDeadlineMs ?? DEFAULT_ACK_DEADLINE_MS,
    });
    return app;
  };

  let app: App | undefined;
  return {
    mode: receiver instanceof SocketModeReceiver ? 'socket' : 'http',
    notifier,
    door: receiver instanceof SlackHttpReceiver ? receiver.door(SLACK_EVENTS_PATH) : undefined,
    async start() {
      app ??= buildApp(deps.identity ?? (await checkBotToken(config, deps.log, deps.retryConfig ?? STARTUP_RETRIES)));
      await receiver.start();
    },
    async stop() {
      await receiver.stop();
    },
  };
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
