import { randomUUID } from 'node:crypto';
import { addSeconds, differenceInSeconds } from 'date-fns';
import { and, asc, eq, isNull, or, sql } from 'drizzle-orm';
import { appendAudit } from '../src/audit/append.js';
import { sanitizeText } from '../src/audit/sanitize.js';
import { actedBy, type AuditEntryInput } from '../src/audit/types.js';
import type { Tx } from '../src/db/client.js';
import { postgresErrorIn } from '../src/db/postgres-error.js';
import { preparedPerDb } from '../src/db/prepared.js';
import { apiKeys, type ApiKeyRow } from '../src/db/schema/api-keys.js';
import { apiKeyActor, type Actor, type ApiKeyRef, type KeyScope } from '../src/domain/actor.js';
import {
  API_KEY_PATTERN,
  API_KEY_PREFIX_PATTERN,
  apiKeyPrefix,
  checkKeyLifetime,
  keyMatches,
  newApiKey,
  type KeyRefusal,
} from '../src/domain/api-keys.js';
import { canManageAllApiKeys, isSameUser } from '../src/domain/policy.js';
import { userKey, type UserRef } from '../src/domain/users.js';
import { AppError } from '../src/errors.js';
import type { Services } from '../src/services.js';
import { members } from '../src/db/schema/members.js';
import { authorize, MEMBER_FACTS, memberRowOf, standingFrom } from './roles.js';

/** API keys: created by members for themselves, listed and revoked by their owners and by admins, checked at each request. */

export interface CreateKeyInput {
  actor: Actor;
  name: string;
  scope: KeyScope;
  lifetimeSeconds: number;
  requestId: string;
  channelId?: string;
}

export interface CreatedKey {
  /** The key itself: shown once, to its owner only, and stored nowhere. */
  key: string;
  row: ApiKeyRow;
}

/** The reference the audit log and the actor carry for a key: never the key. */
export function keyRefOf(row: ApiKeyRow): ApiKeyRef {
  return { id: row.id, name: row.name, prefix: row.prefix, scope: row.scope };
}

export function keyOwnerOf(row: ApiKeyRow): UserRef {
  return { platform: row.ownerPlatform, id: row.ownerId, name: row.ownerName };
}

/** Creates a key for the actor's own user; the row and its `api_key.created` entry commit together. */
export async function createApiKey(s: Services, input: CreateKeyInput): Promise<CreatedKey> {
  checkKeyLifetime(input.lifetimeSeconds);
  if (input.actor.apiKey) throw new AppError('forbidden', 'API keys are created in chat, with `/apikey create`, not with another key.');
  await authorize(s, input.actor, 'change');
  const owner = input.actor.user;
  try {
    return await s.db.transaction(async (tx) => {
      const taken = await activeKeysOf(tx, owner, input.name);
      if (taken.length > 0) throw nameTaken(input.name);
      const secret = newApiKey();
      const now = s.clock.now();
      const [row] = await tx
        .insert(apiKeys)
        .values({
          id: randomUUID(),
          name: input.name,
          prefix: secret.prefix,
          hash: secret.hash,
          scope: input.scope,
          ownerPlatform: owner.platform,
          ownerId: owner.id,
          ownerName: sanitizeText(owner.name),
          createdAt: now,
          expiresAt: addSeconds(now, input.lifetimeSeconds),
        })
        .returning();
      await auditKey(s, tx, row!, input.actor, 'api_key.created', input);
      return { key: secret.key, row: row! };
    });
  } catch (error) {
    // Two creates of one name at once: the partial unique index keeps one.
    if (postgresErrorIn(error)?.code === '23505') throw nameTaken(input.name);
    throw error;
  }
}

function nameTaken(name: string): AppError {
  return new AppError('key_name_taken', `You already have a key named "${name}".`, {
    hint: 'Pick another name, or revoke the old key first (`/apikey revoke <name>`).',
  });
}

async function activeKeysOf(tx: Tx | Services['db'], owner: Pick<UserRef, 'platform' | 'id'>, name?: string): Promise<ApiKeyRow[]> {
  return tx
    .select()
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.ownerPlatform, owner.platform),
        eq(apiKeys.ownerId, owner.id),
        isNull(apiKeys.revokedAt),
        name === undefined ? undefined : eq(apiKeys.name, name),
      ),
    )
    .orderBy(asc(apiKeys.createdAt));
}

/** Keys that are not revoked (expired ones included, marked by their expiry): the actor's own, or with `all` everyone's (admins). */
export async function listApiKeys(s: Services, input: { actor: Actor; all: boolean }): Promise<ApiKeyRow[]> {
  const role = await authorize(s, input.actor, 'read');
  if (input.all && !canManageAllApiKeys(role)) {
    throw new AppError('forbidden', 'Only admins can list everyone’s API keys.', { hint: 'Use `/apikey list` for yours.' });
  }
  if (!input.all) return activeKeysOf(s.db, input.actor.user);
  return s.db.select().from(apiKeys).where(isNull(apiKeys.revokedAt)).orderBy(asc(apiKeys.createdAt)).limit(500);
}

export interface RevokeKeyInput {
  actor: Actor;
  /** The key's name (the actor's own keys) or its prefix (`aitz_AbC12345`: admins, anyone's). */
  ref: string;
  requestId: string;
  channelId?: string;
}

/**
 * Revokes a key at once: the next request made with it is refused. Owners revoke their own keys by name or prefix,
 * admins anyone's by prefix. The change and its `api_key.revoked` entry commit together.
 */
export async function revokeApiKey(s: Services, input: RevokeKeyInput): Promise<ApiKeyRow> {
  const role = await authorize(s, input.actor, 'change');
  const ref = input.ref.trim();
  return s.db.transaction(async (tx) => {
    const byPrefix = API_KEY_PREFIX_PATTERN.test(ref);
    const own = and(eq(apiKeys.ownerPlatform, input.actor.user.platform), eq(apiKeys.ownerId, input.actor.user.id), eq(apiKeys.name, ref));
    const candidates = await tx
      .select()
      .from(apiKeys)
      .where(and(isNull(apiKeys.revokedAt), byPrefix ? or(eq(apiKeys.prefix, ref), own) : own))
      .for('update');
    const key = candidates.find((row) => isSameUser(keyOwnerOf(row), input.actor.user)) ?? candidates[0];
    const mine = key !== undefined && isSameUser(keyOwnerOf(key), input.actor.user);
    if (!key || (!mine && !canManageAllApiKeys(role))) {
      // Someone else's key is "not found" to a member: prefixes of others' keys are not theirs to probe.
      throw new AppError('not_found', `You have no API key ${byPrefix ? 'with the prefix' : 'named'} "${ref.slice(0, 64)}".`, {
        hint: '`/apikey list` shows your keys.',
      });
    }
    const now = s.clock.now();
    const [revoked] = await tx
      .update(apiKeys)
      .set({ revokedAt: now, revokedBy: userKey(input.actor.user) })
      .where(and(eq(apiKeys.id, key.id), isNull(apiKeys.revokedAt)))
      .returning();
    await auditKey(s, tx, revoked!, input.actor, 'api_key.revoked', input);
    return revoked!;
  });
}

function auditKey(
  s: Services,
  tx: Tx,
  row: ApiKeyRow,
  actor: Actor,
  eventType: 'api_key.created' | 'api_key.revoked',
  request: { requestId: string; channelId?: string },
): Promise<unknown> {
  return appendAudit(tx, s.clock, {
    eventType,
    ...actedBy(actor, {
      name: row.name,
      prefix: row.prefix,
      scope: row.scope,
      owner: userKey(keyOwnerOf(row)),
      owner_name: row.ownerName,
      expires_at: row.expiresAt.toISOString(),
    }),
    platform: actor.user.platform,
    channelId: request.channelId || null,
    resource: { type: 'api_key', id: row.prefix },
    outcome: 'ok',
    requestId: request.requestId,
  });
}

/** What a presented credential turned out to be. */
export type KeyCheck =
  | { ok: true; actor: Actor; row: ApiKeyRow }
  /** `row` when the key is one of ours (revoked or expired): the refusal is audited under its name. */
  | { ok: false; refusal: KeyRefusal; row?: ApiKeyRow };

/**
 * Checks a presented key: its format, then the row of its prefix, comparing SHA-256 digests in constant time (an
 * unknown prefix costs the same comparison). A revoked or expired key is refused like an unknown one; only the audit
 * log tells them apart. The actor acts for the key's owner: the same query reads the owner's standing in the team now,
 * which the request's reads decide on (`authorize`); its changes read the standing again.
 */
export async function checkApiKey(s: Pick<Services, 'db' | 'clock' | 'config'>, presented: string | undefined): Promise<KeyCheck> {
  if (presented === undefined || presented === '') return { ok: false, refusal: 'missing' };
  if (!API_KEY_PATTERN.test(presented)) return { ok: false, refusal: 'malformed' };
  const [found] = await keyLookupOf(s.db).execute({ prefix: apiKeyPrefix(presented) });
  const row = found?.row;
  if (!keyMatches(presented, row?.hash) || !row) return { ok: false, refusal: 'unknown' };
  if (row.revokedAt) return { ok: false, refusal: 'revoked', row };
  if (row.expiresAt <= s.clock.now()) return { ok: false, refusal: 'expired', row };
  return { ok: true, actor: apiKeyActor(keyOwnerOf(row), keyRefOf(row), standingFrom(s, found.owner)), row };
}

/** The key of a prefix with its owner's member facts, in one statement: every API request runs it. */
const keyLookupOf = preparedPerDb((db) =>
  db
    .select({ row: apiKeys, owner: MEMBER_FACTS })
    .from(apiKeys)
    .leftJoin(members, memberRowOf(apiKeys.ownerPlatform, apiKeys.ownerId))
    .where(eq(apiKeys.prefix, sql.placeholder('prefix')))
    .prepare('api_key_with_owner'),
);

/** How stale `last_used_at` may get before a request refreshes it (a write per request would be wasted). */
const LAST_USED_RESOLUTION_SECONDS = 60;

/**
 * Writes the `api.request` entry of a request made with a key (or refused for the lack of one), and refreshes the
 * key's `last_used_at` in the same transaction when it is more than a minute old.
 */
export async function recordApiRequest(s: Pick<Services, 'db' | 'clock'>, entry: AuditEntryInput, usedKey?: ApiKeyRow): Promise<void> {
  const now = s.clock.now();
  const stale = usedKey && (!usedKey.lastUsedAt || differenceInSeconds(now, usedKey.lastUsedAt) >= LAST_USED_RESOLUTION_SECONDS);
  if (!stale) {
    await appendAudit(s.db, s.clock, entry);
    return;
  }
  await s.db.transaction(async (tx) => {
    await tx.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, usedKey.id));
    await appendAudit(tx, s.clock, entry);
  });
}
