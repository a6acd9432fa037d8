import { roleSettings, type ChatRoles, type ChatStage } from './chat-world.js';
import { FakeSlack } from './slack.js';
import { SlackDriver } from './slack-driver.js';

/** A fake Slack for the bot in HTTP mode: its Web API calls go to the fake, people's requests to the bot's URL. */
const SIGNING_SECRET = 'world-signing-secret';
const APPROVALS = { id: 'C0APPROVALS', name: 'lab-approvals' };
const GENERAL = { id: 'C0GENERAL', name: 'general' };
const UPLOAD_METHODS = new Set(['files.getUploadURLExternal', 'upload', 'files.completeUploadExternal']);

export async function startSlackStage(roles: ChatRoles): Promise<ChatStage> {
  const fake = await FakeSlack.start();
  fake.addChannel(APPROVALS);
  fake.addChannel(GENERAL);
  const people = {
    alice: { id: 'U0ALICE', name: 'alice' },
    bob: { id: 'U0BOB', name: 'bob' },
    ana: { id: 'U0ANA', name: 'ana' },
    adam: { id: 'U0ADAM', name: 'adam' },
  };
  // Addresses as the fake Mattermost gives its people: the same person has the same address on either platform.
  for (const person of Object.values(people)) fake.addUser({ ...person, email: `${person.name}@example.test` });
  const bot = { id: fake.identity.botUserId, name: 'aithroyz' };
  fake.addUser({ ...bot, isBot: true });
  return {
    platform: 'slack',
    people,
    bot,
    approvalsChannel: APPROVALS.id,
    settings: {
      SLACK_API_URL: fake.apiUrl,
      SLACK_BOT_TOKEN: fake.botToken,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_APPROVALS_CHANNEL: APPROVALS.id,
      ...roleSettings('slack', people, roles),
    },
    typedMention: (user) => `<@${user.id}>`,
    dialogsOpenedFor: (user) => fake.state.views.filter((view) => view.userId === user.id).length,
    fileText: async (fileId) => (await fake.uploadedFile(fileId)).toString('utf8'),
    uploadSteps: () => fake.calls.filter((call) => UPLOAD_METHODS.has(call.method)).map((call) => call.method),
    driverFor: (botUrl) => SlackDriver.http(fake, { eventsUrl: `${botUrl}/slack/events`, signingSecret: SIGNING_SECRET, channelId: GENERAL.id }),
    close: () => fake.stop(),
  };
}
