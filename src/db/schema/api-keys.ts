import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { KeyScope } from '../../domain/actor.js';
import { PLATFORMS, type Platform } from '../../domain/users.js';

const platforms = sql.raw(PLATFORMS.map((platform) => `'${platform}'`).join(','));

/**
 * API keys. The key itself is never stored: `hash` is its SHA-256 and `prefix` its visible start. A key acts for its
 * owner (`owner_platform`, `owner_id`) with the owner's role at each request; names are unique among an owner's keys
 * that are not revoked.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    hash: text('hash').notNull(),
    scope: text('scope').$type<KeyScope>().notNull(),
    ownerPlatform: text('owner_platform').$type<Platform>().notNull(),
    ownerId: text('owner_id').notNull(),
    ownerName: text('owner_name').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    /** `slack:U123` of whoever revoked it. */
    revokedBy: text('revoked_by'),
  },
  (table) => [
    uniqueIndex('api_keys_prefix_idx').on(table.prefix),
    uniqueIndex('api_keys_owner_name_idx').on(table.ownerPlatform, table.ownerId, table.name).where(sql`${table.revokedAt} is null`),
    index('api_keys_owner_idx').on(table.ownerPlatform, table.ownerId),
    check('api_keys_scope_valid', sql`${table.scope} in ('read','write')`),
    check('api_keys_platform_valid', sql`${table.ownerPlatform} in (${platforms})`),
    check('api_keys_hash_format', sql`${table.hash} ~ '^[0-9a-f]{64}$'`),
  ],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
