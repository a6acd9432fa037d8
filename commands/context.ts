import type { View } from '../blocks/view.js';
import type { CommandInvocation, Invocation } from '../src/chat/types.js';
import type { Actor } from '../src/domain/actor.js';
import { AppError, isAppError } from '../src/errors.js';
import type { Logger } from '../src/log.js';
import type { Services } from '../src/services.js';
import { usageHint, type UsageLine } from './usage.js';

/** What the handler learned that belongs in the invocation's audit entry, filled in as soon as it is known. */
export interface AuditNotes {
  resource?: { type: string; id: string };
  details: Record<string, unknown>;
}

export interface HandlerContext<I extends Invocation = Invocation> {
  s: Services;
  invocation: I;
  /** Who acts: the invocation's verified user, through their chat door. */
  actor: Actor;
  /** Child logger carrying the request id. */
  log: Logger;
  audit: AuditNotes;
}

/** What a slash command's handler gets. */
export type CommandContext = HandlerContext<CommandInvocation>;

/** Where an invocation asked from, for work that answers later by DM (audit exports and checks). */
export function jobRequestOf(invocation: Invocation): { requestId: string; channelId: string } {
  return { requestId: invocation.requestId, channelId: invocation.channelId };
}

/**
 * The ephemeral part of a reply whose other parts (a dialog, an edited message) say everything: adapters post
 * nothing for an empty view.
 */
export const NOTHING_MORE: View = { text: '', blocks: [] };

export function environmentResource(envId: string): { type: string; id: string } {
  return { type: 'environment', id: envId };
}

/** Runs a parser, giving its refusals the command's usage as hint when they carry none of their own. */
export function withUsage<T>(line: UsageLine, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (isAppError(error) && error.hint === undefined) {
      throw new AppError(error.code, error.message, { hint: usageHint(line), cause: error, retry: error.retry });
    }
    throw error;
  }
}

/** A refusal of the command's arguments, with its usage as hint. */
export function badArguments(message: string, line: UsageLine): AppError {
  return new AppError('invalid_arguments', message, { hint: usageHint(line) });
}
