/**
 * The audit event list: every event type the log may hold, by category. `/audit export --type` accepts a category
 * or an exact event from here, and coverage tests check the code against it.
 */
export const AUDIT_EVENTS = {
  chat: ['command.invoked', 'action.clicked'],
  environments: [
    'plan.created', 'plan.approved', 'plan.rejected', 'plan.expired',
    'deployment.started', 'deployment.completed', 'deployment.failed',
    'destroy.initiated', 'destroy.completed', 'destroy.failed',
    'ttl.extended', 'ttl.reminder_sent', 'ttl.expired',
  ],
  team: [
    'member.invited', 'member.invitation_accepted', 'member.invitation_declined', 'member.invitation_expired',
    'member.role_changed', 'member.removed',
  ],
  credentials: [
    'cloud_key.added', 'cloud_key.rotated', 'cloud_key.deleted', 'cloud_key.default_set',
    'api_key.created', 'api_key.revoked',
  ],
  api: ['api.request'],
  // The console has no passwords, so there is no "password changed" event.
  auth: ['auth.login', 'auth.logout', 'auth.passkey_added', 'auth.passkey_removed', 'auth.mfa_completed'],
  audit: ['audit.exported', 'audit.verified', 'audit.head_published', 'audit.purged'],
} as const;

export type AuditCategory = keyof typeof AUDIT_EVENTS;
export type AuditEventType = (typeof AUDIT_EVENTS)[AuditCategory][number];

const CATEGORY_BY_EVENT = new Map<string, AuditCategory>(
  (Object.entries(AUDIT_EVENTS) as [AuditCategory, readonly string[]][]).flatMap(([category, events]) =>
    events.map((event) => [event, category] as const),
  ),
);

/**
 * Events of the list that no feature produces yet: none, now that API keys and cloud keys exist. Coverage tests expect
 * every other event to be written by the code, and none of these.
 */
export const RESERVED_EVENTS: readonly AuditEventType[] = [];

export function categoryOf(eventType: AuditEventType): AuditCategory {
  const category = CATEGORY_BY_EVENT.get(eventType);
  if (!category) throw new Error(`unknown audit event ${eventType}`);
  return category;
}

export function isAuditEventType(text: string): text is AuditEventType {
  return CATEGORY_BY_EVENT.has(text);
}

export function isAuditCategory(text: string): text is AuditCategory {
  return Object.hasOwn(AUDIT_EVENTS, text);
}
