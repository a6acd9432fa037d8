import { webApi } from '@slack/bolt';
import type { SlackConfig } from '../../config.js';
import type { Logger } from '../../log.js';
import type { MentionFinder } from '../mentions.js';
import type { MentionedUser } from '../types.js';
import { boltLogger } from './bolt-logger.js';

/** A user picked from Slack's mention menu, as an escaped slash command carries it: `<@U123>` or `<@U123|name>`. */
export const SLACK_MENTION = /<@([UW][A-Z0-9]{2,20})(?:\|[^<>|]*)?>/g;
/** Slackbot is a bot whatever users.info says of it. */
const SLACKBOT = 'USLACKBOT';
/** Lookups run before the answer, inside Slack's 3 s: they get a second each, and no retries. */
const LOOKUP_TIMEOUT_MS = 1000;
const CACHE_MS = 10 * 60_000;
const CACHE_LIMIT = 1000;

/**
 * Slack mentions resolved with `users.info` (the bot has `users:read`): the user's handle, and whether they are a
 * bot. Deleted users and users Slack does not know are left unresolved. Answers are kept for ten minutes.
 */
export function slackMentionFinder(config: SlackConfig, log: Logger): MentionFinder {
  const client = new webApi.WebClient(config.botToken, {
    slackApiUrl: config.apiUrl,
    logger: boltLogger(log),
    retryConfig: { retries: 0 },
    timeout: LOOKUP_TIMEOUT_MS,
  });
  const cache = new Map<string, { user: MentionedUser | undefined; until: number }>();
  const lookupOne = async (id: string): Promise<MentionedUser | undefined> => {
    const cached = cache.get(id);
    if (cached && cached.until > Date.now()) return cached.user;
    const user = await client.users.info({ user: id }).then(
      (answer) => (answer.user && !answer.user.deleted ? { id, name: answer.user.name ?? id, bot: id === SLACKBOT || answer.user.is_bot === true } : undefined),
      (error: unknown) => {
        if (errorCode(error) !== 'user_not_found') throw error;
        return undefined;
      },
    );
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(id, { user, until: Date.now() + CACHE_MS });
    return user;
  };
  return {
    pattern: SLACK_MENTION,
    async lookup(ids) {
      const users = await Promise.all(ids.map(lookupOne));
      return new Map(users.flatMap((user) => (user ? [[user.id, user] as const] : [])));
    },
  };
}

function errorCode(error: unknown): string | undefined {
  const data = typeof error === 'object' && error !== null ? (error as { data?: { error?: unknown } }).data : undefined;
  return typeof data?.error === 'string' ? data.error : undefined;
}
