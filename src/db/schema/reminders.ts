import { integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { environments } from './environments.js';

/**
 * Reminders already sent, keyed by the expiry they were about: after an extension the expiry changes, so the same
 * offset reminds again, and a replayed job for the old expiry finds its row and does nothing.
 */
export const remindersSent = pgTable(
  'reminders_sent',
  {
    envId: text('env_id').notNull().references(() => environments.id),
    offsetSeconds: integer('offset_seconds').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.envId, table.offsetSeconds, table.expiresAt] })],
);
