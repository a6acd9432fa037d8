import type { ChatUser } from '../fakes/chat-types.js';
import { mattermostSettings, startMattermostHarness, type MattermostHarness } from '../fakes/mattermost-harness.js';
import { createTestServices, type TestServices } from './services.js';

export interface MattermostBot {
  harness: MattermostHarness;
  services: TestServices;
  /** The server's system admin, also the bot's admin. */
  admin: ChatUser;
}

/**
 * The bot on Mattermost over test services with their workers running, pointed at a fake Mattermost server that
 * knows `users`; the server's admin is the bot's admin and `approver` its approver.
 */
export async function startMattermostBot(users: ChatUser[], approver: ChatUser): Promise<MattermostBot> {
  let services!: TestServices;
  let admin!: ChatUser;
  const harness = await startMattermostHarness({
    deps: async ({ fake, config, seed }) => {
      for (const user of users) fake.store.addUser({ id: user.id, username: user.name });
      admin = { id: seed.admin.id, name: seed.admin.username };
      services = await createTestServices({
        settings: { ...mattermostSettings(config), ADMINS: `mattermost:${seed.admin.id}`, APPROVERS: `mattermost:${approver.id}`, MAX_ACTIVE_PER_USER: '50' },
      });
      await services.startWorkers();
      return { services: services.s };
    },
  });
  return { harness, services, admin };
}
