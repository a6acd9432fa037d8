import { sql } from 'drizzle-orm';
import { check, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { PLATFORMS, type Platform, type Role } from '../../domain/users.js';

/** The platforms of the domain's list, as SQL literals for the check constraint. */
const platforms = sql.raw(PLATFORMS.map((platform) => `'${platform}'`).join(','));

/** Roles of chat users; anyone without a row is a `member`. Admins from ADMINS are written here at start-up. */
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
  },
  (table) => [
    primaryKey({ columns: [table.platform, table.userId] }),
    check('members_role_valid', sql`${table.role} in ('admin','approver','member')`),
    check('members_platform_valid', sql`${table.platform} in (${platforms})`),
  ],
);

export type MemberRow = typeof members.$inferSelect;
