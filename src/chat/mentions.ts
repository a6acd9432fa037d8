import { mention } from '../../blocks/view.js';
import type { Logger } from '../log.js';
import type { Invocation, MentionedUser } from './types.js';

/**
 * How a door finds the users a command names: where they are in the text as the platform sends it, and who they are.
 * `pattern` is global; its first group is the key `lookup` takes (a Slack user id, a Mattermost username).
 */
export interface MentionFinder {
  pattern: RegExp;
  /** The users found, by key; keys it does not know are left out. */
  lookup(keys: readonly string[]): Promise<ReadonlyMap<string, MentionedUser>>;
}

/**
 * `@name` as people type it where the platform sends text as typed, without ids (Mattermost, the in-memory chat): a
 * letter, then letters, digits, `.`, `-` or `_`, not ending in a dot, and not part of an email address or a longer
 * word. Its group is the name.
 */
export const TYPED_NAME_MENTION = /(?<![\w@.-])@([A-Za-z][A-Za-z0-9._-]*[A-Za-z0-9_-]|[A-Za-z])(?![\w@-])/g;

/** More than this many users in one command is not a real command; the rest stay as typed. */
const MAX_LOOKUPS = 20;

/**
 * Rewrites the users a command's text names into `mention()` tokens and lists them on the invocation, before the core
 * sees it. What names nobody the finder knows stays as typed; a failed lookup leaves every mention as typed (the core
 * then refuses them as unknown). Clicks and dialogs carry no free text to resolve.
 */
export async function resolveMentions(invocation: Invocation, finder: MentionFinder, log: Logger): Promise<Invocation> {
  if (invocation.kind !== 'command') return invocation;
  const matches = [...invocation.text.matchAll(finder.pattern)];
  if (matches.length === 0) return invocation;
  const keys = [...new Set(matches.map((match) => match[1]!))].slice(0, MAX_LOOKUPS);
  let found: ReadonlyMap<string, MentionedUser>;
  try {
    found = await finder.lookup(keys);
  } catch (error) {
    log.warn({ err: error, requestId: invocation.requestId }, 'could not resolve the users a command mentions');
    return invocation;
  }
  const text = invocation.text.replace(finder.pattern, (whole: string, key: string) => {
    const user = found.get(key);
    return user ? mention(user) : whole;
  });
  const mentions = [...new Map([...found.values()].map((user) => [user.id, user])).values()];
  return { ...invocation, text, mentions };
}
