/** The routes Mattermost calls on the bot (interfaces.md). */
export const MATTERMOST_PATHS = {
  command: '/mattermost/command',
  actions: '/mattermost/actions',
  dialogs: '/mattermost/dialogs',
} as const;
