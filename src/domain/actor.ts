import type { Standing } from './team.js';
import { userKey, type UserRef } from './users.js';

/**
 * The ways into the core. `chat` is a chat platform's door (Slack, Mattermost, the sandbox: the platform is the
 * user's); `console` is the web console, where a member acts with their chat identity; `api` is the REST API, where
 * an API key acts for its owner.
 */
export const DOORS = ['chat', 'console', 'api'] as const;
export type Door = (typeof DOORS)[number];

export const KEY_SCOPES = ['read', 'write'] as const;
/** `read` keys only read; `write` keys also change state, within their owner's role. */
export type KeyScope = (typeof KEY_SCOPES)[number];

/** An API key acting for its owner, as the audit log names it: never the key itself. */
export interface ApiKeyRef {
  id: string;
  name: string;
  /** The short visible start of the key (`aitz_AbC123`), which recognises it. */
  prefix: string;
  scope: KeyScope;
}

/**
 * Who acts on the core, and through which door. Workflows authorise `user`, with the role Postgres holds for them
 * at decision time; an API key never acts with more than its owner's role, and a `read` key changes nothing.
 */
export interface Actor {
  /** The member whose role decides: the chat user, the member signed in to the console, or the API key's owner. */
  user: UserRef;
  door: Door;
  /** Set when an API key acts (door `api`). */
  apiKey?: ApiKeyRef;
  /**
   * The user's standing in the team as read together with the credential, in the same query, at the start of this
   * request (an API key and its owner's membership; a console session and its member's). Reads decide on it; changes
   * read the standing again.
   */
  standingAtRequest?: Standing;
}

export function chatActor(user: UserRef): Actor {
  return { user, door: 'chat' };
}

export function consoleActor(user: UserRef, standingAtRequest?: Standing): Actor {
  return { user, door: 'console', ...(standingAtRequest ? { standingAtRequest } : {}) };
}

export function apiKeyActor(owner: UserRef, apiKey: ApiKeyRef, standingAtRequest?: Standing): Actor {
  return { user: owner, door: 'api', apiKey, ...(standingAtRequest ? { standingAtRequest } : {}) };
}

/** True when the actor's credential may change state (every door but a `read` API key). */
export function mayChange(actor: Actor): boolean {
  return actor.apiKey === undefined || actor.apiKey.scope === 'write';
}

/**
 * What the audit entries an actor causes record besides the actor: the door when it is not chat, and for an API key
 * its owner (the entry's actor is the key).
 */
export function doorDetails(actor: Actor): Record<string, string> {
  if (actor.door === 'chat') return {};
  if (actor.apiKey) return { door: actor.door, owner: userKey(actor.user), owner_name: actor.user.name };
  return { door: actor.door };
}
