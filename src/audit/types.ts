import { doorDetails, type Actor } from '../domain/actor.js';
import type { Platform, UserRef } from '../domain/users.js';
import type { Outcome } from '../errors.js';
import type { AuditEventType } from './events.js';

export interface AuditActor {
  type: 'user' | 'api_key' | 'system';
  /** Platform user id (`U123`), an API key's prefix, or the system component (`worker`, `reconciler`, `policy`). */
  id: string;
  name: string;
}

/** What a writer says about an event; id, category, timestamp defaults and hashes are filled in by `appendAudit`. */
export interface AuditEntryInput {
  eventType: AuditEventType;
  actor: AuditActor;
  platform?: Platform | 'system' | null;
  channelId?: string | null;
  resource?: { type: string; id: string } | null;
  outcome: Outcome;
  details?: Record<string, unknown>;
  requestId?: string | null;
  /** Defaults to the clock's now. */
  occurredAt?: Date;
}

export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: 'system', name: 'Aithroyz' };
export function systemActor(component: string): AuditActor {
  return { type: 'system', id: component, name: component };
}

/** The audit actor for a chat user. */
export function userActor(user: UserRef): AuditActor {
  return { type: 'user', id: user.id, name: user.name };
}

/** The audit actor for whoever acts through a door: the user, or the API key acting for its owner. */
export function auditActorOf(actor: Actor): AuditActor {
  return actor.apiKey ? { type: 'api_key', id: actor.apiKey.prefix, name: actor.apiKey.name } : userActor(actor.user);
}

/** The actor and door fields of an entry an actor causes: the details merge over `details`. */
export function actedBy(actor: Actor, details: Record<string, unknown> = {}): Pick<AuditEntryInput, 'actor' | 'details'> {
  return { actor: auditActorOf(actor), details: { ...details, ...doorDetails(actor) } };
}
