import { createMattermostPlatform, type MattermostPlatform, type MattermostPlatformDeps } from '../../src/chat/mattermost/platform.js';
import type { MattermostConfig } from '../../src/config.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/log.js';
import { FakeMattermost, type FakeMattermostOptions, type FakeMattermostSetup } from './mattermost.js';
import { MattermostDriver } from './mattermost-driver.js';

/**
 * The Mattermost adapter as it runs in production (its three routes on our HTTP server, Client4 for REST calls),
 * pointed at the fake Mattermost, with `/env`, `/team` and `/audit` registered there as the setup script would: for
 * end-to-end tests and the demo.
 */
export const HARNESS_ACTION_SECRET = 'harness-action-secret';

export interface MattermostHarness {
  fake: FakeMattermost;
  seed: FakeMattermostSetup;
  http: HttpServer;
  platform: MattermostPlatform;
  config: MattermostConfig;
  /** PUBLIC_URL: the bot's base URL. */
  baseUrl: string;
  driver: MattermostDriver;
  close(): Promise<void>;
}

export interface MattermostHarnessOptions {
  fake?: FakeMattermostOptions;
  /**
   * Runs once the fake runs and before the platform is created: build Services with `mattermostSettings(config)` here.
   * The server listens after that, so `config.publicUrl` is a stand-in; the platform reads the real one lazily.
   */
  deps: (context: { fake: FakeMattermost; seed: FakeMattermostSetup; config: MattermostConfig }) => MattermostPlatformDeps | Promise<MattermostPlatformDeps>;
  /** Leaves start() to the test. */
  start?: boolean;
}

/** The environment variables that make `loadConfig` produce `config` (for the Services of a test). */
export function mattermostSettings(config: MattermostConfig): Record<string, string> {
  return {
    MATTERMOST_URL: config.url,
    MATTERMOST_BOT_TOKEN: config.botToken,
    MATTERMOST_COMMAND_TOKENS: config.commandTokens.join(','),
    MATTERMOST_APPROVALS_CHANNEL: config.approvalsChannel,
    ...(config.auditChannel ? { MATTERMOST_AUDIT_CHANNEL: config.auditChannel } : {}),
    MATTERMOST_ACTION_SECRET: config.actionSecret,
    PUBLIC_URL: config.publicUrl,
  };
}

export async function startMattermostHarness(options: MattermostHarnessOptions): Promise<MattermostHarness> {
  const fake = await FakeMattermost.start(options.fake);
  const seed = fake.seed();
  const http = createHttpServer({ log: silentLogger });
  const commands = ['env', 'team', 'audit', 'cloudkey', 'apikey'].map((trigger) =>
    fake.store.addCommand({ teamId: seed.teamId, trigger, url: `${UNKNOWN_URL}/mattermost/command`, creatorId: seed.admin.id }),
  );
  const config: MattermostConfig = {
    url: fake.url,
    botToken: seed.botToken,
    commandTokens: commands.map((command) => command.token),
    approvalsChannel: seed.approvalsChannelId,
    auditChannel: undefined,
    publicUrl: UNKNOWN_URL,
    actionSecret: HARNESS_ACTION_SECRET,
  };
  const deps = await options.deps({ fake, seed, config });
  let baseUrl = UNKNOWN_URL;
  const platform = createMattermostPlatform(deps.services.config.mattermost ?? config, { publicUrl: () => baseUrl, ...deps });
  http.register(platform.door);
  const { port } = await http.listen(0, '127.0.0.1');
  baseUrl = `http://127.0.0.1:${port}`;
  for (const command of commands) command.url = `${baseUrl}/mattermost/command`;
  deps.services.notifiers.register(platform.notifier);
  if (options.start !== false) await platform.start();
  const driver = new MattermostDriver({ fake, botUserId: seed.bot.id, teamId: seed.teamId });
  return {
    fake,
    seed,
    http,
    platform,
    config: { ...config, publicUrl: baseUrl },
    baseUrl,
    driver,
    async close() {
      await platform.stop();
      await http.close();
      await fake.close();
    },
  };
}

/** PUBLIC_URL until the server listens: nothing answers there. */
const UNKNOWN_URL = 'http://127.0.0.1:9';
