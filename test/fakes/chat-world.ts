import { startApp, type App, type AppOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Platform } from '../../src/domain/users.js';
import type { Logger } from '../../src/log.js';
import type { RetryOverrides } from '../../src/queue/jobs.js';
import type { ChatMessage, ChatUser, SentRequest } from './chat-types.js';

export type { ChatButton, ChatMessage, ChatUser, SentRequest } from './chat-types.js';

/**
 * The whole bot as it runs in production (`startApp`, mode `all`: the HTTP server, the chat platform, the workers
 * and the reconciler) pointed at a fake Slack or a fake Mattermost, with four people to play it: for the flow tests
 * written once for both platforms.
 */

/** What users do and see, with the same names on both platforms' drivers. */
export interface ChatDriver {
  user(id: string, name: string): ChatUser;
  command(user: ChatUser, line: string, options?: { channelId?: string }): Promise<SentRequest>;
  click(user: ChatUser, message: ChatMessage, actionId: string, options?: { value?: string }): Promise<SentRequest>;
  submitDialog(user: ChatUser, values: Record<string, string>): Promise<SentRequest>;
  dms(user: ChatUser): ChatMessage[];
  channel(channelId?: string): ChatMessage[];
  thread(root: ChatMessage): ChatMessage[];
  ephemerals(user: ChatUser): ChatMessage[];
  refresh(message: ChatMessage): ChatMessage;
  waitFor<T>(check: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  transcript(): string[];
}

/** alice and bob request labs, ana approves them, adam is an admin. */
export interface ChatPeople {
  alice: ChatUser;
  bob: ChatUser;
  ana: ChatUser;
  adam: ChatUser;
}

/**
 * A fake chat platform with its people, before a bot is pointed at it: what the bot must be configured with, and
 * how to read back what people saw. One bot process or several (behind one address) can serve it.
 */
/** The platforms with a fake server to run against. */
export type WorldPlatform = Exclude<Platform, 'sandbox'>;

export interface ChatStage {
  platform: WorldPlatform;
  people: ChatPeople;
  /** The bot's own account, as the platform lists it (a bot, not a person). */
  bot: ChatUser;
  /** Where approval cards go. */
  approvalsChannel: string;
  /** The bot's settings for this platform: credentials, channels, ADMINS and APPROVERS. */
  settings: Record<string, string>;
  /** A mention of `user` as this platform sends it when someone picks them (Slack: `<@U…>`; Mattermost: `@name`). */
  typedMention(user: ChatUser): string;
  /** How many dialogs (modals) the bot has opened for this user. */
  dialogsOpenedFor(user: ChatUser): number;
  /** The content of a file the bot uploaded. */
  fileText(fileId: string): Promise<string>;
  /** The platform API calls that carried uploads, in order (Slack's three upload steps; Mattermost's file and post). */
  uploadSteps(): string[];
  /** Sends people's commands and clicks to the bot at `botUrl` from now on; the driver plays those people. */
  driverFor(botUrl: string): ChatDriver;
  /** Stops the fake. */
  close(): Promise<void>;
}

export interface ChatWorld extends Omit<ChatStage, 'settings' | 'driverFor'> {
  app: App;
  driver: ChatDriver;
  /** The bot's base URL. */
  appUrl: string;
  /** Stops the bot and the fake; the database and the Redis keys are the caller's. */
  close(): Promise<void>;
}

export interface ChatWorldOptions {
  databaseUrl: string;
  redisUrl: string;
  /** BullMQ prefix of this world's own. */
  queuePrefix: string;
  /** Settings besides the platform's (short durations, the provisioner's step time). */
  settings?: Record<string, string>;
  log: Logger;
  retries?: RetryOverrides;
  /** Who is an admin and who an approver; adam and ana by default. */
  roles?: ChatRoles;
  /** How the console reaches a local OIDC issuer (see `AppOptions.oidcDiscovery`). */
  oidcDiscovery?: AppOptions['oidcDiscovery'];
  /**
   * The host name of the bot's PUBLIC_URL (the server still listens on 127.0.0.1): `localhost` for passkeys, which
   * belong to a domain name and not an IP address. 127.0.0.1 by default.
   */
  publicHost?: 'localhost' | '127.0.0.1';
}

export interface ChatRoles {
  admins: (keyof ChatPeople)[];
  approvers: (keyof ChatPeople)[];
}

const DEFAULT_ROLES: ChatRoles = { admins: ['adam'], approvers: ['ana'] };

/** ADMINS and APPROVERS for these people on this platform. */
export function roleSettings(platform: Platform, people: ChatPeople, roles: ChatRoles): Record<string, string> {
  const keys = (names: (keyof ChatPeople)[]) => names.map((name) => `${platform}:${people[name].id}`).join(',');
  return { ADMINS: keys(roles.admins), APPROVERS: keys(roles.approvers) };
}

/** The bot with `settings` (the platform's added to the caller's), on a free port of 127.0.0.1. */
export async function startWorldApp(options: ChatWorldOptions, platformSettings: Record<string, string>): Promise<App> {
  const config = loadConfig({
    // Settings that need PUBLIC_URL (CONSOLE_ADMIN_MFA) see its host now; its port is the one the server gets.
    PUBLIC_URL: `http://${options.publicHost ?? '127.0.0.1'}`,
    ...options.settings,
    ...platformSettings,
    PORT: '0',
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: options.queuePrefix,
  });
  return startApp({
    config,
    log: options.log,
    databaseUrl: options.databaseUrl,
    mode: 'all',
    host: '127.0.0.1',
    publicUrlFor: (port) => `http://${options.publicHost ?? '127.0.0.1'}:${port}`,
    ...(options.retries ? { retries: options.retries } : {}),
    ...(options.oidcDiscovery ? { oidcDiscovery: options.oidcDiscovery } : {}),
  });
}

/** A fake Slack or Mattermost with alice, bob, ana and adam, and the bot's settings for it. */
export async function startChatStage(platform: WorldPlatform, roles: ChatRoles = DEFAULT_ROLES): Promise<ChatStage> {
  // Loaded on demand: each stage needs only its own platform's fake.
  if (platform === 'slack') return (await import('./chat-world-slack.js')).startSlackStage(roles);
  return (await import('./chat-world-mattermost.js')).startMattermostStage(roles);
}

export async function startChatWorld(platform: WorldPlatform, options: ChatWorldOptions): Promise<ChatWorld> {
  const stage = await startChatStage(platform, options.roles);
  try {
    const app = await startWorldApp(options, stage.settings);
    const appUrl = `http://${options.publicHost ?? '127.0.0.1'}:${app.port}`;
    const { settings: _settings, driverFor, close: closeStage, ...seen } = stage;
    return {
      ...seen,
      app,
      driver: driverFor(appUrl),
      appUrl,
      async close() {
        await app.stop();
        await closeStage();
      },
    };
  } catch (error) {
    await stage.close();
    throw error;
  }
}
