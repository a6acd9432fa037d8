/** The routes Mattermost calls on the bot (README, "HTTP routes"). */
export const MATTERMOST_PATHS = {
  command: '/mattermost/command',
  actions: '/mattermost/actions',
  dialogs: '/mattermost/dialogs',
} as const;
