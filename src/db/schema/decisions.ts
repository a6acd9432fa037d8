import { sql } from 'drizzle-orm';
import { check, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { environments } from './environments.js';

/** The one decision on a plan: the primary key on env_id makes a second decision impossible. */
export const decisions = pgTable(
  'decisions',
  {
    envId: text('env_id').primaryKey().references(() => environments.id),
    outcome: text('outcome').$type<'approved' | 'rejected' | 'expired'>().notNull(),
    /** Null when the system decided (auto-approval by policy, approval timeout). */
    deciderId: text('decider_id'),
    deciderName: text('decider_name'),
    reason: text('reason'),
    decidedAt: timestamp('decided_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [check('decisions_outcome_valid', sql`${table.outcome} in ('approved','rejected','expired')`)],
);

export type DecisionRow = typeof decisions.$inferSelect;
