import { generateKeyPairSync } from 'node:crypto';
import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { consoleSessions } from '../../src/db/schema/console.js';
import { passkeyChallenges, passkeys } from '../../src/db/schema/passkeys.js';
import { chatActor } from '../../src/domain/actor.js';
import type { UserRef } from '../../src/domain/users.js';
import { isAppError } from '../../src/errors.js';
import { listSessions, openSession, redeemSignInLink, sendSignInLink, signOut, type ConsoleSession } from '../../workflows/console-sessions.js';
import { CHALLENGE_TTL_MS } from '../../workflows/passkey-ceremony.js';
import { completeSecondFactor, passkeySignInOptions, secondFactorOptions, secondFactorStep, signInWithPasskey } from '../../workflows/passkey-sign-in.js';
import { addPasskey, listPasskeys, passkeyRegistrationOptions, removePasskey } from '../../workflows/passkeys.js';
import { removeMember } from '../../workflows/team.js';
import { SoftAuthenticator, type SoftPasskey } from '../support/passkey-authenticator.js';
import { createTestServices, USERS, type TestServices } from '../support/services.js';

/**
 * Passkeys against Postgres with a software authenticator (real keys and signatures): adding, signing in, the admins'
 * second factor, and every refusal the rules call for, each audited as denied with its reason.
 */
const ORIGIN = 'https://chatops.example.com';
const clock = new ManualClock('2026-12-01T09:00:00.000Z');
let t: TestServices;
const device = new SoftAuthenticator('chatops.example.com', ORIGIN);
const address = '198.51.100.7';

beforeAll(async () => {
  t = await createTestServices({ clock, settings: { PUBLIC_URL: ORIGIN, CONSOLE_ADMIN_MFA: 'passkey' } });
});
afterAll(async () => {
  await t?.close();
});
beforeEach(() => {
  t.notifier.clear();
  clock.advance(1000);
});

let requests = 0;
const requestId = () => `r-${++requests}`;

/** A console session for `user`, signed in with a link from chat (and its id, as the cookie holds it). */
async function linkSessionId(user: UserRef) {
  await sendSignInLink(t.s, chatActor(user));
  const token = /\/sign-in\/([A-Za-z0-9_-]+)/.exec(t.notifier.ofKind('dm').at(-1)!.view.text)![1]!;
  return redeemSignInLink(t.s, { token, clientAddress: address, requestId: requestId() });
}

async function linkSession(user: UserRef): Promise<ConsoleSession> {
  return (await linkSessionId(user)).session;
}

/** Adds a passkey named `name` for the session's member with the software authenticator. */
async function enrol(session: ConsoleSession, name: string): Promise<SoftPasskey> {
  const options = await passkeyRegistrationOptions(t.s, session, { name });
  const made = device.register({ challenge: options.challenge, userHandle: options.user.id });
  await addPasskey(t.s, session, { name, response: made.json, clientAddress: address, requestId: requestId() });
  return made.passkey;
}

async function signInChallenge(): Promise<string> {
  return (await passkeySignInOptions(t.s)).challenge;
}

async function refusalOf(attempt: Promise<unknown>): Promise<string> {
  try {
    await attempt;
  } catch (error) {
    if (isAppError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error('the attempt was accepted');
}

async function newest(eventType: string) {
  const [row] = await t.s.db.select().from(auditLog).where(eq(auditLog.eventType, eventType)).orderBy(desc(auditLog.id)).limit(1);
  return row!;
}

async function storedPasskey(id: string) {
  const [row] = await t.s.db.select().from(passkeys).where(eq(passkeys.id, id));
  return row;
}

describe('adding a passkey', () => {
  it('stores only the public key, counter, transports, name and dates, audits auth.passkey_added and lists it', async () => {
    const session = await linkSession(USERS.alice);
    const options = await passkeyRegistrationOptions(t.s, session, { name: 'Work laptop' });
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'required' });
    expect(options.rp).toEqual({ id: 'chatops.example.com', name: 'Aithroyz console' });
    const made = device.register({ challenge: options.challenge, userHandle: options.user.id });
    const added = await addPasskey(t.s, session, { name: '  Work   laptop ', response: made.json, clientAddress: address, requestId: 'r-add' });
    expect(added.name).toBe('Work laptop');

    const row = (await storedPasskey(made.passkey.id))!;
    expect(Object.keys(row).sort()).toEqual(['counter', 'createdAt', 'id', 'lastUsedAt', 'name', 'platform', 'publicKey', 'transports', 'userHandle', 'userId', 'userName'].sort());
    expect(row).toMatchObject({ userId: USERS.alice.id, name: 'Work laptop', counter: 0, transports: ['internal'], lastUsedAt: null, userHandle: options.user.id });
    // The challenge is kept as its hash only.
    expect(JSON.stringify(await t.s.db.select().from(passkeyChallenges))).not.toContain(options.challenge);

    const entry = await newest('auth.passkey_added');
    expect(entry).toMatchObject({ outcome: 'ok', actorId: USERS.alice.id, resourceType: 'passkey', resourceId: added.ref, requestId: 'r-add' });
    expect(entry.details).toEqual({ name: 'Work laptop', transports: ['internal'], door: 'console' });
    expect(await listPasskeys(t.s, USERS.alice)).toEqual([expect.objectContaining({ ref: added.ref, name: 'Work laptop', lastUsedAt: null })]);

    // A second passkey keeps the member's WebAuthn user id and leaves out the first.
    const again = await passkeyRegistrationOptions(t.s, session, { name: 'Phone' });
    expect(again.user.id).toBe(options.user.id);
    expect(again.excludeCredentials?.map((credential) => credential.id)).toEqual([made.passkey.id]);
  });

  it('refuses a bad or taken name before any prompt, and a replayed, foreign or mismatched registration, auditing the refusals', async () => {
    const session = await linkSession(USERS.bob);
    expect(await refusalOf(passkeyRegistrationOptions(t.s, session, { name: '' }))).toMatch(/^invalid_passkey_name: Give the passkey a name/);
    expect(await refusalOf(passkeyRegistrationOptions(t.s, session, { name: '<script>' }))).toMatch(/^invalid_passkey_name: /);
    await enrol(session, 'Key A');
    expect(await refusalOf(passkeyRegistrationOptions(t.s, session, { name: 'Key A' }))).toBe('passkey_name_taken: You already have a passkey named "Key A".');

    // The same registration answered twice: the second is a replay.
    const options = await passkeyRegistrationOptions(t.s, session, { name: 'Key B' });
    const made = device.register({ challenge: options.challenge, userHandle: options.user.id });
    await addPasskey(t.s, session, { name: 'Key B', response: made.json, clientAddress: address, requestId: requestId() });
    expect(await refusalOf(addPasskey(t.s, session, { name: 'Key C', response: made.json, clientAddress: address, requestId: 'r-replay' }))).toMatch(/^sign_in_refused: .*used already/);
    const replay = await newest('auth.passkey_added');
    expect(replay).toMatchObject({ outcome: 'denied', actorId: USERS.bob.id, requestId: 'r-replay' });
    expect(replay.details).toMatchObject({ reason: 'replayed_challenge', clientAddress: address, door: 'console', name: 'Key C' });

    // Options made for another session are not this one's.
    const other = await linkSession(USERS.bob);
    const foreign = await passkeyRegistrationOptions(t.s, other, { name: 'Key D' });
    const stolen = device.register({ challenge: foreign.challenge, userHandle: foreign.user.id });
    expect(await refusalOf(addPasskey(t.s, session, { name: 'Key D', response: stolen.json, clientAddress: address, requestId: requestId() }))).toMatch(/not for a prompt/);
    expect((await newest('auth.passkey_added')).details).toMatchObject({ reason: 'unknown_challenge' });

    // Made on another site, or without user verification.
    for (const wrong of [{ origin: 'https://evil.example.net' }, { rpId: 'evil.example.net' }, { userVerified: false }]) {
      const asked = await passkeyRegistrationOptions(t.s, session, { name: 'Key E' });
      const bad = device.register({ challenge: asked.challenge, userHandle: asked.user.id, ...wrong });
      expect(await refusalOf(addPasskey(t.s, session, { name: 'Key E', response: bad.json, clientAddress: address, requestId: requestId() }))).toMatch(/did not check out/);
      expect((await newest('auth.passkey_added')).details).toMatchObject({ reason: 'bad_attestation' });
    }
    expect(await refusalOf(addPasskey(t.s, session, { name: 'Key F', response: '{"id":1}', clientAddress: address, requestId: requestId() }))).toMatch(/^invalid_passkey_response: /);
    expect((await listPasskeys(t.s, USERS.bob)).map((passkey) => passkey.name)).toEqual(['Key A', 'Key B']);
  });
});

describe('signing in with a passkey', () => {
  let alice: ConsoleSession;
  let passkey: SoftPasskey;

  beforeAll(async () => {
    alice = await linkSession(USERS.alice);
    passkey = await enrol(alice, 'Sign-in key');
  });

  it('starts a session with method passkey and its second factor done, moves the counter on and records the use', async () => {
    const challenge = await signInChallenge();
    const { sessionId, session } = await signInWithPasskey(t.s, { response: device.assert(passkey, { challenge, counter: 5 }), clientAddress: address, requestId: 'r-pk' });
    expect(session).toMatchObject({ user: USERS.alice, method: 'passkey', secondFactorAt: clock.now() });
    expect(await openSession(t.s, sessionId)).toMatchObject({ method: 'passkey' });
    const login = await newest('auth.login');
    expect(login).toMatchObject({ outcome: 'ok', actorId: USERS.alice.id, resourceType: 'console_session', requestId: 'r-pk' });
    expect(login.details).toEqual({ method: 'passkey', door: 'console' });
    expect(await storedPasskey(passkey.id)).toMatchObject({ counter: 5, lastUsedAt: clock.now() });
    const [row] = await t.s.db.select().from(consoleSessions).where(eq(consoleSessions.idHash, session.idHash));
    expect(row).toMatchObject({ method: 'passkey', clientAddress: address, mfaCompletedAt: clock.now() });
  });

  it('refuses the same answer twice (a replayed challenge), auditing auth.login denied with the reason', async () => {
    const response = device.assert(passkey, { challenge: await signInChallenge() });
    await signInWithPasskey(t.s, { response, clientAddress: address, requestId: requestId() });
    expect(await refusalOf(signInWithPasskey(t.s, { response, clientAddress: address, requestId: 'r-replayed' }))).toMatch(/^sign_in_refused: .*used already/);
    const denied = await newest('auth.login');
    expect(denied).toMatchObject({ outcome: 'denied', actorId: 'unverified', requestId: 'r-replayed' });
    expect(denied.details).toEqual({ method: 'passkey', door: 'console', reason: 'replayed_challenge', clientAddress: address });
  });

  it('refuses a counter that goes backwards (or stands still), keeps the stored counter and audits whose passkey it was', async () => {
    const before = (await storedPasskey(passkey.id))!.counter;
    for (const counter of [before - 1, before]) {
      const response = device.assert(passkey, { challenge: await signInChallenge(), counter });
      expect(await refusalOf(signInWithPasskey(t.s, { response, clientAddress: address, requestId: requestId() }))).toMatch(/counter went backwards/);
      const denied = await newest('auth.login');
      expect(denied.details).toMatchObject({ reason: 'counter_went_backwards', claimedUserId: USERS.alice.id, clientAddress: address });
      expect(denied.platform).toBe('slack');
    }
    expect((await storedPasskey(passkey.id))!.counter).toBe(before);
    // The real authenticator, a step ahead, still signs in.
    const response = device.assert(passkey, { challenge: await signInChallenge(), counter: before + 1 });
    await signInWithPasskey(t.s, { response, clientAddress: address, requestId: requestId() });
  });

  it('refuses a signature by another key, an unverified user, another site, an expired prompt, a made-up one and garbage', async () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const cases: [string, () => Promise<string>, string][] = [
      ['bad_assertion', async () => device.assert(passkey, { challenge: await signInChallenge(), signWith: stranger }), 'did not check out'],
      ['bad_assertion', async () => device.assert(passkey, { challenge: await signInChallenge(), userVerified: false }), 'did not check out'],
      ['bad_assertion', async () => device.assert(passkey, { challenge: await signInChallenge(), origin: 'https://evil.example.net' }), 'did not check out'],
      ['bad_assertion', async () => device.assert(passkey, { challenge: await signInChallenge(), rpId: 'evil.example.net' }), 'did not check out'],
      [
        'expired_challenge',
        async () => {
          const challenge = await signInChallenge();
          clock.advance(CHALLENGE_TTL_MS);
          return device.assert(passkey, { challenge });
        },
        'too late',
      ],
      ['unknown_challenge', async () => device.assert(passkey, { challenge: 'A'.repeat(43) }), 'not for a prompt'],
      ['bad_response', async () => 'not json', 'did not send'],
    ];
    for (const [reason, make, message] of cases) {
      const response = await make();
      expect(await refusalOf(signInWithPasskey(t.s, { response, clientAddress: address, requestId: requestId() })), reason).toContain(message);
      expect((await newest('auth.login')).details, reason).toMatchObject({ reason, method: 'passkey' });
    }
  });

  it('refuses a challenge made for another purpose', async () => {
    const admin = await linkSession(USERS.admin);
    await enrol(admin, 'Admin key');
    const mfaChallenge = (await secondFactorOptions(t.s, admin)).challenge;
    const response = device.assert(passkey, { challenge: mfaChallenge });
    expect(await refusalOf(signInWithPasskey(t.s, { response, clientAddress: address, requestId: requestId() }))).toContain('not for a prompt');
  });

  it('refuses a removed passkey, and the passkey of someone no longer in the team', async () => {
    const bob = await linkSession(USERS.bob);
    const bobs = await enrol(bob, 'Bob’s spare');
    const ref = (await listPasskeys(t.s, USERS.bob)).find((row) => row.name === 'Bob’s spare')!.ref;
    await removePasskey(t.s, bob, { ref, requestId: 'r-remove' });
    const removed = await newest('auth.passkey_removed');
    expect(removed).toMatchObject({ outcome: 'ok', resourceId: ref, requestId: 'r-remove' });
    expect(removed.details).toEqual({ name: 'Bob’s spare', door: 'console' });
    expect(await storedPasskey(bobs.id)).toBeUndefined();
    const response = device.assert(bobs, { challenge: await signInChallenge() });
    expect(await refusalOf(signInWithPasskey(t.s, { response, clientAddress: address, requestId: requestId() }))).toMatch(/not registered/);
    expect((await newest('auth.login')).details).toMatchObject({ reason: 'unknown_passkey' });
    expect(await refusalOf(removePasskey(t.s, bob, { ref, requestId: requestId() }))).toMatch(/^not_found: /);

    const kept = await enrol(bob, 'Bob’s key');
    await removeMember(t.s, { actor: chatActor(USERS.admin), target: USERS.bob, requestId: requestId() });
    const after = device.assert(kept, { challenge: await signInChallenge() });
    expect(await refusalOf(signInWithPasskey(t.s, { response: after, clientAddress: address, requestId: requestId() }))).toMatch(/^not_in_team: /);
    expect((await newest('auth.login')).details).toMatchObject({ reason: 'not_allowed', claimedUserId: USERS.bob.id });
  });
});

describe('the admins’ second factor', () => {
  it('is none for members and off settings, asks an admin for a passkey, then for its use, and is done after it', async () => {
    const member = await linkSession(USERS.approver);
    expect(await secondFactorStep(t.s, member, 'approver')).toBe('none');
    const off = { ...t.s, config: { ...t.s.config, CONSOLE_ADMIN_MFA: 'off' as const } };
    const admin = await linkSession(USERS.admin);
    expect(await secondFactorStep(off, admin, 'admin')).toBe('none');

    await t.s.db.delete(passkeys).where(eq(passkeys.userId, USERS.admin.id));
    expect(await secondFactorStep(t.s, admin, 'admin')).toBe('add_passkey');
    const key = await enrol(admin, 'Admin laptop');
    const refreshed = (await openSession(t.s, (await linkSessionId(USERS.admin)).sessionId))!;
    expect(await secondFactorStep(t.s, refreshed, 'admin')).toBe('use_passkey');

    // Another member's passkey does not stand in for the admin's.
    const alice = await linkSession(USERS.alice);
    const alices = await enrol(alice, 'Alice second');
    const foreign = device.assert(alices, { challenge: (await secondFactorOptions(t.s, refreshed)).challenge });
    expect(await refusalOf(completeSecondFactor(t.s, refreshed, { response: foreign, clientAddress: address, requestId: 'r-foreign' }))).toMatch(/someone else/);
    const denied = await newest('auth.mfa_completed');
    expect(denied).toMatchObject({ outcome: 'denied', actorId: USERS.admin.id, requestId: 'r-foreign' });
    expect(denied.details).toMatchObject({ reason: 'not_your_passkey', method: 'passkey', door: 'console' });

    // A challenge of another session of the same admin is not this one's.
    const elsewhere = await linkSession(USERS.admin);
    const crossed = device.assert(key, { challenge: (await secondFactorOptions(t.s, elsewhere)).challenge });
    expect(await refusalOf(completeSecondFactor(t.s, refreshed, { response: crossed, clientAddress: address, requestId: requestId() }))).toContain('not for a prompt');

    const options = await secondFactorOptions(t.s, refreshed);
    expect(options.allowCredentials?.map((credential) => credential.id)).toEqual([key.id]);
    expect(options.userVerification).toBe('required');
    await completeSecondFactor(t.s, refreshed, { response: device.assert(key, { challenge: options.challenge }), clientAddress: address, requestId: 'r-mfa' });
    const done = await newest('auth.mfa_completed');
    expect(done).toMatchObject({ outcome: 'ok', actorId: USERS.admin.id, resourceId: refreshed.ref, requestId: 'r-mfa' });
    const again = (await t.s.db.select().from(consoleSessions).where(eq(consoleSessions.idHash, refreshed.idHash)))[0]!;
    expect(again.mfaCompletedAt).toEqual(clock.now());
    expect(await secondFactorStep(t.s, { ...refreshed, secondFactorAt: again.mfaCompletedAt }, 'admin')).toBe('none');
  });
});

describe('sessions', () => {
  it('lists a member’s open sessions with method, dates and address, and ends one of them by its ref', async () => {
    const first = await linkSessionId(USERS.approver);
    const second = await linkSessionId(USERS.approver);
    const listed = await listSessions(t.s, USERS.approver);
    expect(listed.map((row) => row.ref)).toEqual(expect.arrayContaining([first.session.ref, second.session.ref]));
    expect(listed.find((row) => row.ref === first.session.ref)).toMatchObject({ method: 'chat_link', clientAddress: address });

    await signOut(t.s, second.session, { ref: first.session.ref, requestId: 'r-end' });
    expect(await openSession(t.s, first.sessionId)).toBeUndefined();
    expect(await openSession(t.s, second.sessionId)).toBeDefined();
    expect((await newest('auth.logout')).details).toEqual({ ended_session: first.session.ref, sessions: 1, door: 'console' });
    // Someone else's session, or one already ended, is not found: nothing ends.
    const bobs = await linkSessionId(USERS.alice);
    expect(await refusalOf(signOut(t.s, second.session, { ref: bobs.session.ref, requestId: requestId() }))).toMatch(/^not_found: /);
    expect(await refusalOf(signOut(t.s, second.session, { ref: first.session.ref, requestId: requestId() }))).toMatch(/^not_found: /);
    expect(await openSession(t.s, bobs.sessionId)).toBeDefined();
  });

  it('records the address a session was last used from', async () => {
    const { sessionId, session } = await linkSessionId(USERS.approver);
    await openSession(t.s, sessionId, '203.0.113.50');
    expect((await listSessions(t.s, USERS.approver)).find((row) => row.ref === session.ref)?.clientAddress).toBe('203.0.113.50');
  });
});
