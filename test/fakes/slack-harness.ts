import { createSlackPlatform, type SlackPlatform, type SlackPlatformDeps } from '../../src/chat/slack/platform.js';
import type { SlackConfig } from '../../src/config.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { FakeSlack, type FakeSlackOptions } from './slack.js';
import { SlackDriver } from './slack-driver.js';

/**
 * The Slack adapter as it runs in production (Bolt's receiver on our HTTP server, or Socket Mode), pointed at the
 * fake Slack: for end-to-end tests and the demo.
 */
export const HARNESS_SIGNING_SECRET = 'harness-signing-secret';

export interface SlackHarness {
  fake: FakeSlack;
  /** The HTTP server in HTTP mode; undefined in Socket Mode. */
  http: HttpServer | undefined;
  platform: SlackPlatform;
  config: SlackConfig;
  /** `POST /slack/events` on the running server (HTTP mode). */
  eventsUrl: string;
  driver: SlackDriver;
  close(): Promise<void>;
}

export interface SlackHarnessOptions {
  mode: 'http' | 'socket';
  /** The Slack config the bot would read from the environment; the API URL and tokens are the fake's. */
  config?: Partial<Pick<SlackConfig, 'approvalsChannel' | 'auditChannel' | 'signingSecret'>>;
  fake?: FakeSlackOptions;
  /** Runs after the fake started and before the platform is created (to point Services at the fake). */
  deps: (fake: FakeSlack, config: SlackConfig) => SlackPlatformDeps;
  /** Leaves start() to the test. */
  start?: boolean;
}

export async function startSlackHarness(options: SlackHarnessOptions): Promise<SlackHarness> {
  const fake = await FakeSlack.start(options.fake);
  const config: SlackConfig = {
    signingSecret: options.config?.signingSecret ?? HARNESS_SIGNING_SECRET,
    botToken: fake.botToken,
    appToken: options.mode === 'socket' ? fake.appToken : undefined,
    apiUrl: fake.apiUrl,
    approvalsChannel: options.config?.approvalsChannel ?? 'C0APPROVALS',
    auditChannel: options.config?.auditChannel,
  };
  if (!fake.state.channels.has(config.approvalsChannel)) fake.addChannel({ id: config.approvalsChannel, name: 'approvals' });
  const deps = options.deps(fake, config);
  const http = options.mode === 'http' ? createHttpServer({ log: deps.log }) : undefined;
  const platform = createSlackPlatform(config, deps);
  if (http && platform.door) http.register(platform.door);
  const port = http ? (await http.listen(0, '127.0.0.1')).port : 0;
  const eventsUrl = `http://127.0.0.1:${port}/slack/events`;
  if (options.start !== false) await platform.start();
  const driver =
    options.mode === 'http'
      ? SlackDriver.http(fake, { eventsUrl, signingSecret: config.signingSecret, channelId: 'C0GENERAL' })
      : SlackDriver.socket(fake, { channelId: 'C0GENERAL' });
  if (!fake.state.channels.has('C0GENERAL')) fake.addChannel({ id: 'C0GENERAL', name: 'general' });
  return {
    fake,
    http,
    platform,
    config,
    eventsUrl,
    driver,
    async close() {
      await platform.stop();
      await http?.close();
      await fake.stop();
    },
  };
}
