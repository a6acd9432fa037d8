import { and, eq } from 'drizzle-orm';
import { generateAuthenticationOptions } from '@simplewebauthn/server';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { appendAudit } from '../src/audit/append.js';
import { actedBy, auditActorOf } from '../src/audit/types.js';
import { consoleSessions } from '../src/db/schema/console.js';
import { passkeys, type PasskeyRow } from '../src/db/schema/passkeys.js';
import { consoleActor } from '../src/domain/actor.js';
import { parseAuthenticationResponse } from '../src/domain/passkeys.js';
import type { Role, UserRef } from '../src/domain/users.js';
import { isAppError } from '../src/errors.js';
import type { Services } from '../src/services.js';
import { startSession, type ConsoleSession, type StartedSession } from './console-sessions.js';
import {
  auditRefusal,
  CEREMONY_TIMEOUT_MS,
  CeremonyRefusal,
  challengeOf,
  checkAssertion,
  relyingParty,
  saveChallenge,
  useChallenge,
  type RefusalRecord,
} from './passkey-ceremony.js';
import { countPasskeys, passkeyRefOf } from './passkeys.js';
import { authorize } from './roles.js';

/**
 * Passkey assertions: signing in with a passkey from the sign-in page (a discoverable credential: the authenticator
 * says whose it is), and an admin's second factor under `CONSOLE_ADMIN_MFA=passkey`. Each checks the challenge, the
 * signature, user verification and the counter, then moves the counter on and records the use.
 */

/** The options for signing in: no passkey named (the authenticator offers the ones it holds for this site). */
export async function passkeySignInOptions(s: Pick<Services, 'db' | 'clock' | 'config'>): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const rp = relyingParty(s);
  const options = await generateAuthenticationOptions({ rpID: rp.id, userVerification: 'required', timeout: CEREMONY_TIMEOUT_MS, allowCredentials: [] });
  await saveChallenge(s, options.challenge, { purpose: 'sign_in' });
  return options;
}

/** The options for an admin's second factor: only their own passkeys, and the challenge is this session's. */
export async function secondFactorOptions(s: Pick<Services, 'db' | 'clock' | 'config'>, session: ConsoleSession): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const rp = relyingParty(s);
  const own = await s.db
    .select({ id: passkeys.id, transports: passkeys.transports })
    .from(passkeys)
    .where(and(eq(passkeys.platform, session.user.platform), eq(passkeys.userId, session.user.id)));
  const options = await generateAuthenticationOptions({
    rpID: rp.id,
    userVerification: 'required',
    timeout: CEREMONY_TIMEOUT_MS,
    allowCredentials: own.map((row) => ({ id: row.id })),
  });
  await saveChallenge(s, options.challenge, { purpose: 'mfa', sessionHash: session.idHash });
  return options;
}

export interface AssertionRequest {
  /** The browser's JSON of the assertion. */
  response: string;
  clientAddress: string;
  requestId: string;
}

/** Moves the passkey's counter on and records its use; false when another use moved it first (then this one is refused). */
async function recordUse(tx: Pick<Services['db'], 'update'>, passkey: PasskeyRow, counter: number, now: Date): Promise<boolean> {
  const moved = await tx
    .update(passkeys)
    .set({ counter, lastUsedAt: now })
    .where(and(eq(passkeys.id, passkey.id), eq(passkeys.counter, passkey.counter)))
    .returning({ id: passkeys.id });
  return moved.length === 1 || counter === 0;
}

async function findPasskeyById(s: Pick<Services, 'db'>, id: string): Promise<PasskeyRow> {
  const [row] = await s.db.select().from(passkeys).where(eq(passkeys.id, id));
  if (!row) throw new CeremonyRefusal('unknown_passkey');
  return row;
}

/**
 * Signs in with a passkey: a new session (method `passkey`, second factor done) and `auth.login`. Refusals (an
 * unreadable answer, an unknown or used challenge, an unknown passkey, a bad signature, a counter that did not move
 * forward) are audited as `auth.login` denied with the reason and the client's address; someone no longer allowed
 * to use the bot is refused as chat would refuse them.
 */
export async function signInWithPasskey(s: Pick<Services, 'db' | 'clock' | 'config'>, request: AssertionRequest): Promise<StartedSession> {
  const record: RefusalRecord = { eventType: 'auth.login', clientAddress: request.clientAddress, requestId: request.requestId };
  try {
    const rp = relyingParty(s);
    const response = parseAuthenticationResponse(request.response);
    const challenge = challengeOf(response);
    await useChallenge(s, challenge, 'sign_in');
    const passkey = await findPasskeyById(s, response.id);
    const counter = await checkAssertion(rp, response, challenge, passkey);
    const user: UserRef = { platform: passkey.platform, id: passkey.userId, name: passkey.userName };
    // Removed from the team, or never in it in `invite` mode: refused as chat refuses them, and audited.
    await authorize(s, consoleActor(user), 'read').catch(async (error: unknown) => {
      if (isAppError(error)) await auditRefusal(s.db, s, new CeremonyRefusal('not_allowed', user), record);
      throw error;
    });
    const now = s.clock.now();
    return await s.db.transaction(async (tx) => {
      if (!(await recordUse(tx, passkey, counter, now))) throw new CeremonyRefusal('counter_went_backwards', user);
      return startSession(tx, s.clock, { user, method: 'passkey', clientAddress: request.clientAddress, secondFactor: true, requestId: request.requestId });
    });
  } catch (error) {
    if (error instanceof CeremonyRefusal) throw await auditRefusal(s.db, s, error, record);
    if (isAppError(error) && error.code === 'invalid_passkey_response') throw await auditRefusal(s.db, s, new CeremonyRefusal('bad_response'), record);
    throw error;
  }
}

/**
 * An admin's second factor: an assertion with one of their own passkeys for this session's challenge marks the
 * session (`mfa_completed_at`) and writes `auth.mfa_completed`. Refusals are audited as `auth.mfa_completed` denied
 * with their reason.
 */
export async function completeSecondFactor(s: Pick<Services, 'db' | 'clock' | 'config'>, session: ConsoleSession, request: AssertionRequest): Promise<void> {
  const record: RefusalRecord = {
    eventType: 'auth.mfa_completed',
    actor: auditActorOf(session.actor),
    details: { method: 'passkey' },
    clientAddress: request.clientAddress,
    requestId: request.requestId,
  };
  try {
    const rp = relyingParty(s);
    const response = parseAuthenticationResponse(request.response);
    const challenge = challengeOf(response);
    await useChallenge(s, challenge, 'mfa', session.idHash);
    const passkey = await findPasskeyById(s, response.id);
    if (passkey.platform !== session.user.platform || passkey.userId !== session.user.id) throw new CeremonyRefusal('not_your_passkey');
    const counter = await checkAssertion(rp, response, challenge, passkey);
    const now = s.clock.now();
    await s.db.transaction(async (tx) => {
      if (!(await recordUse(tx, passkey, counter, now))) throw new CeremonyRefusal('counter_went_backwards');
      await tx.update(consoleSessions).set({ mfaCompletedAt: now }).where(eq(consoleSessions.idHash, session.idHash));
      await appendAudit(tx, s.clock, {
        eventType: 'auth.mfa_completed',
        ...actedBy(session.actor, { method: 'passkey', passkey: passkeyRefOf(passkey.id) }),
        platform: session.user.platform,
        resource: { type: 'console_session', id: session.ref },
        outcome: 'ok',
        requestId: request.requestId,
      });
    });
  } catch (error) {
    if (error instanceof CeremonyRefusal) throw await auditRefusal(s.db, s, error, record);
    if (isAppError(error) && error.code === 'invalid_passkey_response') throw await auditRefusal(s.db, s, new CeremonyRefusal('bad_response'), record);
    throw error;
  }
}

/**
 * What stands between a signed-in member and the console under `CONSOLE_ADMIN_MFA=passkey`: nothing (`none`: not an
 * admin, the setting is off, or the session has its second factor), adding a first passkey (`add_passkey`), or
 * using one (`use_passkey`).
 */
export type SecondFactorStep = 'none' | 'add_passkey' | 'use_passkey';

export async function secondFactorStep(s: Pick<Services, 'db' | 'config'>, session: ConsoleSession, role: Role): Promise<SecondFactorStep> {
  if (s.config.CONSOLE_ADMIN_MFA !== 'passkey' || role !== 'admin' || session.secondFactorAt !== null) return 'none';
  return (await countPasskeys(s, session.user)) === 0 ? 'add_passkey' : 'use_passkey';
}
