import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, defaultBodyLimit, HTTPReceiver, SocketModeReceiver, type BufferedIncomingMessage, type Receiver } from '@slack/bolt';
import type { Clock } from '../../clock.js';
import type { SlackConfig } from '../../config.js';
import { AppError } from '../../errors.js';
import { readBody, type HttpServer, type RequestContext } from '../../http/server.js';
import type { Logger } from '../../log.js';
import { callSlack } from './api-errors.js';
import { boltLogger } from './bolt-logger.js';
import { isSignedBySlack, rejectionFor, unroutableBody } from './inbound-guard.js';
import { newArrival, recordRejection, registerListeners, type Arrival, type SlackHandlers } from './listeners.js';
import { createSlackClient, SlackNotifier, type SlackRetryConfig } from './notifier.js';
import { futureTimestampProblem, SLACK_TIMESTAMP_HEADER } from './timestamp.js';

/** Slash commands and interactivity share one request URL (README, "HTTP routes"). */
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
  /** Checks the bot token (`auth.test`) and, in Socket Mode, connects. HTTP requests before start get 503. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The Slack adapter: a Bolt app whose listeners turn commands, clicks and modal submissions into invocations. In
 * HTTP mode Bolt's own receiver (and its signature check) serves `POST /slack/events` on our HTTP server; with an
 * app-level token (SLACK_APP_TOKEN) it connects over Socket Mode instead, with the same listeners.
 */
export function createSlackPlatform(config: SlackConfig, deps: SlackPlatformDeps, http?: Pick<HttpServer, 'route'>): SlackPlatform {
  const logger = boltLogger(deps.log);
  const clientOptions = { slackApiUrl: config.apiUrl, ...(deps.retryConfig ? { retryConfig: deps.retryConfig } : {}) };
  const arrivals = new WeakMap<IncomingMessage, Arrival>();
  const receiver = config.appToken
    ? new SocketModeReceiver({
        appToken: config.appToken,
        logger,
        installerOptions: { clientOptions },
        customPropertiesExtractor: () => ({ arrival: newArrival(deps.clock) }),
      })
    : new HTTPReceiver({
        signingSecret: config.signingSecret,
        endpoints: SLACK_EVENTS_PATH,
        processBeforeResponse: deps.processBeforeResponse ?? false,
        logger,
        customPropertiesExtractor: (req) => ({ arrival: arrivals.get(req) ?? newArrival(deps.clock) }),
        processEventErrorHandler: ({ error, request, response }) => refuseWhatBoltCannotRead(deps, error, request, response, arrivals),
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
  let started = false;
  if (receiver instanceof HTTPReceiver) {
    if (!http) throw new Error('Slack in HTTP mode needs the HTTP server to mount POST /slack/events on');
    http.route('POST', SLACK_EVENTS_PATH, async (req: IncomingMessage, res: ServerResponse, context: RequestContext) => {
      if (!started) return refuse(req, res, 503);
      const problem = futureTimestampProblem(req.headers[SLACK_TIMESTAMP_HEADER], deps.clock.now());
      if (problem) {
        context.log.warn({ problem }, 'refused a Slack request');
        return refuse(req, res, 401);
      }
      arrivals.set(req, newArrival(deps.clock, context.requestId));
      // Read here so the body can be sorted before Bolt sees it; Bolt uses a request's `rawBody` when it has one.
      const buffered: BufferedIncomingMessage = Object.assign(req, { rawBody: await readBody(req, defaultBodyLimit) });
      const unroutable = isSignedBySlack(config.signingSecret, req.headers, buffered.rawBody) ? unroutableBody(buffered) : undefined;
      if (unroutable) {
        await recordRejection(deps, deps.log, unroutable, context.requestId);
        return refuse(req, res, 400);
      }
      receiver.requestListener(buffered, res);
    });
  }

  return {
    mode: receiver instanceof SocketModeReceiver ? 'socket' : 'http',
    notifier,
    async start() {
      app ??= buildApp(deps.identity ?? (await checkBotToken(config, deps.log, deps.retryConfig ?? STARTUP_RETRIES)));
      if (receiver instanceof SocketModeReceiver) await receiver.start();
      started = true;
    },
    async stop() {
      started = false;
      if (receiver instanceof SocketModeReceiver) await receiver.stop();
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

/**
 * Bolt throws before any listener for some signed bodies it cannot read (a block_actions payload without a user, a
 * view_submission without a view): answered 400 and audited as `invalid` instead of Bolt's 500.
 */
async function refuseWhatBoltCannotRead(
  deps: SlackPlatformDeps,
  error: Error,
  request: IncomingMessage,
  response: ServerResponse,
  arrivals: WeakMap<IncomingMessage, Arrival>,
): Promise<boolean> {
  if (response.headersSent) {
    deps.log.error({ err: error }, 'a Slack listener failed after its ack');
    return false;
  }
  const requestId = arrivals.get(request)?.requestId ?? randomUUID();
  const rejection = rejectionFor(request as BufferedIncomingMessage, `Bolt could not read the payload (${error.message.slice(0, 120)})`);
  await recordRejection(deps, deps.log, rejection, requestId);
  refuse(request, response, 400);
  return true;
}

/** Answers without reading the body (drained so the connection can be reused), the way Bolt refuses: no body. */
function refuse(req: IncomingMessage, res: ServerResponse, status: number): void {
  req.resume();
  res.writeHead(status);
  res.end();
}
