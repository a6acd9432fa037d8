import { TYPED_NAME_MENTION, type MentionFinder } from '../mentions.js';
import type { MattermostClient } from './client.js';

/** Mattermost sends `@username` as typed: resolved with one `POST /users/usernames`; deactivated users are left unresolved. */
export function mattermostMentionFinder(client: Pick<MattermostClient, 'getProfilesByUsernames'>): MentionFinder {
  return {
    pattern: TYPED_NAME_MENTION,
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
