import type { Platform, UserRef } from '../domain/users.js';
import type { Outcome } from '../errors.js';
import type { AuditEventType } from './events.js';

export interface AuditActor {
  type: 'user' | 'api_key' | 'system';
  /** Platform user id (`U123`), key id, or the system component (`worker`, `reconciler`, `policy`). */
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
