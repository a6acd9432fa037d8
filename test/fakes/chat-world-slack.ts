import { roleSettings, startWorldApp, type ChatWorld, type ChatWorldOptions } from './chat-world.js';
import { FakeSlack } from './slack.js';
import { SlackDriver } from './slack-driver.js';

/** The bot over Slack's HTTP mode, its Web API calls going to a fake Slack. */
const SIGNING_SECRET = 'world-signing-secret';
const APPROVALS = { id: 'C0APPROVALS', name: 'lab-approvals' };
const GENERAL = { id: 'C0GENERAL', name: 'general' };
const UPLOAD_METHODS = new Set(['files.getUploadURLExternal', 'upload', 'files.completeUploadExternal']);

export async function startSlackWorld(options: ChatWorldOptions): Promise<ChatWorld> {
  const fake = await FakeSlack.start();
  try {
    fake.addChannel(APPROVALS);
    fake.addChannel(GENERAL);
    const people = {
      alice: { id: 'U0ALICE', name: 'alice' },
      bob: { id: 'U0BOB', name: 'bob' },
      ana: { id: 'U0ANA', name: 'ana' },
      adam: { id: 'U0ADAM', name: 'adam' },
    };
    for (const person of Object.values(people)) fake.addUser(person);
    const bot = { id: fake.identity.botUserId, name: 'aithroyz' };
    fake.addUser({ ...bot, isBot: true });
    const app = await startWorldApp(options, {
      SLACK_API_URL: fake.apiUrl,
      SLACK_BOT_TOKEN: fake.botToken,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_APPROVALS_CHANNEL: APPROVALS.id,
      ...roleSettings('slack', people, options.roles),
    });
    const appUrl = `http://127.0.0.1:${app.port}`;
    const driver = SlackDriver.http(fake, { eventsUrl: `${appUrl}/slack/events`, signingSecret: SIGNING_SECRET, channelId: GENERAL.id });
    return {
      platform: 'slack',
      app,
      driver,
      people,
      bot,
      approvalsChannel: APPROVALS.id,
      appUrl,
      typedMention: (user) => `<@${user.id}>`,
      dialogsOpenedFor: (user) => fake.state.views.filter((view) => view.userId === user.id).length,
      fileText: async (fileId) => (await fake.uploadedFile(fileId)).toString('utf8'),
      uploadSteps: () => fake.calls.filter((call) => UPLOAD_METHODS.has(call.method)).map((call) => call.method),
      async close() {
        await app.stop();
        await fake.stop();
      },
    };
  } catch (error) {
    await fake.stop();
    throw error;
  }
}
