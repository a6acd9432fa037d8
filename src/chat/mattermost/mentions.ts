import type { MentionFinder } from '../mentions.js';
import type { MattermostClient } from './client.js';

/**
 * `@username` as people type it in Mattermost (the server sends the text as typed, without ids): a letter, then
 * letters, digits, `.`, `-` or `_`, not ending in a dot, and not part of an email address or a longer word.
 */
export const USERNAME_MENTION = /(?<![\w@.-])@([A-Za-z][A-Za-z0-9._-]*[A-Za-z0-9_-]|[A-Za-z])(?![\w@-])/g;

/** Mattermost mentions resolved with one `POST /users/usernames`; deactivated users are left unresolved. */
export function mattermostMentionFinder(client: Pick<MattermostClient, 'getProfilesByUsernames'>): MentionFinder {
  return {
    pattern: USERNAME_MENTION,
    async lookup(names) {
      const profiles = await client.getProfilesByUsernames(names.map((name) => name.toLowerCase()));
      const byName = new Map(profiles.filter((profile) => profile.delete_at === 0).map((profile) => [profile.username, profile]));
      return new Map(
        names.flatMap((name) => {
          const profile = byName.get(name.toLowerCase());
          return profile ? [[name, { id: profile.id, name: profile.username, bot: profile.is_bot }] as const] : [];
        }),
      );
    },
  };
}
