import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { CloudKeyModel } from '../blocks/models.js';
import { appendAudit } from '../src/audit/append.js';
import type { AuditEventType } from '../src/audit/events.js';

/** The events of cloud keys. */
type CloudKeyEvent = Extract<AuditEventType, `cloud_key.${string}`>;
import { actedBy } from '../src/audit/types.js';
import { checkPairWithSts, STS_TIMEOUT_MS } from '../src/credentials/sts.js';
import type { DbOrTx, Tx } from '../src/db/client.js';
import { cloudKeys, type CloudKeyRow } from '../src/db/schema/cloud-keys.js';
import { environments } from '../src/db/schema/environments.js';
import type { Actor } from '../src/domain/actor.js';
import {
  checkCloudKeyInput,
  checkCloudKeyPair,
  FieldErrors,
  maskAccessKeyId,
  newCloudKeyId,
  refuseProblems,
  type CloudKeyInput,
  type CloudKeyPair,
  type CloudProvider,
} from '../src/domain/cloud-keys.js';
import { ACTIVE_STATES } from '../src/domain/lifecycle.js';
import { canManageCloudKeys } from '../src/domain/policy.js';
import type { Preset } from '../src/domain/presets.js';
import { userKey } from '../src/domain/users.js';
import { AppError, outcomeOf } from '../src/errors.js';
import type { Services } from '../src/services.js';
import { ensureCheckValue, requireMasterKey, sealPair } from './cloud-key-vault.js';
import { authorize } from './roles.js';

/**
 * Cloud keys, for admins whichever door they come through: list, add, rotate, delete, choose the default. Each change
 * commits with its audit entry (name, provider, the last four characters of the access key id, never the pair); each
 * refusal of a change is audited too, with its reason.
 */

/** A key as it may be shown: never the pair. */
/** A cloud key as the workflows answer it: what views show, with the provider typed. Never its pair. */
export type CloudKeySummary = CloudKeyModel & { provider: CloudProvider };

interface Where {
  requestId: string;
  channelId?: string;
}

/** Refuses anyone but an admin (a `read` API key included, for changes). */
export async function checkMayManageCloudKeys(s: Services, actor: Actor, access: 'read' | 'change', db: DbOrTx = s.db): Promise<void> {
  const role = await authorize(s, actor, access, db);
  if (!canManageCloudKeys(role)) throw new AppError('forbidden', 'Only admins can manage cloud keys.');
}

export async function listCloudKeys(s: Services, actor: Actor): Promise<CloudKeySummary[]> {
  await checkMayManageCloudKeys(s, actor, 'read');
  const rows = await s.db.select().from(cloudKeys).orderBy(asc(cloudKeys.name));
  const labs = await activeLabsByKey(s.db, rows.map((row) => row.id));
  return rows.map((row) => summaryOf(row, labs.get(row.id) ?? []));
}

/** A key by the name an admin typed; `not_found` naming the keys there are. */
export async function findCloudKey(s: Services, actor: Actor, name: string): Promise<CloudKeySummary> {
  await checkMayManageCloudKeys(s, actor, 'read');
  const row = await rowByName(s.db, name);
  return summaryOf(row, (await activeLabsByKey(s.db, [row.id])).get(row.id) ?? []);
}

/** Refuses before the add dialog opens what the submission would be refused for anyway: a non-admin, no CREDENTIALS_KEY. */
export async function checkMayAddCloudKey(s: Services, actor: Actor): Promise<void> {
  await checkMayManageCloudKeys(s, actor, 'change');
  requireMasterKey(s.config);
}

export interface AddCloudKeyInput extends Where {
  actor: Actor;
  key: CloudKeyInput;
}

/** Checks, verifies (CLOUDKEY_VERIFY), seals and stores a new key; the first key becomes the default. */
export async function addCloudKey(s: Services, input: AddCloudKeyInput): Promise<CloudKeySummary> {
  const name = storedKeyName(input.key.name);
  return auditingRefusals(s, input, 'cloud_key.added', { name }, async () => {
    await checkMayManageCloudKeys(s, input.actor, 'change');
    const master = requireMasterKey(s.config);
    refuseProblems(checkCloudKeyInput(input.key));
    const pair = trimmedPair(input.key);
    const region = input.key.region.trim();
    const accountId = await verifyPair(s, pair, region);
    return s.db.transaction(async (tx) => {
      await lockCloudKeys(tx);
      await checkMayManageCloudKeys(s, input.actor, 'change', tx);
      await ensureCheckValue(tx, s.clock, master);
      if (await findRow(tx, name)) throw new FieldErrors({ name: 'A key with this name exists already; rotate it, or choose another name.' });
      const [existingDefault] = await tx.select({ id: cloudKeys.id }).from(cloudKeys).where(eq(cloudKeys.isDefault, true));
      const id = newCloudKeyId();
      const sealed = sealPair(master, id, pair);
      const [row] = await tx
        .insert(cloudKeys)
        .values({
          id,
          name,
          provider: 'aws',
          accessKeyHint: pair.accessKeyId.slice(-4),
          region,
          accountId,
          isDefault: existingDefault === undefined,
          wrappedKey: sealed.wrappedKey,
          sealedPair: sealed.ciphertext,
          addedBy: userKey(input.actor.user),
          addedByName: input.actor.user.name,
          addedAt: s.clock.now(),
        })
        .returning();
      await auditKey(s, tx, input, 'cloud_key.added', row!, { default: row!.isDefault, verified: accountId !== null });
      return summaryOf(row!, []);
    });
  });
}

export interface RotateCloudKeyInput extends Where {
  actor: Actor;
  keyId: string;
  pair: CloudKeyPair;
}

/** A new pair for a key: labs that use it deploy and destroy with the new pair from now on. */
export async function rotateCloudKey(s: Services, input: RotateCloudKeyInput): Promise<CloudKeySummary> {
  return auditingRefusals(s, input, 'cloud_key.rotated', { key: input.keyId }, async () => {
    await checkMayManageCloudKeys(s, input.actor, 'change');
    const master = requireMasterKey(s.config);
    refuseProblems(checkCloudKeyPair(input.pair));
    const pair = trimmedPair(input.pair);
    const current = await rowById(s.db, input.keyId);
    const accountId = await verifyPair(s, pair, current.region);
    return s.db.transaction(async (tx) => {
      await lockCloudKeys(tx);
      await checkMayManageCloudKeys(s, input.actor, 'change', tx);
      await ensureCheckValue(tx, s.clock, master);
      const before = await rowById(tx, input.keyId);
      const sealed = sealPair(master, before.id, pair);
      const [row] = await tx
        .update(cloudKeys)
        .set({
          accessKeyHint: pair.accessKeyId.slice(-4),
          accountId,
          wrappedKey: sealed.wrappedKey,
          sealedPair: sealed.ciphertext,
          rotatedBy: userKey(input.actor.user),
          rotatedByName: input.actor.user.name,
          rotatedAt: s.clock.now(),
        })
        .where(eq(cloudKeys.id, before.id))
        .returning();
      await auditKey(s, tx, input, 'cloud_key.rotated', row!, {
        previous_masked_id: maskAccessKeyId(before.accessKeyHint),
        verified: accountId !== null,
      });
      return summaryOf(row!, (await activeLabsByKey(tx, [row!.id])).get(row!.id) ?? []);
    });
  });
}

export interface DeleteCloudKeyInput extends Where {
  actor: Actor;
  keyId: string;
}

/** Deletes a key no active lab uses; refused, naming the labs, while one does. */
export async function deleteCloudKey(s: Services, input: DeleteCloudKeyInput): Promise<CloudKeySummary> {
  return auditingRefusals(s, input, 'cloud_key.deleted', { key: input.keyId }, async () =>
    s.db.transaction(async (tx) => {
      await lockCloudKeys(tx);
      await checkMayManageCloudKeys(s, input.actor, 'change', tx);
      const row = await rowById(tx, input.keyId);
      checkNotInUse(row, (await activeLabsByKey(tx, [row.id])).get(row.id) ?? []);
      await tx.delete(cloudKeys).where(eq(cloudKeys.id, row.id));
      await auditKey(s, tx, input, 'cloud_key.deleted', row, { was_default: row.isDefault });
      return summaryOf(row, []);
    }),
  );
}

/** Refuses when labs use the key, naming them: for the confirmation, before the click that deletes. */
export function checkNotInUse(key: Pick<CloudKeySummary, 'name'>, activeLabs: readonly string[]): void {
  if (activeLabs.length === 0) return;
  throw new AppError('cloud_key_in_use', `The cloud key "${key.name}" is used by ${activeLabs.length === 1 ? 'the lab' : 'the labs'} ${activeLabs.join(', ')}.`, {
    hint: 'Destroy those labs first (`/env destroy <env-id>`), or rotate the key instead.',
  });
}

export interface DefaultCloudKeyInput extends Where {
  actor: Actor;
  name: string;
}

/** Makes a key the default: labs whose preset names no key deploy with it. */
export async function setDefaultCloudKey(s: Services, input: DefaultCloudKeyInput): Promise<CloudKeySummary> {
  return auditingRefusals(s, input, 'cloud_key.default_set', { name: input.name }, async () =>
    s.db.transaction(async (tx) => {
      await lockCloudKeys(tx);
      await checkMayManageCloudKeys(s, input.actor, 'change', tx);
      const row = await rowByName(tx, input.name);
      const [previous] = await tx.select({ name: cloudKeys.name }).from(cloudKeys).where(eq(cloudKeys.isDefault, true));
      await tx.update(cloudKeys).set({ isDefault: false }).where(eq(cloudKeys.isDefault, true));
      const [updated] = await tx.update(cloudKeys).set({ isDefault: true }).where(eq(cloudKeys.id, row.id)).returning();
      await auditKey(s, tx, input, 'cloud_key.default_set', updated!, { previous: previous?.name ?? null });
      return summaryOf(updated!, (await activeLabsByKey(tx, [row.id])).get(row.id) ?? []);
    }),
  );
}

/**
 * The key a new lab deploys with: the one its preset names, else the default. None when no key is stored at all
 * (labs then deploy with the provisioner's own credentials); refused when keys exist but none applies. Read inside the
 * statement that writes the plan (`cloudKeyCandidate`, with the name the preset gives as stored, `storedKeyName`), then
 * judged (`chosenCloudKey`).
 */
export function cloudKeyCandidate(name: SQL | undefined): { keyId: SQL<string | null>; anyKey: SQL<boolean> } {
  const applies = name !== undefined ? eq(cloudKeys.name, name) : eq(cloudKeys.isDefault, true);
  return {
    keyId: sql<string | null>`(select ${cloudKeys.id} from ${cloudKeys} where ${applies})`,
    anyKey: sql<boolean>`exists (select 1 from ${cloudKeys})`,
  };
}

/** The key id a plan of `preset` records, from what `cloudKeyCandidate` read; throws when keys exist but none applies. */
export function chosenCloudKey(preset: Pick<Preset, 'id' | 'cloudKey'>, read: { keyId: string | null; anyKey: boolean }): string | null {
  if (read.keyId !== null) return read.keyId;
  if (preset.cloudKey !== undefined) {
    throw new AppError('cloud_key_missing', `The preset ${preset.id} deploys with the cloud key "${preset.cloudKey}", which does not exist.`, {
      hint: 'An admin can add it with `/cloudkey add`.',
    });
  }
  if (!read.anyKey) return null;
  throw new AppError('no_default_cloud_key', `The preset ${preset.id} names no cloud key and there is no default key.`, {
    hint: 'An admin can choose one with `/cloudkey default <name>`.',
  });
}

async function verifyPair(s: Services, pair: CloudKeyPair, region: string): Promise<string | null> {
  if (s.config.CLOUDKEY_VERIFY !== 'sts') return null;
  const check = await checkPairWithSts(pair, {
    region,
    timeoutMs: STS_TIMEOUT_MS,
    ...(s.config.CLOUDKEY_STS_ENDPOINT ? { endpoint: s.config.CLOUDKEY_STS_ENDPOINT } : {}),
  });
  if (!check.ok) refuseProblems(check.problems);
  return check.ok ? check.accountId : null;
}

function trimmedPair(pair: CloudKeyPair): CloudKeyPair {
  return { accessKeyId: pair.accessKeyId.trim(), secretAccessKey: pair.secretAccessKey.trim() };
}

/** Key management is serialised: two admins adding the same name, or choosing two defaults, decide one after the other. */
async function lockCloudKeys(tx: Tx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('cloud-keys'))`);
}

async function findRow(db: DbOrTx, name: string): Promise<CloudKeyRow | undefined> {
  const [row] = await db.select().from(cloudKeys).where(eq(cloudKeys.name, storedKeyName(name)));
  return row;
}

/** Key names are stored trimmed and in lower case. */
export function storedKeyName(name: string): string {
  return name.trim().toLowerCase();
}

async function rowByName(db: DbOrTx, name: string): Promise<CloudKeyRow> {
  const row = await findRow(db, name);
  if (row) return row;
  const names = (await db.select({ name: cloudKeys.name }).from(cloudKeys).orderBy(asc(cloudKeys.name))).map((key) => key.name);
  throw new AppError('not_found', `There is no cloud key "${name.slice(0, 40)}".`, {
    hint: names.length > 0 ? `Keys: ${names.join(', ')}.` : 'No key is stored yet: `/cloudkey add` adds one.',
  });
}

async function rowById(db: DbOrTx, keyId: string): Promise<CloudKeyRow> {
  const [row] = await db.select().from(cloudKeys).where(eq(cloudKeys.id, keyId));
  if (!row) throw new AppError('not_found', 'That cloud key no longer exists.', { hint: '`/cloudkey list` shows the keys.' });
  return row;
}

async function activeLabsByKey(db: DbOrTx, keyIds: string[]): Promise<Map<string, string[]>> {
  const byKey = new Map<string, string[]>();
  if (keyIds.length === 0) return byKey;
  const rows = await db
    .select({ id: environments.id, keyId: environments.cloudKeyId })
    .from(environments)
    .where(and(inArray(environments.cloudKeyId, keyIds), inArray(environments.state, [...ACTIVE_STATES])))
    .orderBy(asc(environments.requestedAt));
  for (const row of rows) byKey.set(row.keyId!, [...(byKey.get(row.keyId!) ?? []), row.id]);
  return byKey;
}

function summaryOf(row: CloudKeyRow, activeLabs: string[]): CloudKeySummary {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider,
    maskedAccessKeyId: maskAccessKeyId(row.accessKeyHint),
    region: row.region,
    accountId: row.accountId,
    isDefault: row.isDefault,
    addedByName: row.addedByName,
    addedAt: row.addedAt,
    rotatedAt: row.rotatedAt,
    rotatedByName: row.rotatedByName,
    activeLabs,
  };
}

async function auditKey(
  s: Services,
  tx: Tx,
  input: Where & { actor: Actor },
  eventType: CloudKeyEvent,
  row: CloudKeyRow,
  details: Record<string, unknown>,
): Promise<void> {
  s.log.info({ requestId: input.requestId, cloudKey: row.id, name: row.name, maskedId: maskAccessKeyId(row.accessKeyHint), eventType }, 'cloud key changed');
  await appendAudit(tx, s.clock, {
    eventType,
    ...actedBy(input.actor, { name: row.name, provider: row.provider, masked_id: maskAccessKeyId(row.accessKeyHint), ...details }),
    platform: input.actor.user.platform,
    channelId: input.channelId ?? null,
    resource: { type: 'cloud_key', id: row.id },
    outcome: 'ok',
    requestId: input.requestId,
  });
}

/**
 * Runs a change; when it is refused, writes the event with the refusal's outcome and reason (never the values that
 * were refused), then lets the refusal go on to the door.
 */
async function auditingRefusals<T>(
  s: Services,
  input: Where & { actor: Actor },
  eventType: CloudKeyEvent,
  about: Record<string, string>,
  change: () => Promise<T>,
): Promise<T> {
  try {
    return await change();
  } catch (error) {
    const reason = error instanceof AppError ? error.message : 'unexpected error';
    const code = error instanceof AppError ? error.code : 'internal';
    try {
      await appendAudit(s.db, s.clock, {
        eventType,
        ...actedBy(input.actor, { ...about, error: code, reason }),
        platform: input.actor.user.platform,
        channelId: input.channelId ?? null,
        resource: about.key ? { type: 'cloud_key', id: about.key } : null,
        outcome: outcomeOf(error),
        requestId: input.requestId,
      });
    } catch (auditError) {
      s.log.error({ err: auditError, eventType }, 'could not audit a refused cloud key change');
    }
    throw error;
  }
}
