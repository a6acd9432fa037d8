import { roleSettings, type ChatRoles, type ChatStage } from './chat-world.js';
import { FakeMattermost, type RecordedCall } from './mattermost.js';
import { MattermostDriver } from './mattermost-driver.js';

/**
 * A fake Mattermost with the bot account, the team, the approvals channel and the `/env`, `/team` and `/audit` commands set
 * up as `npm run mattermost:setup` would; the commands call the bot once its URL is known.
 */
const ACTION_SECRET = 'world-action-secret';
/** Nothing listens here: PUBLIC_URL and the command URLs until the bot's own address replaces them. */
const NOWHERE = 'http://127.0.0.1:9';

/** Mattermost user ids: 26 lowercase letters and digits. */
function userId(name: string): string {
  return name.padEnd(26, '0');
}

export async function startMattermostStage(roles: ChatRoles): Promise<ChatStage> {
  const fake = await FakeMattermost.start();
  const seed = fake.seed();
  const commands = ['env', 'team', 'audit', 'cloudkey', 'apikey'].map((trigger) =>
    fake.store.addCommand({ teamId: seed.teamId, trigger, url: `${NOWHERE}/mattermost/command`, creatorId: seed.admin.id }),
  );
  const people = {
    alice: { id: userId('alice'), name: 'alice' },
    bob: { id: userId('bob'), name: 'bob' },
    ana: { id: userId('ana'), name: 'ana' },
    adam: { id: userId('adam'), name: 'adam' },
  };
  const driver = new MattermostDriver({ fake, botUserId: seed.bot.id, teamId: seed.teamId });
  for (const person of Object.values(people)) driver.user(person.id, person.name);
  return {
    platform: 'mattermost',
    people,
    bot: { id: seed.bot.id, name: seed.bot.username },
    approvalsChannel: seed.approvalsChannelId,
    settings: {
      MATTERMOST_URL: fake.url,
      MATTERMOST_BOT_TOKEN: seed.botToken,
      MATTERMOST_COMMAND_TOKENS: commands.map((command) => command.token).join(','),
      MATTERMOST_APPROVALS_CHANNEL: seed.approvalsChannelId,
      MATTERMOST_ACTION_SECRET: ACTION_SECRET,
      PUBLIC_URL: NOWHERE,
      ...roleSettings('mattermost', people, roles),
    },
    typedMention: (user) => `@${user.name}`,
    dialogsOpenedFor: (user) => fake.store.dialogs.filter((dialog) => dialog.user_id === user.id).length,
    fileText: async (fileId) => driver.fileText(fileId),
    uploadSteps: () => fake.calls.flatMap(uploadStep),
    driverFor(botUrl) {
      for (const command of commands) command.url = `${botUrl}/mattermost/command`;
      return driver;
    },
    close: () => fake.close(),
  };
}

function uploadStep(call: RecordedCall): string[] {
  if (call.method !== 'POST') return [];
  if (call.path === '/api/v4/files') return ['POST /api/v4/files'];
  const fileIds = (call.body as { file_ids?: unknown } | undefined)?.file_ids;
  return call.path === '/api/v4/posts' && Array.isArray(fileIds) && fileIds.length > 0 ? ['POST /api/v4/posts with file_ids'] : [];
}
