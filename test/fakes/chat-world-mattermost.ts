import { roleSettings, startWorldApp, type ChatWorld, type ChatWorldOptions } from './chat-world.js';
import { FakeMattermost, type RecordedCall } from './mattermost.js';
import { MattermostDriver } from './mattermost-driver.js';

/**
 * The bot behind a fake Mattermost: the bot account, the team, the approvals channel and the `/env` and `/audit`
 * commands set up as `npm run mattermost:setup` would, the commands calling the bot once its port is known.
 */
const ACTION_SECRET = 'world-action-secret';

/** Mattermost user ids: 26 lowercase letters and digits. */
function userId(name: string): string {
  return name.padEnd(26, '0');
}

export async function startMattermostWorld(options: ChatWorldOptions): Promise<ChatWorld> {
  const fake = await FakeMattermost.start();
  try {
    const seed = fake.seed();
    const commands = ['env', 'audit'].map((trigger) =>
      fake.store.addCommand({ teamId: seed.teamId, trigger, url: 'http://127.0.0.1:9/mattermost/command', creatorId: seed.admin.id }),
    );
    const people = {
      alice: { id: userId('alice'), name: 'alice' },
      bob: { id: userId('bob'), name: 'bob' },
      ana: { id: userId('ana'), name: 'ana' },
      adam: { id: userId('adam'), name: 'adam' },
    };
    const app = await startWorldApp(options, {
      MATTERMOST_URL: fake.url,
      MATTERMOST_BOT_TOKEN: seed.botToken,
      MATTERMOST_COMMAND_TOKENS: commands.map((command) => command.token).join(','),
      MATTERMOST_APPROVALS_CHANNEL: seed.approvalsChannelId,
      MATTERMOST_ACTION_SECRET: ACTION_SECRET,
      // Replaced by the app's own address once it listens.
      PUBLIC_URL: 'http://127.0.0.1:9',
      ...roleSettings('mattermost', people, options.roles),
    });
    const appUrl = `http://127.0.0.1:${app.port}`;
    for (const command of commands) command.url = `${appUrl}/mattermost/command`;
    const driver = new MattermostDriver({ fake, botUserId: seed.bot.id, teamId: seed.teamId });
    for (const person of Object.values(people)) driver.user(person.id, person.name);
    return {
      platform: 'mattermost',
      app,
      driver,
      people,
      bot: { id: seed.bot.id, name: seed.bot.username },
      approvalsChannel: seed.approvalsChannelId,
      appUrl,
      typedMention: (user) => `@${user.name}`,
      dialogsOpenedFor: (user) => fake.store.dialogs.filter((dialog) => dialog.user_id === user.id).length,
      fileText: async (fileId) => driver.fileText(fileId),
      uploadSteps: () => fake.calls.flatMap(uploadStep),
      async close() {
        await app.stop();
        await fake.close();
      },
    };
  } catch (error) {
    await fake.close();
    throw error;
  }
}

function uploadStep(call: RecordedCall): string[] {
  if (call.method !== 'POST') return [];
  if (call.path === '/api/v4/files') return ['POST /api/v4/files'];
  const fileIds = (call.body as { file_ids?: unknown } | undefined)?.file_ids;
  return call.path === '/api/v4/posts' && Array.isArray(fileIds) && fileIds.length > 0 ? ['POST /api/v4/posts with file_ids'] : [];
}
