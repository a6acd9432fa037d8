import { pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * What the local provisioner (a simulator) has "created": one row per tool of an environment. It lives in Postgres so that a
 * worker killed mid-deploy leaves a record another worker can finish or clean up, exactly like real cloud state.
 */
export const simulatedResources = pgTable(
  'simulated_resources',
  {
    envId: text('env_id').notNull(),
    toolId: text('tool_id').notNull(),
    endpoint: text('endpoint').notNull(),
    /** The cloud key the simulated tool was "created" with, as a real provisioner would use it. */
    cloudKeyId: text('cloud_key_id'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.envId, table.toolId] })],
);

export type SimulatedResourceRow = typeof simulatedResources.$inferSelect;
