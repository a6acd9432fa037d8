import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { PLATFORMS, type Platform, type UserRef } from '../../domain/users.js';

const platforms = sql.raw(PLATFORMS.map((platform) => `'${platform}'`).join(','));

/**
 * One-time links that sign a chat user in to the web console. Only the SHA-256 of the token is stored: the link itself
 * exists once, in the user's DM. A link is used at most once (`used_at`), and not after `expires_at`.
 */
export const consoleSignInLinks = pgTable(
  'console_sign_in_links',
  {
    tokenHash: text('token_hash').primaryKey(),
    platform: text('platform').$type<Platform>().notNull(),
    userId: text('user_id').notNull(),
    userName: text('user_name').notNull().default(''),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true, mode: 'date', precision: 3 }),
  },
  (table) => [
    check('console_links_platform_valid', sql`${table.platform} in (${platforms})`),
    check('console_links_hash_format', sql`${table.tokenHash} ~ '^[0-9a-f]{64}$'`),
    index('console_links_expires_idx').on(table.expiresAt),
  ],
);

/**
 * Signed-in console sessions, one row each; the cookie holds a random id, the row its SHA-256. A session ends when it
 * is idle too long (`last_seen_at`), at its absolute end (`expires_at`), or when its user signs out or ends it from
 * the sessions page (the row goes).
 */
export const consoleSessions = pgTable(
  'console_sessions',
  {
    idHash: text('id_hash').primaryKey(),
    platform: text('platform').$type<Platform>().notNull(),
    userId: text('user_id').notNull(),
    userName: text('user_name').notNull().default(''),
    /** How the session was started: `chat_link` or `passkey`. */
    method: text('method').notNull(),
    /** The client address the session was last used from (as the server sees it, through TRUST_PROXY). */
    clientAddress: text('client_address').notNull().default(''),
    /** When the session's member completed a passkey assertion (at sign-in with a passkey, or as a second factor). */
    mfaCompletedAt: timestamp('mfa_completed_at', { withTimezone: true, mode: 'date', precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
  },
  (table) => [
    check('console_sessions_platform_valid', sql`${table.platform} in (${platforms})`),
    check('console_sessions_hash_format', sql`${table.idHash} ~ '^[0-9a-f]{64}$'`),
    index('console_sessions_user_idx').on(table.platform, table.userId),
    index('console_sessions_expires_idx').on(table.expiresAt),
  ],
);

export type ConsoleSessionRow = typeof consoleSessions.$inferSelect;

/**
 * OpenID Connect sign-ins under way: one row from the press of the sign-in button until the issuer sends the browser
 * back (10 minutes at most). The state is in the browser's cookie and the URL; the row keeps only its SHA-256 and a
 * salt: the nonce and the PKCE verifier are derived from the state and the salt, so neither the table nor the redirect
 * alone yields them. A row is used once (`used_at`). When the verified email names a
 * member on two platforms, `choices` holds both until the person picks one (`chosen_at`).
 */
export const consoleOidcRequests = pgTable(
  'console_oidc_requests',
  {
    stateHash: text('state_hash').primaryKey(),
    salt: text('salt').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true, mode: 'date', precision: 3 }),
    email: text('email'),
    choices: jsonb('choices').$type<UserRef[]>(),
    chosenAt: timestamp('chosen_at', { withTimezone: true, mode: 'date', precision: 3 }),
  },
  (table) => [
    check('console_oidc_hash_format', sql`${table.stateHash} ~ '^[0-9a-f]{64}$'`),
    index('console_oidc_expires_idx').on(table.expiresAt),
  ],
);
