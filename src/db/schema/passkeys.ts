import { sql } from 'drizzle-orm';
import { bigint, check, index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { PLATFORMS, type Platform } from '../../domain/users.js';

const platforms = sql.raw(PLATFORMS.map((platform) => `'${platform}'`).join(','));

/**
 * Passkeys (WebAuthn credentials) that sign a chat user in to the web console. Only what checks an assertion is kept:
 * the credential's id and public key (COSE, base64url), its signature counter and transports, the name its owner gave
 * it and its dates. `user_handle` is the random WebAuthn user id the bot gave the owner (the same for all their
 * passkeys), which an authenticator hands back at sign-in.
 */
export const passkeys = pgTable(
  'passkeys',
  {
    id: text('id').primaryKey(),
    platform: text('platform').$type<Platform>().notNull(),
    userId: text('user_id').notNull(),
    userName: text('user_name').notNull().default(''),
    userHandle: text('user_handle').notNull(),
    name: text('name').notNull(),
    publicKey: text('public_key').notNull(),
    counter: bigint('counter', { mode: 'number' }).notNull(),
    transports: text('transports').array().notNull().default(sql`'{}'::text[]`),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date', precision: 3 }),
  },
  (table) => [
    check('passkeys_platform_valid', sql`${table.platform} in (${platforms})`),
    // Postgres regular expressions repeat at most 255 times: the length is checked on its own.
    check('passkeys_id_format', sql`${table.id} ~ '^[A-Za-z0-9_-]+$' and length(${table.id}) between 16 and 1400`),
    check('passkeys_counter_range', sql`${table.counter} >= 0`),
    uniqueIndex('passkeys_user_name_idx').on(table.platform, table.userId, table.name),
    index('passkeys_user_handle_idx').on(table.userHandle),
  ],
);

export type PasskeyRow = typeof passkeys.$inferSelect;

/** What a WebAuthn challenge was made for: adding a passkey, signing in, or an admin's second factor. */
export const CHALLENGE_PURPOSES = ['register', 'sign_in', 'mfa'] as const;
export type ChallengePurpose = (typeof CHALLENGE_PURPOSES)[number];

/**
 * WebAuthn challenges the bot handed out, by the SHA-256 of the challenge: each is used once (`used_at`), before
 * `expires_at`, for its purpose; those made for a signed-in session (adding a passkey, the second factor) name it.
 */
export const passkeyChallenges = pgTable(
  'passkey_challenges',
  {
    challengeHash: text('challenge_hash').primaryKey(),
    purpose: text('purpose').$type<ChallengePurpose>().notNull(),
    /** The SHA-256 of the console session id that asked (absent for signing in). */
    sessionHash: text('session_hash'),
    /** For adding a passkey: the WebAuthn user id the registration options gave the member. */
    userHandle: text('user_handle'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true, mode: 'date', precision: 3 }),
  },
  (table) => [
    check('passkey_challenges_hash_format', sql`${table.challengeHash} ~ '^[0-9a-f]{64}$'`),
    check('passkey_challenges_purpose_valid', sql`${table.purpose} in ('register','sign_in','mfa')`),
    index('passkey_challenges_expires_idx').on(table.expiresAt),
  ],
);
