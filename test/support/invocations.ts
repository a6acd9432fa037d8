import { randomUUID } from 'node:crypto';
import type { CommandInvocation } from '../../src/chat/types.js';
import type { UserRef } from '../../src/domain/users.js';

/** `/env …` (or another command) typed by `user`, as an adapter hands it to `handleInvocation`. */
export function commandInvocation(user: UserRef, text: string, command = 'env'): CommandInvocation {
  return { kind: 'command', requestId: randomUUID(), platform: user.platform, user, channelId: 'C1', receivedAt: new Date(), command, text };
}
