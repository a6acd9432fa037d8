import { MATTERMOST_PATHS } from './paths.js';
import { ClientError, describeClientError, MattermostClient } from './client.js';

/**
 * `npm run mattermost:setup`: makes a Mattermost server ready for the bot with an admin's token. Creates or updates
 * the bot account, gives it a fresh access token, puts it in the team (and the approvals channel when named), and
 * creates or updates the `/env`, `/team`, `/audit`, `/cloudkey` and `/apikey` slash commands. Running it again changes nothing but the new token.
 */

export interface SetupOptions {
  url: string;
  adminToken: string;
  /** Team name (as in the team's URL) or id. */
  team: string;
  botUsername: string;
  /** The bot's base URL as Mattermost reaches it; taken from existing commands when omitted. */
  publicUrl?: string;
  /** Channel name (or id) for approval cards: the bot joins it. */
  approvalsChannel?: string;
  timeoutMs?: number;
}

export interface SetupResult {
  botUserId: string;
  botCreated: boolean;
  botToken: string;
  team: { id: string; name: string };
  commands: { trigger: string; id: string; token: string; created: boolean }[];
  publicUrl: string;
  approvalsChannelId: string | undefined;
  /**
   * PrivacySettings.ShowEmailAddress: off, only system admins may look people up by email, so the console's OIDC
   * sign-in cannot find the bot's people; undefined when the server did not say.
   */
  showsEmailAddresses: boolean | undefined;
  /** The variables to set, in order. */
  env: [string, string][];
}

export class SetupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SetupError';
  }
}

const BOT_DISPLAY_NAME = 'Aithroyz';
const BOT_DESCRIPTION = 'Short-lived security labs on request, with approvals and an audit log.';
const ID_PATTERN = /^[a-z0-9]{26}$/;

export const SLASH_COMMANDS = [
  {
    trigger: 'env',
    display_name: 'Aithroyz labs',
    description: 'Request, extend and destroy short-lived security labs.',
    auto_complete_desc: 'Security labs: help, presets, request, list, status, extend, destroy, role',
    auto_complete_hint: 'help | presets | request <preset> [--ttl 8h] [--name text] | list [--all] | status|extend|destroy <env-id>',
  },
  {
    trigger: 'team',
    display_name: 'Aithroyz team',
    description: 'The team: list it; invite, change the role of or remove someone (admins).',
    auto_complete_desc: 'Team: list, invite, role, remove, help',
    auto_complete_hint: 'list | invite @user [member|approver|admin] | role @user <role> | remove @user | help',
  },
  {
    trigger: 'audit',
    display_name: 'Aithroyz audit log',
    description: 'Export or verify the audit log (admins).',
    auto_complete_desc: 'Audit log (admins): export as CSV, verify the chain',
    auto_complete_hint: 'export [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--type category] [--actor user] | verify',
  },
  {
    trigger: 'cloudkey',
    display_name: 'Aithroyz cloud keys',
    description: 'List, add, rotate and delete the cloud keys labs deploy with (admins).',
    auto_complete_desc: 'Cloud keys (admins): list, add, rotate, delete, default',
    auto_complete_hint: 'list | add | rotate <name> | delete <name> | default <name>',
  },
  {
    trigger: 'apikey',
    display_name: 'Aithroyz API keys',
    description: 'Create, list and revoke keys for the REST API.',
    auto_complete_desc: 'API keys: create (shown to you once), list, revoke',
    auto_complete_hint: 'create <name> [--scope read|write] [--expires 90d] | list [--all] | revoke <name|prefix>',
  },
] as const;

export async function setupMattermost(options: SetupOptions): Promise<SetupResult> {
  const url = options.url.replace(/\/+$/, '');
  const client = new MattermostClient(url, options.adminToken, options.timeoutMs);
  await checkAdmin(client, url);
  const team = await findTeam(client, options.team, url);
  const bot = await ensureBot(client, options.botUsername);
  await step(`adding @${options.botUsername} to team ${team.name}`, () => client.addToTeam(team.id, bot.userId));
  const approvalsChannelId = options.approvalsChannel
    ? await joinChannel(client, team, options.approvalsChannel, bot.userId)
    : undefined;
  const token = await step(`creating an access token for @${options.botUsername}`, () =>
    client.createUserAccessToken(bot.userId, 'Aithroyz ChatOps (mattermost:setup)'),
  );
  if (!token.token) throw new SetupError('Mattermost created the access token but did not return it.');
  const existing = await step(`listing the slash commands of team ${team.name}`, () => client.getCustomTeamCommands(team.id));
  const ours = existing.filter((command) => SLASH_COMMANDS.some((definition) => definition.trigger === command.trigger));
  const publicUrl = (options.publicUrl ?? publicUrlOf(ours.map((command) => command.url)) ?? '').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(publicUrl)) {
    throw new SetupError('--public-url is required: the bot\'s base URL as the Mattermost server reaches it, e.g. https://bot.example.com.');
  }
  const commands = [];
  for (const definition of SLASH_COMMANDS) {
    const current = existing.find((command) => command.trigger === definition.trigger && command.delete_at === 0);
    const fields = { ...definition, team_id: team.id, method: 'P' as const, url: `${publicUrl}${MATTERMOST_PATHS.command}`, auto_complete: true, username: '', icon_url: '' };
    const saved = current
      ? await step(`updating /${definition.trigger}`, () => client.editCommand({ ...current, ...fields }))
      : await step(`creating /${definition.trigger}`, () => client.addCommand({ ...fields, id: '', token: '', create_at: 0, update_at: 0, delete_at: 0, creator_id: '' }));
    commands.push({ trigger: definition.trigger, id: saved.id, token: saved.token, created: !current });
  }
  const env: [string, string][] = [
    ['MATTERMOST_URL', url],
    ['MATTERMOST_BOT_TOKEN', token.token],
    ['MATTERMOST_COMMAND_TOKENS', commands.map((command) => command.token).join(',')],
    ['PUBLIC_URL', publicUrl],
    ...(approvalsChannelId ? [['MATTERMOST_APPROVALS_CHANNEL', approvalsChannelId] as [string, string]] : []),
  ];
  const showsEmailAddresses = await showEmailAddressSetting(client);
  return { botUserId: bot.userId, botCreated: bot.created, botToken: token.token, team, commands, publicUrl, approvalsChannelId, showsEmailAddresses, env };
}

/** The server's Show Email Address setting, read with the admin's token (GET /config); undefined when it cannot be read. */
async function showEmailAddressSetting(client: MattermostClient): Promise<boolean | undefined> {
  try {
    const config = await client.getConfig();
    const value: unknown = config.PrivacySettings?.ShowEmailAddress;
    return typeof value === 'boolean' ? value : undefined;
  } catch {
    return undefined;
  }
}

async function checkAdmin(client: MattermostClient, url: string): Promise<void> {
  let roles: string;
  try {
    roles = (await client.getMe()).roles;
  } catch (error) {
    if (error instanceof ClientError && error.status_code === 401) {
      throw new SetupError(`${url} refused the token given with --token: use a personal access token of a system admin.`, { cause: error });
    }
    throw new SetupError(`Could not reach Mattermost at ${url}: ${describeClientError(error)}. Check --url.`, { cause: error });
  }
  if (!roles.split(' ').includes('system_admin')) {
    throw new SetupError('The token given with --token belongs to a user who is not a system admin: creating bots and slash commands needs one.');
  }
}

async function findTeam(client: MattermostClient, team: string, url: string): Promise<{ id: string; name: string }> {
  const attempts = ID_PATTERN.test(team) ? [() => client.getTeam(team), () => client.getTeamByName(team)] : [() => client.getTeamByName(team.toLowerCase())];
  for (const attempt of attempts) {
    try {
      const found = await attempt();
      return { id: found.id, name: found.name };
    } catch (error) {
      if (!(error instanceof ClientError && error.status_code === 404)) {
        throw new SetupError(`Looking up team "${team}" failed: ${describeClientError(error)}`, { cause: error });
      }
    }
  }
  throw new SetupError(`There is no team "${team}" on ${url}. Give --team the team's name as in its URL (${url}/<team>/...) or its id.`);
}

async function ensureBot(client: MattermostClient, username: string): Promise<{ userId: string; created: boolean }> {
  const bots = await step('listing bot accounts', () => allBots(client));
  const existing = bots.find((bot) => bot.username === username);
  const patch = { username, display_name: BOT_DISPLAY_NAME, description: BOT_DESCRIPTION };
  if (existing) {
    if (existing.delete_at !== 0) await step(`re-enabling @${username}`, () => client.enableBot(existing.user_id));
    await step(`updating @${username}`, () => client.patchBot(existing.user_id, patch));
    return { userId: existing.user_id, created: false };
  }
  try {
    const bot = await client.createBot(patch);
    return { userId: bot.user_id, created: true };
  } catch (error) {
    if (error instanceof ClientError && error.status_code === 400 && /exist/i.test(`${error.server_error_id ?? ''} ${error.message}`)) {
      throw new SetupError(`The username @${username} belongs to a user who is not a bot. Choose another with --bot-username.`, { cause: error });
    }
    throw new SetupError(`Creating the bot @${username} failed: ${describeClientError(error)}`, { cause: error });
  }
}

async function allBots(client: MattermostClient) {
  const perPage = 200;
  const bots = [];
  for (let page = 0; ; page += 1) {
    const batch = await client.getBotsIncludeDeleted(page, perPage);
    bots.push(...batch);
    if (batch.length < perPage) return bots;
  }
}

async function joinChannel(client: MattermostClient, team: { id: string; name: string }, channel: string, botUserId: string): Promise<string> {
  const found = await step(`looking up channel "${channel}" in team ${team.name}`, () =>
    ID_PATTERN.test(channel) ? client.getChannel(channel) : client.getChannelByName(team.id, channel.replace(/^~/, '')),
  );
  await step(`adding the bot to channel ${found.name}`, () => client.addToChannel(botUserId, found.id));
  return found.id;
}

/** The common base of the commands' URLs, when they point at this bot. */
function publicUrlOf(urls: string[]): string | undefined {
  const bases = urls.filter((url) => url.endsWith(MATTERMOST_PATHS.command)).map((url) => url.slice(0, -MATTERMOST_PATHS.command.length));
  return bases[0];
}

async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof SetupError) throw error;
    throw new SetupError(`Failed ${what}: ${describeClientError(error)}`, { cause: error });
  }
}
