import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import { verifyAuthenticationResponse } from '@simplewebauthn/server';
import { decodeClientDataJSON, isoBase64URL } from '@simplewebauthn/server/helpers';
import { appendAudit } from '../src/audit/append.js';
import type { AuditActor } from '../src/audit/types.js';
import type { AuditEventType } from '../src/audit/events.js';
import { passkeyChallenges, type ChallengePurpose, type PasskeyRow } from '../src/db/schema/passkeys.js';
import type { DbOrTx } from '../src/db/client.js';
import { knownTransports, type AuthenticationResponse } from '../src/domain/passkeys.js';
import { passkeyHostProblem, relyingPartyOf, type RelyingParty } from '../src/domain/relying-party.js';
import type { Platform } from '../src/domain/users.js';
import { AppError } from '../src/errors.js';
import type { Services } from '../src/services.js';
import { auditRefusedSignIn, sha256 } from './console-sessions.js';

/**
 * What the passkey workflows share: the relying party, challenges (made by the bot, kept as their SHA-256, used once
 * within 5 minutes, for one purpose and, when signed in, one session), checking an assertion against a stored passkey
 * (its signature, user verification, and a signature counter that must move forward), and refusals, each audited as
 * denied with its reason.
 */

/** How long a challenge may be answered. */
export const CHALLENGE_TTL_MS = 5 * 60_000;
/** How long the browser waits for the authenticator (WebAuthn's `timeout`), well within the challenge's life. */
export const CEREMONY_TIMEOUT_MS = 2 * 60_000;

/** Why a passkey ceremony was refused, as the audit entry's `reason` says. */
export type PasskeyRefusal =
  | 'bad_response'
  | 'bad_assertion'
  | 'bad_attestation'
  | 'replayed_challenge'
  | 'expired_challenge'
  | 'unknown_challenge'
  | 'unknown_passkey'
  | 'counter_went_backwards'
  | 'not_your_passkey'
  | 'not_allowed';

const MESSAGES: Record<PasskeyRefusal, string> = {
  bad_response: 'The browser did not send a passkey answer the console can read.',
  bad_assertion: 'The passkey’s answer did not check out (its signature, this site, or user verification).',
  bad_attestation: 'The new passkey did not check out (this site, or user verification).',
  replayed_challenge: 'This passkey answer was used already: each one works once.',
  expired_challenge: 'The passkey prompt was answered too late: it works for 5 minutes.',
  unknown_challenge: 'This passkey answer is not for a prompt this console made for you.',
  unknown_passkey: 'This passkey is not registered with the console (it may have been removed).',
  counter_went_backwards: 'This passkey’s signature counter went backwards, which a copied passkey does: it was refused.',
  not_your_passkey: 'This passkey belongs to someone else.',
  not_allowed: 'This passkey’s owner may not use the bot now.',
};

/** The refusal of a passkey ceremony; the door counts these per client address, as it counts refused sign-in links. */
export function passkeyRefused(reason: PasskeyRefusal): AppError {
  return new AppError('sign_in_refused', MESSAGES[reason], {
    hint: reason === 'unknown_passkey' ? 'Sign in with a link from `/env console` and add the passkey again under Settings → Security.' : 'Try again.',
  });
}

/** The relying party of this console, or a refusal saying why passkeys are off. */
export function relyingParty(s: Pick<Services, 'config'>): RelyingParty {
  const rp = relyingPartyOf(s.config.PUBLIC_URL);
  if (rp) return rp;
  const problem = s.config.PUBLIC_URL === undefined ? 'PUBLIC_URL is not set' : `PUBLIC_URL cannot carry them: ${passkeyHostProblem(s.config.PUBLIC_URL) ?? ''}`;
  throw new AppError('passkeys_off', `Passkeys are off: ${problem}.`, { hint: 'Set PUBLIC_URL to the domain name browsers reach the console at, and restart the bot.' });
}

/** Stores a new challenge of `purpose` (for `sessionHash` when signed in) and drops those long past their end. */
export async function saveChallenge(
  s: Pick<Services, 'db' | 'clock'>,
  challenge: string,
  input: { purpose: ChallengePurpose; sessionHash?: string; userHandle?: string },
): Promise<void> {
  const now = s.clock.now();
  await s.db.transaction(async (tx) => {
    await tx.delete(passkeyChallenges).where(lt(passkeyChallenges.expiresAt, new Date(now.getTime() - CHALLENGE_TTL_MS)));
    await tx.insert(passkeyChallenges).values({
      challengeHash: sha256(challenge),
      purpose: input.purpose,
      sessionHash: input.sessionHash ?? null,
      userHandle: input.userHandle ?? null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS),
    });
  });
}

/** The challenge a response answers, read from its client data (checked against what the bot made by `useChallenge`). */
export function challengeOf(response: { response: { clientDataJSON: string } }): string {
  try {
    const { challenge } = decodeClientDataJSON(response.response.clientDataJSON);
    if (typeof challenge === 'string' && /^[A-Za-z0-9_-]{16,200}$/.test(challenge)) return challenge;
  } catch {
    // An unreadable client data is a bad response, below.
  }
  throw new CeremonyRefusal('bad_response');
}

/** A refusal found while checking a ceremony, before it is audited and turned into the answer. */
export class CeremonyRefusal extends Error {
  constructor(
    readonly reason: PasskeyRefusal,
    /** Whose passkey it was, when the response named one the bot knows. */
    readonly claimed?: { platform: Platform; id: string; name: string },
  ) {
    super(reason);
    this.name = 'CeremonyRefusal';
  }
}

/**
 * Uses a challenge: it must be one the bot made for this purpose (and session), not used, not expired. Marked used
 * whatever comes next, so an answer can never be tried twice. Returns the stored row.
 */
export async function useChallenge(
  s: Pick<Services, 'db' | 'clock'>,
  challenge: string,
  purpose: ChallengePurpose,
  sessionHash?: string,
): Promise<{ userHandle: string | null }> {
  const hash = sha256(challenge);
  const now = s.clock.now();
  const mine = and(eq(passkeyChallenges.challengeHash, hash), eq(passkeyChallenges.purpose, purpose));
  const scoped = sessionHash === undefined ? and(mine, isNull(passkeyChallenges.sessionHash)) : and(mine, eq(passkeyChallenges.sessionHash, sessionHash));
  const [used] = await s.db
    .update(passkeyChallenges)
    .set({ usedAt: now })
    .where(and(scoped, isNull(passkeyChallenges.usedAt), gt(passkeyChallenges.expiresAt, now)))
    .returning({ userHandle: passkeyChallenges.userHandle });
  if (used) return used;
  const [row] = await s.db.select().from(passkeyChallenges).where(scoped);
  if (!row) throw new CeremonyRefusal('unknown_challenge');
  throw new CeremonyRefusal(row.usedAt ? 'replayed_challenge' : 'expired_challenge');
}

/**
 * Checks an assertion against the stored passkey: this site's origin and RP id, the signature over the challenge,
 * user verification, the user handle, and a signature counter that moved forward (WebAuthn's sign of a copied
 * authenticator is a counter that did not; both zero means the authenticator keeps none). Returns the new counter.
 */
export async function checkAssertion(rp: RelyingParty, response: AuthenticationResponse, challenge: string, passkey: PasskeyRow): Promise<number> {
  const claimed = { platform: passkey.platform, id: passkey.userId, name: passkey.userName };
  if (response.response.userHandle !== undefined && response.response.userHandle !== passkey.userHandle) throw new CeremonyRefusal('bad_assertion', claimed);
  let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      // The counter is compared below, once the signature shows the authenticator data is the authenticator's own.
      credential: { id: passkey.id, publicKey: isoBase64URL.toBuffer(passkey.publicKey), counter: 0, transports: knownTransports(passkey.transports) },
    });
  } catch {
    throw new CeremonyRefusal('bad_assertion', claimed);
  }
  if (!verified.verified) throw new CeremonyRefusal('bad_assertion', claimed);
  const counter = verified.authenticationInfo.newCounter;
  if ((counter > 0 || passkey.counter > 0) && counter <= passkey.counter) throw new CeremonyRefusal('counter_went_backwards', claimed);
  return counter;
}

/**
 * Where a refused ceremony is audited: signing in (no one is signed in: `auth.login` denied, as every method's refused
 * sign-ins are), or a signed-in member's step (the event it would have written, with the member as actor).
 */
export type RefusalRecord = { clientAddress: string; requestId: string } & (
  | { eventType: 'auth.login' }
  | { eventType: Exclude<AuditEventType, 'auth.login'>; actor: AuditActor; details: Record<string, unknown> }
);

/** Audits a refused ceremony as denied with its reason and the client's address, and returns the refusal to throw. */
export async function auditRefusal(db: DbOrTx, s: Pick<Services, 'clock'>, refusal: CeremonyRefusal, record: RefusalRecord): Promise<AppError> {
  if (record.eventType === 'auth.login') {
    await auditRefusedSignIn(db, s.clock, {
      method: 'passkey',
      reason: refusal.reason,
      platform: refusal.claimed?.platform,
      clientAddress: record.clientAddress,
      requestId: record.requestId,
      details: refusal.claimed ? { claimedUserId: refusal.claimed.id, claimedUserName: refusal.claimed.name } : {},
    });
  } else {
    await appendAudit(db, s.clock, {
      eventType: record.eventType,
      actor: record.actor,
      platform: refusal.claimed?.platform ?? null,
      resource: null,
      outcome: 'denied',
      requestId: record.requestId,
      details: { ...record.details, door: 'console', reason: refusal.reason, clientAddress: record.clientAddress },
    });
  }
  return passkeyRefused(refusal.reason);
}
