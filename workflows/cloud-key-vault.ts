import { count, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Clock } from '../src/clock.js';
import type { Config } from '../src/config.js';
import {
  isEnvelopeError,
  MAKE_KEY_HINT,
  makeCheckValue,
  type CheckValue,
  openSecret,
  parseMasterKey,
  rewrapSecret,
  sealSecret,
  verifyCheckValue,
  type MasterKey,
  type SealedSecret,
} from '../src/credentials/envelope.js';
import type { Db, DbOrTx, Tx } from '../src/db/client.js';
import { cloudKeys, credentialsCheck, type CloudKeyRow } from '../src/db/schema/cloud-keys.js';
import type { CloudCredentials, CloudKeyPair } from '../src/domain/cloud-keys.js';
import { AppError } from '../src/errors.js';

/**
 * Where cloud keys are sealed and opened: the master key from CREDENTIALS_KEY, the check value that proves it is the
 * right one, sealing a pair for a key's row, opening it for the deploy of a lab, and re-keying.
 */

/** Raised where a process must stop: a master key that is missing, wrong, or a check value that was altered. */
export class CredentialsKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialsKeyError';
  }
}

/** The master key, or an AppError saying how to make one (for the admin who tries to add a key without it). */
export function requireMasterKey(config: Pick<Config, 'CREDENTIALS_KEY'>): MasterKey {
  if (!config.CREDENTIALS_KEY) {
    throw new AppError('credentials_key_missing', 'Cloud keys cannot be stored: CREDENTIALS_KEY is not set, so there is nothing to encrypt them with.', {
      hint: `${MAKE_KEY_HINT} Set it as CREDENTIALS_KEY for every web and worker process, keep a copy somewhere safe, and restart.`,
    });
  }
  return parseMasterKey(config.CREDENTIALS_KEY);
}

/**
 * Checks the master key against the stored check value, writing one when there is none yet (the first key). Inside
 * the transaction that stores a key, under its lock.
 */
export async function ensureCheckValue(tx: Tx, clock: Clock, master: MasterKey): Promise<void> {
  const [check] = await tx.select().from(credentialsCheck).where(eq(credentialsCheck.id, 1)).for('update');
  if (!check) {
    await tx.insert(credentialsCheck).values({ id: 1, ...makeCheckValue(master), updatedAt: clock.now() });
    return;
  }
  refuseUnlessOpens(master, check);
}

/**
 * The error of a running process whose CREDENTIALS_KEY does not open the stored check value (the keys were re-keyed
 * under it, or the check value altered): what it says is safe to show, and the process stops on it.
 */
function wrongKeyInRunningProcess(problem: string): AppError {
  return new AppError('credentials_key_wrong', `This bot's CREDENTIALS_KEY is wrong: ${problem}`, {
    retry: false,
    stopsProcess: true,
    hint: 'Nothing was changed. This bot process stops so that one with the right key takes over: set its CREDENTIALS_KEY to the key the cloud keys are sealed with now.',
  });
}

function refuseUnlessOpens(master: MasterKey, check: CheckValue): void {
  try {
    verifyCheckValue(master, check);
  } catch (error) {
    if (isEnvelopeError(error)) throw wrongKeyInRunningProcess(error.message);
    throw error;
  }
}

const pairSchema = z.object({ accessKeyId: z.string(), secretAccessKey: z.string() });

export function sealPair(master: MasterKey, keyId: string, pair: CloudKeyPair): SealedSecret {
  const plaintext = Buffer.from(JSON.stringify({ accessKeyId: pair.accessKeyId, secretAccessKey: pair.secretAccessKey }), 'utf8');
  try {
    return sealSecret(master, plaintext, keyId);
  } finally {
    plaintext.fill(0);
  }
}

function openPair(master: MasterKey, row: Pick<CloudKeyRow, 'id' | 'wrappedKey' | 'sealedPair'>): CloudKeyPair {
  const plaintext = openSecret(master, { wrappedKey: row.wrappedKey, ciphertext: row.sealedPair }, row.id);
  try {
    return pairSchema.parse(JSON.parse(plaintext.toString('utf8')));
  } finally {
    plaintext.fill(0);
  }
}

/**
 * The decrypted pair of the key a lab records, for its deploy or destroy, read at the time of the call (so a key
 * rotated since the deploy is the one the destroy uses). Undefined for labs that record no key.
 */
export async function credentialsForLab(s: { config: Config; db: DbOrTx }, cloudKeyId: string | null): Promise<CloudCredentials | undefined> {
  if (cloudKeyId === null) return undefined;
  const [row] = await s.db.select().from(cloudKeys).where(eq(cloudKeys.id, cloudKeyId));
  if (!row) {
    throw new AppError('cloud_key_gone', `The cloud key ${cloudKeyId} this lab deploys with no longer exists.`, { retry: false });
  }
  if (!s.config.CREDENTIALS_KEY) {
    throw new AppError('credentials_key_missing', 'CREDENTIALS_KEY is not set in this worker, so the lab’s cloud key cannot be opened.', { retry: false });
  }
  const master = parseMasterKey(s.config.CREDENTIALS_KEY);
  try {
    const pair = openPair(master, row);
    return { keyId: row.id, name: row.name, provider: row.provider, region: row.region, ...pair };
  } catch (error) {
    if (!isEnvelopeError(error)) throw error;
    // A key that does not open the check value either is this process's key, not the lab's: the process must stop.
    const [check] = await s.db.select().from(credentialsCheck).where(eq(credentialsCheck.id, 1));
    if (!check) throw wrongKeyInRunningProcess('the check value of the stored cloud keys is missing.');
    refuseUnlessOpens(master, check);
    throw new AppError('cloud_key_unreadable', `The cloud key "${row.name}" cannot be opened: ${error.message}`, { retry: false });
  }
}

/**
 * Start-up: with keys stored, CREDENTIALS_KEY must be set and open the check value; otherwise the process stops with
 * one line saying so, before it takes any work. Without stored keys a missing CREDENTIALS_KEY is fine.
 */
export async function checkCredentialsKeyAtStart(db: Db, config: Pick<Config, 'CREDENTIALS_KEY'>): Promise<void> {
  const [check] = await db.select().from(credentialsCheck).where(eq(credentialsCheck.id, 1));
  const [stored] = await db.select({ value: count() }).from(cloudKeys);
  const keys = stored?.value ?? 0;
  if (!check && keys === 0) return;
  if (!config.CREDENTIALS_KEY) {
    throw new CredentialsKeyError(
      `CREDENTIALS_KEY is not set, but ${keys} cloud key(s) are stored sealed under it: set it to the key they were sealed with.`,
    );
  }
  if (!check) throw new CredentialsKeyError('The check value of the stored cloud keys is missing: the credentials_check table was altered.');
  try {
    verifyCheckValue(parseMasterKey(config.CREDENTIALS_KEY), check);
  } catch (error) {
    if (isEnvelopeError(error)) throw new CredentialsKeyError(`${error.message} Set it to the key they were sealed with, or re-key with \`npm run rekey\`.`);
    throw error;
  }
}

export interface RekeyResult {
  rewrapped: number;
  fingerprint: string;
}

/**
 * Re-keying, with the bot stopped: every data key is unwrapped with CREDENTIALS_KEY_OLD and wrapped again with
 * CREDENTIALS_KEY, and the check value is made anew, in one transaction. The sealed pairs are not touched.
 */
export async function rekeyCloudKeys(db: Db, clock: Clock, config: Pick<Config, 'CREDENTIALS_KEY' | 'CREDENTIALS_KEY_OLD'>): Promise<RekeyResult> {
  if (!config.CREDENTIALS_KEY_OLD || !config.CREDENTIALS_KEY) {
    throw new CredentialsKeyError(
      `Re-keying needs CREDENTIALS_KEY_OLD (the key the cloud keys are sealed with now) and CREDENTIALS_KEY (the new one). ${MAKE_KEY_HINT}`,
    );
  }
  const from = parseMasterKey(config.CREDENTIALS_KEY_OLD, 'CREDENTIALS_KEY_OLD');
  const to = parseMasterKey(config.CREDENTIALS_KEY);
  if (from.fingerprint === to.fingerprint) throw new CredentialsKeyError('CREDENTIALS_KEY and CREDENTIALS_KEY_OLD are the same key: nothing to do.');
  return db.transaction(async (tx) => {
    const [check] = await tx.select().from(credentialsCheck).where(eq(credentialsCheck.id, 1)).for('update');
    if (!check) throw new CredentialsKeyError('No cloud key is stored yet: there is nothing to re-key. Set CREDENTIALS_KEY to the new key.');
    if (check.fingerprint === to.fingerprint) {
      throw new CredentialsKeyError('The stored cloud keys are sealed under CREDENTIALS_KEY already: nothing to do.');
    }
    try {
      verifyCheckValue(from, check, 'CREDENTIALS_KEY_OLD');
    } catch (error) {
      if (isEnvelopeError(error)) throw new CredentialsKeyError(error.message);
      throw error;
    }
    const rows = await tx.select().from(cloudKeys).for('update');
    for (const row of rows) {
      let rewrapped: SealedSecret;
      try {
        rewrapped = rewrapSecret(from, to, { wrappedKey: row.wrappedKey, ciphertext: row.sealedPair }, row.id);
      } catch (error) {
        if (isEnvelopeError(error)) throw new CredentialsKeyError(`The cloud key "${row.name}" cannot be re-keyed: ${error.message} Nothing was changed.`);
        throw error;
      }
      await tx.update(cloudKeys).set({ wrappedKey: rewrapped.wrappedKey }).where(eq(cloudKeys.id, row.id));
    }
    await tx.update(credentialsCheck).set({ ...makeCheckValue(to), updatedAt: clock.now() }).where(eq(credentialsCheck.id, 1));
    return { rewrapped: rows.length, fingerprint: to.fingerprint };
  });
}
