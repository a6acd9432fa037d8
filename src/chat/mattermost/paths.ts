/** The routes Mattermost calls on the bot (the slash commands, buttons and dialogs point at them). */
export const MATTERMOST_PATHS = {
  command: '/mattermost/command',
  actions: '/mattermost/actions',
  dialogs: '/mattermost/dialogs',
} as const;
