import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { INVITATION_STATES, type InvitationState } from '../../domain/team.js';
import { PLATFORMS, type Platform, type Role } from '../../domain/users.js';
import type { MessageRefColumn } from './environments.js';

const platforms = sql.raw(PLATFORMS.map((platform) => `'${platform}'`).join(','));
const states = sql.raw(INVITATION_STATES.map((state) => `'${state}'`).join(','));

/**
 * Invitations to the team: the role applies only when the invitee accepts. At most one is pending per person; a new
 * one replaces it. Pending ones expire at `expires_at` (a delayed job, re-created by the reconciler).
 */
export const invitations = pgTable(
  'invitations',
  {
    id: text('id').primaryKey(),
    platform: text('platform').$type<Platform>().notNull(),
    inviteeId: text('invitee_id').notNull(),
    inviteeName: text('invitee_name').notNull(),
    role: text('role').$type<Role>().notNull(),
    /** The inviting admin's user id, on the same platform. */
    invitedBy: text('invited_by').notNull(),
    invitedByName: text('invited_by_name').notNull(),
    invitedAt: timestamp('invited_at', { withTimezone: true, mode: 'date' }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    state: text('state').$type<InvitationState>().notNull(),
    /** When it was accepted, declined, expired or replaced. */
    answeredAt: timestamp('answered_at', { withTimezone: true, mode: 'date' }),
    /** The invitee's DM with the Accept and Decline buttons, once sent. */
    card: jsonb('card').$type<MessageRefColumn>(),
    /** When the card and the inviter were told how it ended. */
    announcedAt: timestamp('announced_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [
    uniqueIndex('invitations_one_pending').on(table.platform, table.inviteeId).where(sql`${table.state} = 'pending'`),
    index('invitations_state').on(table.state),
    check('invitations_role_valid', sql`${table.role} in ('admin','approver','member')`),
    check('invitations_platform_valid', sql`${table.platform} in (${platforms})`),
    check('invitations_state_valid', sql`${table.state} in (${states})`),
  ],
);

export type InvitationRow = typeof invitations.$inferSelect;
