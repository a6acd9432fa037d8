import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { EnvState } from '../../domain/lifecycle.js';
import { PLATFORMS, type Platform } from '../../domain/users.js';

/** The platforms of the domain's list, as SQL literals for the check constraint. */
const platforms = sql.raw(PLATFORMS.map((platform) => `'${platform}'`).join(','));

const states = sql.raw(
  "'pending_approval','approved','deploying','running','destroying','destroyed','rejected','approval_expired','deploy_failed','destroy_failed'",
);

/** Where a chat message lives, so it can be edited or replied to later. */
export interface MessageRefColumn {
  channelId: string;
  messageId: string;
}

export const environments = pgTable(
  'environments',
  {
    id: text('id').primaryKey(),
    presetId: text('preset_id').notNull(),
    name: text('name'),
    platform: text('platform').$type<Platform>().notNull(),
    ownerId: text('owner_id').notNull(),
    ownerName: text('owner_name').notNull(),
    /** Channel the request came from (for the audit log and replies). */
    requestChannelId: text('request_channel_id'),
    state: text('state').$type<EnvState>().notNull(),
    ttlSeconds: integer('ttl_seconds').notNull(),
    requestedAt: timestamp('requested_at', { withTimezone: true, mode: 'date' }).notNull(),
    approvalDeadline: timestamp('approval_deadline', { withTimezone: true, mode: 'date' }).notNull(),
    runningAt: timestamp('running_at', { withTimezone: true, mode: 'date' }),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
    /** runningAt + the preset's max TTL: no extension goes past it. */
    maxExpiresAt: timestamp('max_expires_at', { withTimezone: true, mode: 'date' }),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
    /** Tool id → URL, once deployed. */
    endpoints: jsonb('endpoints').$type<Record<string, string>>().notNull().default({}),
    /** The approval card; its message is also the root of the progress thread. */
    approvalCard: jsonb('approval_card').$type<MessageRefColumn>(),
    /** Why the last destroy started: owner, admin, expired, deploy_failed. */
    destroyReason: text('destroy_reason'),
    failureReason: text('failure_reason'),
    /** The cloud key the lab deploys with (its id, never its secret): the preset's, else the default when it was requested. */
    cloudKeyId: text('cloud_key_id'),
    /** Bumped by every change, for optimistic checks and cache-busting job ids. */
    version: integer('version').notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [
    check('environments_state_valid', sql`${table.state} in (${states})`),
    check('environments_id_format', sql`${table.id} ~ '^env-[a-z0-9]{6}$'`),
    check('environments_platform_valid', sql`${table.platform} in (${platforms})`),
    check('environments_ttl_positive', sql`${table.ttlSeconds} > 0`),
    check('environments_running_has_expiry', sql`${table.state} <> 'running' or (${table.expiresAt} is not null and ${table.maxExpiresAt} is not null)`),
    check('environments_expiry_within_max', sql`${table.expiresAt} is null or ${table.maxExpiresAt} is null or ${table.expiresAt} <= ${table.maxExpiresAt}`),
    check('environments_destroy_reason_valid', sql`${table.destroyReason} is null or ${table.destroyReason} in ('owner','admin','expired','deploy_failed')`),
    index('environments_owner_state_idx').on(table.platform, table.ownerId, table.state),
    index('environments_state_idx').on(table.state),
  ],
);

export type EnvironmentRow = typeof environments.$inferSelect;
export type NewEnvironmentRow = typeof environments.$inferInsert;
