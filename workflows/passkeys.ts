import { randomBytes } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import { generateRegistrationOptions, verifyRegistrationResponse } from '@simplewebauthn/server';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { isoBase64URL } from '@simplewebauthn/server/helpers';
import { appendAudit } from '../src/audit/append.js';
import { actedBy, auditActorOf } from '../src/audit/types.js';
import { passkeys, type PasskeyRow } from '../src/db/schema/passkeys.js';
import { postgresErrorIn } from '../src/db/postgres-error.js';
import { knownTransports, parsePasskeyName, parseRegistrationResponse } from '../src/domain/passkeys.js';
import type { UserRef } from '../src/domain/users.js';
import { AppError } from '../src/errors.js';
import type { Services } from '../src/services.js';
import type { ConsoleSession } from './console-sessions.js';
import { sha256 } from './console-sessions.js';
import {
  auditRefusal,
  CEREMONY_TIMEOUT_MS,
  CeremonyRefusal,
  challengeOf,
  relyingParty,
  saveChallenge,
  useChallenge,
} from './passkey-ceremony.js';

/**
 * A member's passkeys: adding one (a WebAuthn registration with a discoverable credential and user verification),
 * listing and removing them. Each change is audited (`auth.passkey_added`, `auth.passkey_removed`), as is a refused
 * registration. Only the public key, the counter, the transports, the name and the dates are kept.
 */

/** A passkey as its owner's Security page shows it. */
export interface PasskeySummary {
  /** A short stable name for the passkey in URLs and audit entries: the start of the SHA-256 of its credential id. */
  ref: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  transports: string[];
}

export function passkeyRefOf(credentialId: string): string {
  return sha256(credentialId).slice(0, 12);
}

function mine(user: Pick<UserRef, 'platform' | 'id'>) {
  return and(eq(passkeys.platform, user.platform), eq(passkeys.userId, user.id));
}

async function rowsOf(s: Pick<Services, 'db'>, user: Pick<UserRef, 'platform' | 'id'>): Promise<PasskeyRow[]> {
  return s.db.select().from(passkeys).where(mine(user)).orderBy(asc(passkeys.createdAt));
}

export async function listPasskeys(s: Pick<Services, 'db'>, user: Pick<UserRef, 'platform' | 'id'>): Promise<PasskeySummary[]> {
  return (await rowsOf(s, user)).map((row) => ({
    ref: passkeyRefOf(row.id),
    name: row.name,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    transports: row.transports,
  }));
}

export async function countPasskeys(s: Pick<Services, 'db'>, user: Pick<UserRef, 'platform' | 'id'>): Promise<number> {
  return (await s.db.select({ id: passkeys.id }).from(passkeys).where(mine(user))).length;
}

/**
 * The options for adding a passkey: a discoverable credential (so it can sign in without a name typed) with user
 * verification, none of the member's passkeys again, and the member's WebAuthn user id (random, the same for all of
 * their passkeys). The challenge is kept for this session. A bad or taken name is refused before anything is asked.
 */
export async function passkeyRegistrationOptions(
  s: Pick<Services, 'db' | 'clock' | 'config'>,
  session: ConsoleSession,
  input: { name: string },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const rp = relyingParty(s);
  const existing = await rowsOf(s, session.user);
  // The name is checked before the browser asks the authenticator for anything.
  const name = parsePasskeyName(input.name);
  if (existing.some((row) => row.name === name)) throw nameTakenError(name);
  const userHandle = existing[0]?.userHandle ?? isoBase64URL.fromBuffer(new Uint8Array(randomBytes(32)));
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: session.user.name || session.user.id,
    userDisplayName: session.user.name || session.user.id,
    userID: isoBase64URL.toBuffer(userHandle),
    timeout: CEREMONY_TIMEOUT_MS,
    attestationType: 'none',
    excludeCredentials: existing.map((row) => ({ id: row.id, transports: knownTransports(row.transports) })),
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
  });
  await saveChallenge(s, options.challenge, { purpose: 'register', sessionHash: session.idHash, userHandle });
  return options;
}

export interface AddPasskeyRequest {
  name: string;
  /** The browser's JSON of the new credential. */
  response: string;
  clientAddress: string;
  requestId: string;
}

/**
 * Adds the passkey the browser made for the options above: the challenge must be this session's, unused and recent;
 * the attestation must be for this site with user verification. A bad name or an unreadable response is refused as
 * invalid; a registration that does not check out is refused, audited as `auth.passkey_added` denied with its reason.
 */
export async function addPasskey(s: Pick<Services, 'db' | 'clock' | 'config'>, session: ConsoleSession, request: AddPasskeyRequest): Promise<PasskeySummary> {
  const rp = relyingParty(s);
  const name = parsePasskeyName(request.name);
  const response = parseRegistrationResponse(request.response);
  const refused = (refusal: CeremonyRefusal) =>
    auditRefusal(s.db, s, refusal, {
      eventType: 'auth.passkey_added',
      actor: auditActorOf(session.actor),
      details: { name },
      clientAddress: request.clientAddress,
      requestId: request.requestId,
    });
  let credential: { id: string; publicKey: string; counter: number; transports: string[] };
  let userHandle: string;
  try {
    const challenge = challengeOf(response);
    const stored = await useChallenge(s, challenge, 'register', session.idHash);
    if (stored.userHandle === null) throw new CeremonyRefusal('unknown_challenge');
    userHandle = stored.userHandle;
    const verified = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
    }).catch(() => undefined);
    if (!verified?.verified) throw new CeremonyRefusal('bad_attestation');
    const made = verified.registrationInfo.credential;
    credential = { id: made.id, publicKey: isoBase64URL.fromBuffer(made.publicKey), counter: made.counter, transports: knownTransports(made.transports ?? response.response.transports) };
  } catch (error) {
    if (error instanceof CeremonyRefusal) throw await refused(error);
    throw error;
  }
  const now = s.clock.now();
  const ref = passkeyRefOf(credential.id);
  try {
    await s.db.transaction(async (tx) => {
      const [known] = await tx.select({ id: passkeys.id }).from(passkeys).where(eq(passkeys.id, credential.id));
      if (known) throw new AppError('passkey_exists', 'This passkey is registered already.', { hint: 'Settings → Security lists your passkeys.' });
      await tx.insert(passkeys).values({
        id: credential.id,
        platform: session.user.platform,
        userId: session.user.id,
        userName: session.user.name,
        userHandle,
        name,
        publicKey: credential.publicKey,
        counter: credential.counter,
        transports: credential.transports,
        createdAt: now,
      });
      await appendAudit(tx, s.clock, {
        eventType: 'auth.passkey_added',
        ...actedBy(session.actor, { name, transports: credential.transports }),
        platform: session.user.platform,
        resource: { type: 'passkey', id: ref },
        outcome: 'ok',
        requestId: request.requestId,
      });
    });
  } catch (error) {
    // The names are unique per member (a unique index); the id was checked above.
    if (postgresErrorIn(error)?.code === '23505') throw nameTakenError(name);
    throw error;
  }
  return { ref, name, createdAt: now, lastUsedAt: null, transports: credential.transports };
}

/** Removes one of the member's own passkeys, by its ref, with `auth.passkey_removed`; it cannot sign in afterwards. */
export async function removePasskey(
  s: Pick<Services, 'db' | 'clock'>,
  session: ConsoleSession,
  request: { ref: string; requestId: string },
): Promise<PasskeySummary> {
  return s.db.transaction(async (tx) => {
    const rows = await tx.select().from(passkeys).where(mine(session.user));
    const row = rows.find((candidate) => passkeyRefOf(candidate.id) === request.ref);
    if (!row) throw passkeyNotFound();
    await tx.delete(passkeys).where(eq(passkeys.id, row.id));
    await appendAudit(tx, s.clock, {
      eventType: 'auth.passkey_removed',
      ...actedBy(session.actor, { name: row.name }),
      platform: session.user.platform,
      resource: { type: 'passkey', id: request.ref },
      outcome: 'ok',
      requestId: request.requestId,
    });
    return { ref: request.ref, name: row.name, createdAt: row.createdAt, lastUsedAt: row.lastUsedAt, transports: row.transports };
  });
}

/** One of the member's passkeys by its ref, for the removal's confirmation. */
export async function findPasskey(s: Pick<Services, 'db'>, user: Pick<UserRef, 'platform' | 'id'>, ref: string): Promise<PasskeySummary> {
  const found = (await listPasskeys(s, user)).find((passkey) => passkey.ref === ref);
  if (!found) throw passkeyNotFound();
  return found;
}

function nameTakenError(name: string): AppError {
  return new AppError('passkey_name_taken', `You already have a passkey named "${name}".`, { hint: 'Give this one another name.' });
}

function passkeyNotFound(): AppError {
  return new AppError('not_found', 'You have no passkey with that reference.', { hint: 'Settings → Security lists your passkeys.' });
}
