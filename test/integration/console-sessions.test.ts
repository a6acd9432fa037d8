import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit.js';
import { consoleSessions, consoleSignInLinks } from '../../src/db/schema/console.js';
import { ManualClock } from '../../src/clock.js';
import { chatActor } from '../../src/domain/actor.js';
import { isAppError } from '../../src/errors.js';
import {
  listSessions,
  openSession,
  redeemSignInLink,
  sendSignInLink,
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
  SIGN_IN_LINK_TTL_MS,
  signOut,
} from '../../workflows/console-sessions.js';
import { createTestServices, USERS, type TestServices } from '../support/services.js';

/**
 * Signing in to the console from chat, against Postgres with a clock the test moves: links work once, for 10 minutes,
 * for the user who asked; sessions end when idle 12 h, at 7 days, or on sign-out; refusals are audited as denied.
 */
const clock = new ManualClock('2026-11-26T12:00:00.000Z');
let t: TestServices;

beforeAll(async () => {
  t = await createTestServices({ clock, settings: { PUBLIC_URL: 'https://chatops.example.com' } });
});
afterAll(async () => {
  await t?.close();
});
beforeEach(() => {
  t.notifier.clear();
});

const alice = chatActor(USERS.alice);

/** Asks for a link as `actor` and returns the token the DM carries. */
async function linkToken(actor = alice): Promise<string> {
  await sendSignInLink(t.s, actor);
  const dm = t.notifier.ofKind('dm').at(-1)!;
  expect(dm.userId).toBe(actor.user.id);
  const match = /https:\/\/chatops\.example\.com\/sign-in\/([A-Za-z0-9_-]{43})\b/.exec(dm.view.text);
  expect(match, dm.view.text).not.toBeNull();
  return match![1]!;
}

async function refusal(token: string): Promise<string> {
  try {
    await redeemSignInLink(t.s, { token, clientAddress: '203.0.113.9', requestId: 'r-refused' });
  } catch (error) {
    if (isAppError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error('the link was accepted');
}

async function newestEntry(eventType: string) {
  const [row] = await t.s.db.select().from(auditLog).where(eq(auditLog.eventType, eventType)).orderBy(desc(auditLog.id)).limit(1);
  return row!;
}

describe('sign-in links', () => {
  it('DMs a link to the asker and stores only the hash of its token', async () => {
    const token = await linkToken();
    const rows = await t.s.db.select().from(consoleSignInLinks);
    expect(rows.some((row) => row.tokenHash === token || JSON.stringify(row).includes(token))).toBe(false);
    const link = rows.find((row) => row.userId === USERS.alice.id)!;
    expect(link.expiresAt.getTime() - link.createdAt.getTime()).toBe(SIGN_IN_LINK_TTL_MS);
    expect(link.usedAt).toBeNull();
  });

  it('signs in once: a session for the link’s user, auth.login with the method and the door', async () => {
    const token = await linkToken();
    const { sessionId, session } = await redeemSignInLink(t.s, { token, clientAddress: '203.0.113.9', requestId: 'r-login' });
    expect(session.user).toEqual(USERS.alice);
    expect(session.actor.door).toBe('console');
    expect(session.expiresAt.getTime() - clock.now().getTime()).toBe(SESSION_MAX_MS);
    const login = await newestEntry('auth.login');
    expect(login).toMatchObject({ outcome: 'ok', actorType: 'user', actorId: USERS.alice.id, platform: 'slack', resourceType: 'console_session' });
    expect(login.details).toEqual({ method: 'chat_link', door: 'console' });
    // The session id is in the cookie only: the row holds its hash.
    const rows = await t.s.db.select().from(consoleSessions);
    expect(JSON.stringify(rows)).not.toContain(sessionId);
    expect(JSON.stringify(await t.s.db.select().from(auditLog))).not.toContain(sessionId);
    expect(JSON.stringify(await t.s.db.select().from(auditLog))).not.toContain(token);

    expect(await refusal(token)).toMatch(/^sign_in_refused: .*used already/);
    const denied = await newestEntry('auth.login');
    expect(denied).toMatchObject({ outcome: 'denied', actorId: 'unverified', requestId: 'r-refused' });
    expect(denied.details).toMatchObject({ reason: 'used', method: 'chat_link', door: 'console', claimedUserId: USERS.alice.id, clientAddress: '203.0.113.9' });
  });

  it('refuses a link after 10 minutes, and one the bot never made, auditing each', async () => {
    const token = await linkToken();
    clock.advance(SIGN_IN_LINK_TTL_MS);
    expect(await refusal(token)).toMatch(/^sign_in_refused: .*expired/);
    expect((await newestEntry('auth.login')).details).toMatchObject({ reason: 'expired', claimedUserId: USERS.alice.id });
    expect(await refusal('A'.repeat(43))).toMatch(/^sign_in_refused: .*not one the bot made/);
    const unknown = await newestEntry('auth.login');
    expect(unknown.outcome).toBe('denied');
    expect(unknown.details).toMatchObject({ reason: 'unknown' });
    expect(unknown.details).not.toHaveProperty('claimedUserId');
  });

  it('lets exactly one of two simultaneous uses of a link through', async () => {
    const token = await linkToken();
    const results = await Promise.allSettled([1, 2, 3].map((n) => redeemSignInLink(t.s, { token, clientAddress: '203.0.113.9', requestId: `r-race-${n}` })));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  it('says what to set when PUBLIC_URL is not set, and sends nothing', async () => {
    const off = { ...t.s, config: { ...t.s.config, PUBLIC_URL: undefined } };
    await expect(sendSignInLink(off, alice)).rejects.toMatchObject({ code: 'console_off', hint: expect.stringContaining('PUBLIC_URL') });
    expect(t.notifier.ofKind('dm')).toHaveLength(0);
  });
});

describe('sessions', () => {
  async function signIn(actor = alice) {
    return redeemSignInLink(t.s, { token: await linkToken(actor), clientAddress: '127.0.0.1', requestId: 'r-in' });
  }

  it('end after 12 hours without use, and stay open while used', async () => {
    const { sessionId } = await signIn();
    clock.advance(SESSION_IDLE_MS - 60_000);
    expect(await openSession(t.s, sessionId)).toBeDefined();
    clock.advance(SESSION_IDLE_MS - 60_000);
    expect(await openSession(t.s, sessionId)).toBeDefined();
    clock.advance(SESSION_IDLE_MS);
    expect(await openSession(t.s, sessionId)).toBeUndefined();
    // Gone for good, not just hidden.
    clock.advance(-SESSION_IDLE_MS);
    expect(await openSession(t.s, sessionId)).toBeUndefined();
  });

  it('end 7 days after sign-in however much they are used', async () => {
    const { sessionId } = await signIn();
    const started = clock.now().getTime();
    while (clock.now().getTime() + 11 * 3600_000 < started + SESSION_MAX_MS) {
      clock.advance(11 * 3600_000);
      expect(await openSession(t.s, sessionId)).toBeDefined();
    }
    clock.set(new Date(started + SESSION_MAX_MS));
    expect(await openSession(t.s, sessionId)).toBeUndefined();
  });

  it('sign out ends one session; sign out everywhere ends all of the user’s, and nobody else’s', async () => {
    const first = await signIn();
    const second = await signIn();
    const third = await signIn();
    const bobs = await signIn(chatActor(USERS.bob));
    expect(await listSessions(t.s, USERS.alice)).toHaveLength(3);

    await signOut(t.s, first.session, { everywhere: false, requestId: 'r-out' });
    expect(await openSession(t.s, first.sessionId)).toBeUndefined();
    expect(await openSession(t.s, second.sessionId)).toBeDefined();
    expect((await newestEntry('auth.logout')).details).toEqual({ everywhere: false, sessions: 1, door: 'console' });

    await signOut(t.s, second.session, { everywhere: true, requestId: 'r-out-all' });
    expect(await openSession(t.s, third.sessionId)).toBeUndefined();
    expect(await openSession(t.s, bobs.sessionId)).toBeDefined();
    const everywhere = await newestEntry('auth.logout');
    expect(everywhere).toMatchObject({ actorId: USERS.alice.id, outcome: 'ok', requestId: 'r-out-all' });
    expect(everywhere.details).toEqual({ everywhere: true, sessions: 2, door: 'console' });
  });
});
