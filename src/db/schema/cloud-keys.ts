import { sql } from 'drizzle-orm';
import { boolean, check, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { CloudProvider } from '../../domain/cloud-keys.js';

/**
 * Cloud keys: what is shown of them in the clear (name, provider, the last four characters of the access key id,
 * region, account, who added and rotated them), and the pair itself sealed: `sealed_pair` is the access key id and
 * secret as one JSON value under a data key of the key's own, `wrapped_key` that data key wrapped by CREDENTIALS_KEY.
 */
export const cloudKeys = pgTable(
  'cloud_keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    provider: text('provider').$type<CloudProvider>().notNull(),
    /** The last four characters of the access key id: enough to recognise it, never enough to use it. */
    accessKeyHint: text('access_key_hint').notNull(),
    region: text('region').notNull(),
    /** The account the pair belongs to, when CLOUDKEY_VERIFY checked it. */
    accountId: text('account_id'),
    isDefault: boolean('is_default').notNull().default(false),
    wrappedKey: text('wrapped_key').notNull(),
    sealedPair: text('sealed_pair').notNull(),
    addedBy: text('added_by').notNull(),
    addedByName: text('added_by_name').notNull(),
    addedAt: timestamp('added_at', { withTimezone: true, mode: 'date' }).notNull(),
    rotatedBy: text('rotated_by'),
    rotatedByName: text('rotated_by_name'),
    rotatedAt: timestamp('rotated_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [
    uniqueIndex('cloud_keys_name_unique').on(table.name),
    uniqueIndex('cloud_keys_one_default').on(table.isDefault).where(sql`${table.isDefault}`),
    check('cloud_keys_provider_valid', sql`${table.provider} in ('aws')`),
    check('cloud_keys_id_format', sql`${table.id} ~ '^key-[a-z0-9]{6}$'`),
  ],
);

export type CloudKeyRow = typeof cloudKeys.$inferSelect;

/**
 * The check value of CREDENTIALS_KEY (one row): a constant sealed under it, and its fingerprint. Written with the first
 * key; a process that cannot open it refuses to start, instead of failing at the first deploy.
 */
export const credentialsCheck = pgTable(
  'credentials_check',
  {
    id: integer('id').primaryKey().default(1),
    fingerprint: text('fingerprint').notNull(),
    sealed: text('sealed').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [check('credentials_check_single_row', sql`${table.id} = 1`)],
);
