import { sql } from 'drizzle-orm';
import { check, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { PLATFORMS, type Platform, type Role } from '../../domain/users.js';

/** The platforms of the domain's list, as SQL literals for the check constraint. */
const platforms = sql.raw(PLATFORMS.map((platform) => `'${platform}'`).join(','));

/**
 * The team: chat users with a role, who added them and when, and whether (and by whom) they were removed. Without a
 * row a user is a `member` in `open` access mode and not in the team in `invite` mode. Admins from ADMINS are written
 * here at start-up, approvers from APPROVERS once.
 */
export const members = pgTable(
  'members',
  {
    platform: text('platform').$type<Platform>().notNull(),
    userId: text('user_id').notNull(),
    displayName: text('display_name').notNull().default(''),
    role: text('role').$type<Role>().notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** `slack:U123` of whoever set the role, or `config` for bootstrap admins. */
    updatedBy: text('updated_by').notNull(),
    /** When the person joined the team (their first row, or their return after a removal). */
    addedAt: timestamp('added_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** `slack:U123` of the admin who set the role or whose invitation was accepted, or `config`. */
    addedBy: text('added_by').notNull().default('config'),
    removedAt: timestamp('removed_at', { withTimezone: true, mode: 'date' }),
    /** `slack:U123` of the admin who removed them. */
    removedBy: text('removed_by'),
  },
  (table) => [
    primaryKey({ columns: [table.platform, table.userId] }),
    check('members_role_valid', sql`${table.role} in ('admin','approver','member')`),
    check('members_platform_valid', sql`${table.platform} in (${platforms})`),
  ],
);

export type MemberRow = typeof members.$inferSelect;
