import { randomUUID } from 'node:crypto';
import { mention, MENTION_PATTERN, type ActionId } from '../../blocks/view.js';
import type { ActionInvocation, CommandInvocation, DialogSubmission, MentionedUser } from '../../src/chat/types.js';
import type { UserRef } from '../../src/domain/users.js';

/** Invocations as a door hands them to `handleInvocation`: the one place tests build them. */

function base(user: UserRef, channelId: string) {
  return { requestId: randomUUID(), platform: user.platform, user, channelId, receivedAt: new Date() };
}

export interface CommandOptions {
  /** The slash command without its slash; `env` by default. */
  command?: string;
  channelId?: string;
  /**
   * The users the door resolved. By default, every mention token in the text, as written by a door that resolved
   * them; pass a list to say otherwise (an empty one: nobody was resolved).
   */
  mentions?: readonly MentionedUser[];
}

/** `/env …` (or another command) typed by `user`. */
export function commandInvocation(user: UserRef, text: string, options: CommandOptions = {}): CommandInvocation {
  const mentions = options.mentions ?? [...text.matchAll(MENTION_PATTERN)].map(([, id, name]) => ({ id: id!, name: name!, bot: false }));
  return { kind: 'command', command: options.command ?? 'env', text, mentions, ...base(user, options.channelId ?? 'C0LABS') };
}

/** A user as a door that resolved their mention lists them, and the token it writes into the text. */
export function mentioned(user: UserRef): { user: MentionedUser; token: string } {
  return { user: { id: user.id, name: user.name, bot: false }, token: mention(user) };
}

/** A click on a button of a message in `channelId` (the approvals channel by default). */
export function clickInvocation(user: UserRef, actionId: ActionId | string, value: string, channelId = 'C0APPROVALS'): ActionInvocation {
  return { kind: 'action', actionId, value, message: { platform: user.platform, channelId, messageId: '1700000000.000100' }, ...base(user, channelId) };
}

/** A dialog submitted with these fields. */
export function dialogInvocation(user: UserRef, callbackId: string, value: string, fields: Record<string, string>, channelId = 'C0APPROVALS'): DialogSubmission {
  return { kind: 'dialog', callbackId, value, fields, ...base(user, channelId) };
}
