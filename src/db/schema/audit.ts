import { sql } from 'drizzle-orm';
import { bigint, check, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The append-only audit log. Rows are chained: `hash` = SHA-256 over a canonical form of the row and `prev_hash`.
 * Triggers (in the migration) refuse UPDATE, TRUNCATE and DELETE of rows younger than the retention period.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
    category: text('category').notNull(),
    eventType: text('event_type').notNull(),
    actorType: text('actor_type').$type<'user' | 'api_key' | 'system'>().notNull(),
    actorId: text('actor_id').notNull(),
    actorName: text('actor_name').notNull().default(''),
    platform: text('platform'),
    channelId: text('channel_id'),
    resourceType: text('resource_type'),
    resourceId: text('resource_id'),
    outcome: text('outcome').$type<'ok' | 'denied' | 'invalid' | 'error'>().notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    requestId: text('request_id'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (table) => [
    check('audit_actor_type_valid', sql`${table.actorType} in ('user','api_key','system')`),
    check('audit_outcome_valid', sql`${table.outcome} in ('ok','denied','invalid','error')`),
    check('audit_hash_format', sql`${table.hash} ~ '^[0-9a-f]{64}$'`),
    index('audit_occurred_at_idx').on(table.occurredAt),
    index('audit_event_type_idx').on(table.eventType, table.occurredAt),
    index('audit_actor_idx').on(table.actorId, table.occurredAt),
    // The console's Audit page filters by category or resource, newest first (keyset on occurred_at, id).
    index('audit_category_idx').on(table.category, table.occurredAt, table.id),
    index('audit_resource_idx').on(table.resourceId, table.occurredAt, table.id),
  ],
);

export type AuditRow = typeof auditLog.$inferSelect;

/** Settings the audit triggers read (one row): the retention period the DELETE trigger enforces. */
export const auditSettings = pgTable('audit_settings', {
  id: text('id').primaryKey().default('singleton'),
  retentionDays: bigint('retention_days', { mode: 'number' }).notNull(),
});
