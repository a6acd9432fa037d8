import { DIRECTORY_SEARCH_LIMIT, type DirectoryUser } from '../src/chat/types.js';
import type { Actor } from '../src/domain/actor.js';
import { canManageRoles } from '../src/domain/policy.js';
import { AppError } from '../src/errors.js';
import type { Services } from '../src/services.js';
import { authorize } from './roles.js';

/**
 * Searching the people of the actor's chat platform, to pick someone to invite: admins only, as inviting is. The
 * platform answers (Slack's user list, Mattermost's user search); the bot keeps nothing of it.
 */
export async function searchPeople(s: Pick<Services, 'db' | 'config' | 'notifiers'>, actor: Actor, text: string): Promise<DirectoryUser[]> {
  if (!canManageRoles(await authorize(s, actor, 'read'))) throw new AppError('forbidden', 'Only admins can search the people of the chat.');
  const wanted = text.trim();
  if (wanted.length < 2) throw new AppError('invalid_search', 'Type at least two letters of the name.');
  if (wanted.length > 80) throw new AppError('invalid_search', 'That is too long for a name.');
  return s.notifiers.get(actor.user.platform).searchUsers(wanted, DIRECTORY_SEARCH_LIMIT);
}
