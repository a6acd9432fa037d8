import type { MentionedUser } from '../src/chat/types.js';
import { AppError } from '../src/errors.js';
import { clip } from './args.js';

/**
 * Users named in command text. Doors resolve what their platform sends (Slack's `<@U123>`, Mattermost's `@name`) into
 * the neutral `mention()` token and list the users they resolved on the invocation; the core reads only those tokens
 * and trusts only the users listed, so text that merely looks like a mention names nobody.
 */

/** A `mention()` token: `<@id|name>`. */
const MENTION_TOKEN = /^<@([A-Za-z0-9._-]+)\|([^<>|]*)>$/;
/** Anything else that tries to name a user: `@name`, or a platform mention the door could not resolve. */
const UNRESOLVED = /^(?:@[^\s@]+|<@[^<>]*>)$/;

export type UserArgument =
  | { kind: 'user'; user: MentionedUser }
  /** It names a user, but not one the door could resolve: how it was written, for the refusal. */
  | { kind: 'unresolved'; shown: string };

/** Reads one argument that names a user; undefined when it does not look like a mention at all. */
export function readMention(text: string, mentions: readonly MentionedUser[] = []): UserArgument | undefined {
  const token = MENTION_TOKEN.exec(text);
  if (token) {
    const user = mentions.find((candidate) => candidate.id === token[1]);
    return user ? { kind: 'user', user } : { kind: 'unresolved', shown: `@${token[2] || token[1]}` };
  }
  return UNRESOLVED.test(text) ? { kind: 'unresolved', shown: text } : undefined;
}

/** A person the text mentions: refuses anything else with what to write instead. */
export function mentionedPerson(text: string, mentions: readonly MentionedUser[] | undefined): MentionedUser {
  const argument = readMention(text, mentions);
  if (!argument) throw new AppError('invalid_user', `"${clip(text)}" is not a user: mention them, e.g. @alice.`);
  if (argument.kind === 'unresolved') throw unknownUser(argument.shown);
  if (argument.user.bot) throw new AppError('bot_user', `@${clip(argument.user.name)} is a bot: only people can be named here.`);
  return argument.user;
}

export function unknownUser(shown: string): AppError {
  return new AppError('unknown_user', `${clip(shown)} is not someone this chat knows.`, {
    hint: 'Mention a member of the workspace: type @ and pick them from the list.',
  });
}
