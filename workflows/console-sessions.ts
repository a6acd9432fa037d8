import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { consoleLinkView } from '../blocks/views/console.js';
import { appendAudit } from '../src/audit/append.js';
import { actedBy } from '../src/audit/types.js';
import type { Clock } from '../src/clock.js';
import type { DbOrTx } from '../src/db/client.js';
import { preparedPerDb } from '../src/db/prepared.js';
import { consoleSessions, consoleSignInLinks, type ConsoleSessionRow } from '../src/db/schema/console.js';
import { members } from '../src/db/schema/members.js';
import { consoleActor, type Actor } from '../src/domain/actor.js';
import type { Standing } from '../src/domain/team.js';
import type { Platform, UserRef } from '../src/domain/users.js';
import { AppError } from '../src/errors.js';
import type { Services } from '../src/services.js';
import { authorize, MEMBER_FACTS, memberRowOf, standingFrom } from './roles.js';

/**
 * Signing in to the web console from chat, and the console's sessions. Tokens and session ids are random, shown once
 * (the link in a DM, the id in a cookie) and stored only as their SHA-256.
 */

export const SIGN_IN_LINK_TTL_MS = 10 * 60_000;
export const SESSION_IDLE_MS = 12 * 3600_000;
export const SESSION_MAX_MS = 7 * 24 * 3600_000;
/** A session's last use is written at most this often, so reading pages does not write on every request. */
const TOUCH_EVERY_MS = 60_000;
/** The path a sign-in link opens, under PUBLIC_URL. */
export const SIGN_IN_PATH = '/sign-in';

/** How the session was started, as `auth.login` and the session row record it. */
export type SignInMethod = 'chat_link' | 'oidc' | 'passkey';

/** A signed-in console session: who, and until when. */
export interface ConsoleSession {
  user: UserRef;
  actor: Actor;
  /** The SHA-256 of the session id, as the row is keyed (the id itself is only in the cookie). */
  idHash: string;
  /** A short name for the session (the start of that hash), for audit entries. */
  ref: string;
  createdAt: Date;
  expiresAt: Date;
  method: SignInMethod;
  /** When the member completed a passkey assertion in this session (signing in with one counts); null until then. */
  secondFactorAt: Date | null;
}

/** Why a sign-in link was refused. */
export type SignInRefusal = 'unknown' | 'used' | 'expired';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function refOf(hash: string): string {
  return hash.slice(0, 12);
}

export function consoleOff(): AppError {
  return new AppError('console_off', 'The web console is off: it needs the address browsers reach the bot at.', {
    hint: 'Set PUBLIC_URL (for example https://chatops.example.com) and restart the bot.',
  });
}

/**
 * `/env console`: a one-time sign-in link, valid 10 minutes and bound to the chat user who asked, sent by DM. The
 * link is the only place the token exists.
 */
export async function sendSignInLink(s: Pick<Services, 'db' | 'clock' | 'config' | 'notifiers'>, actor: Actor): Promise<{ expiresAt: Date }> {
  const base = s.config.PUBLIC_URL;
  if (base === undefined) throw consoleOff();
  // Only people the bot works for get a link (in `invite` mode, the team); each page checks again.
  await authorize(s, actor, 'read');
  const token = newSecret();
  const now = s.clock.now();
  const expiresAt = new Date(now.getTime() + SIGN_IN_LINK_TTL_MS);
  await s.db.transaction(async (tx) => {
    // Links and sessions past their end are of no use to anyone: they go as new ones are made.
    await tx.delete(consoleSignInLinks).where(lt(consoleSignInLinks.expiresAt, new Date(now.getTime() - SIGN_IN_LINK_TTL_MS)));
    await tx.delete(consoleSessions).where(lt(consoleSessions.expiresAt, now));
    await tx.insert(consoleSignInLinks).values({
      tokenHash: sha256(token),
      platform: actor.user.platform,
      userId: actor.user.id,
      userName: actor.user.name,
      createdAt: now,
      expiresAt,
    });
  });
  const url = `${base.replace(/\/+$/, '')}${SIGN_IN_PATH}/${token}`;
  await s.notifiers.get(actor.user.platform).dm(actor.user.id, consoleLinkView({ url, expiresAt }));
  return { expiresAt };
}

export interface SignInRequest {
  token: string;
  /** The client's address, for the audit entry of a refusal. */
  clientAddress: string;
  requestId: string;
}

/** A session just started: the id goes into the cookie, and nowhere else. */
export interface StartedSession {
  sessionId: string;
  session: ConsoleSession;
}

/**
 * Uses a sign-in link: marks it used and starts a new session for its user, with `auth.login` (method `chat_link`),
 * in one transaction. A link that is unknown, used or expired is refused with `sign_in_refused`, and the refusal is
 * audited as `auth.login` denied with the reason and the client's address.
 */
export async function redeemSignInLink(s: Pick<Services, 'db' | 'clock'>, request: SignInRequest): Promise<StartedSession> {
  const tokenHash = sha256(request.token);
  const now = s.clock.now();
  const result = await s.db.transaction(async (tx) => {
    const [link] = await tx
      .update(consoleSignInLinks)
      .set({ usedAt: now })
      .where(and(eq(consoleSignInLinks.tokenHash, tokenHash), isNull(consoleSignInLinks.usedAt), gt(consoleSignInLinks.expiresAt, now)))
      .returning();
    if (!link) return { refused: await refusalOf(tx, tokenHash), started: undefined };
    const user: UserRef = { platform: link.platform, id: link.userId, name: link.userName };
    const started = await startSession(tx, s.clock, { user, method: 'chat_link', clientAddress: request.clientAddress, requestId: request.requestId });
    return { refused: undefined, started };
  });
  if (result.started) return result.started;
  await auditRefusedSignIn(s.db, s.clock, {
    method: 'chat_link',
    reason: result.refused.reason,
    platform: result.refused.user?.platform,
    clientAddress: request.clientAddress,
    requestId: request.requestId,
    details: result.refused.user ? { claimedUserId: result.refused.user.id, claimedUserName: result.refused.user.name } : {},
  });
  throw signInRefused(result.refused.reason);
}

/** What starts a session, whichever way the member proved who they are. */
export interface SessionStart {
  user: UserRef;
  method: SignInMethod;
  /** Where the browser signed in from, as the sessions page shows it. */
  clientAddress: string;
  /** Set when the sign-in itself was a passkey assertion, which is the admins' second factor. */
  secondFactor?: boolean;
  requestId: string;
  /** More for the `auth.login` entry (never a secret). */
  details?: Record<string, unknown>;
}

/**
 * Every console session starts here, inside the sign-in's transaction: a new random id (the cookie's; the row keeps
 * its SHA-256) and `auth.login` with the method. Each way of signing in (a chat link, OIDC) proves the user first,
 * then calls this, so a rule about sessions holds for all of them.
 */
export async function startSession(tx: DbOrTx, clock: Clock, start: SessionStart): Promise<StartedSession> {
  const { user, method } = start;
  const now = clock.now();
  const sessionId = newSecret();
  const idHash = sha256(sessionId);
  const expiresAt = new Date(now.getTime() + SESSION_MAX_MS);
  const secondFactorAt = start.secondFactor ? now : null;
  await tx.insert(consoleSessions).values({
    idHash,
    platform: user.platform,
    userId: user.id,
    userName: user.name,
    method,
    clientAddress: start.clientAddress,
    mfaCompletedAt: secondFactorAt,
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
  });
  const actor = consoleActor(user);
  await appendAudit(tx, clock, {
    eventType: 'auth.login',
    ...actedBy(actor, { ...start.details, method }),
    platform: user.platform,
    resource: { type: 'console_session', id: refOf(idHash) },
    outcome: 'ok',
    requestId: start.requestId,
  });
  return { sessionId, session: { user, actor, idHash, ref: refOf(idHash), createdAt: now, expiresAt, method, secondFactorAt } };
}

/** A refused sign-in, whichever the method, as the log keeps it. */
export interface RefusedSignIn {
  method: SignInMethod;
  /** Why, in a word the log can be filtered on (`used`, `bad_state`, `no_member`…). */
  reason: string;
  /** The platform of the account the attempt claimed, when it named one. */
  platform?: Platform | undefined;
  clientAddress: string;
  requestId: string;
  details?: Record<string, unknown>;
}

/**
 * `auth.login` denied, with the reason and the client's address. The actor is unverified: a refused attempt proved
 * nobody. Doors count refusals per client address and stop looking past their limit, so these cannot flood the log.
 */
export async function auditRefusedSignIn(db: DbOrTx, clock: Clock, refused: RefusedSignIn): Promise<void> {
  await appendAudit(db, clock, {
    eventType: 'auth.login',
    actor: { type: 'user', id: 'unverified', name: 'unverified request' },
    platform: refused.platform ?? null,
    outcome: 'denied',
    requestId: refused.requestId,
    details: { ...refused.details, method: refused.method, door: 'console', reason: refused.reason, clientAddress: refused.clientAddress },
  });
}

async function refusalOf(
  tx: Pick<Services['db'], 'select'>,
  tokenHash: string,
): Promise<{ reason: SignInRefusal; user?: UserRef }> {
  const [link] = await tx.select().from(consoleSignInLinks).where(eq(consoleSignInLinks.tokenHash, tokenHash));
  if (!link) return { reason: 'unknown' };
  const user: UserRef = { platform: link.platform, id: link.userId, name: link.userName };
  return { reason: link.usedAt ? 'used' : 'expired', user };
}

const REFUSALS: Record<SignInRefusal, string> = {
  unknown: 'This sign-in link is not one the bot made.',
  used: 'This sign-in link has been used already: each link signs in once.',
  expired: 'This sign-in link has expired: links work for 10 minutes.',
};

export function signInRefused(reason: SignInRefusal): AppError {
  return new AppError('sign_in_refused', REFUSALS[reason], { hint: 'Type `/env console` in chat for a new link.' });
}

/**
 * The session a cookie names, when it is still open: not idle for 12 hours, not older than 7 days. A session past
 * either end is removed. Its last use is recorded (at most once a minute). The same statement reads the member's
 * standing in the team now, which the request's reads decide on (`authorize`); its changes read the standing again.
 */
export async function openSession(s: Pick<Services, 'db' | 'clock' | 'config'>, sessionId: string, clientAddress?: string): Promise<ConsoleSession | undefined> {
  const idHash = sha256(sessionId);
  const now = s.clock.now();
  const [found] = await sessionLookupOf(s.db).execute({ idHash });
  if (!found) return undefined;
  const row = found.session;
  if (row.expiresAt <= now || row.lastSeenAt.getTime() + SESSION_IDLE_MS <= now.getTime()) {
    await s.db.delete(consoleSessions).where(eq(consoleSessions.idHash, idHash));
    return undefined;
  }
  const moved = clientAddress !== undefined && clientAddress !== row.clientAddress;
  if (moved || now.getTime() - row.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    await s.db
      .update(consoleSessions)
      .set({ lastSeenAt: now, ...(moved ? { clientAddress } : {}) })
      .where(eq(consoleSessions.idHash, idHash));
  }
  return sessionOfRow(row, standingFrom(s, found.member));
}

/** A session by the hash of its id, with its member's facts: every console request runs it. */
const sessionLookupOf = preparedPerDb((db) =>
  db
    .select({ session: consoleSessions, member: MEMBER_FACTS })
    .from(consoleSessions)
    .leftJoin(members, memberRowOf(consoleSessions.platform, consoleSessions.userId))
    .where(eq(consoleSessions.idHash, sql.placeholder('idHash')))
    .prepare('console_session_with_member'),
);

/** A session as its row holds it; its actor carries the member's standing when it was read with the row. */
function sessionOfRow(row: ConsoleSessionRow, standingAtRequest?: Standing): ConsoleSession {
  const user: UserRef = { platform: row.platform, id: row.userId, name: row.userName };
  return {
    user,
    actor: consoleActor(user, standingAtRequest),
    idHash: row.idHash,
    ref: refOf(row.idHash),
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    method: row.method as SignInMethod,
    secondFactorAt: row.mfaCompletedAt,
  };
}

/** Which of a member's sessions a sign-out ends: this one, all of them, or another one by its ref. */
export type SessionsToEnd = { everywhere: boolean } | { ref: string };

/**
 * Ends this session, with `everywhere` every session of its user, or with `ref` one other session of its user (from
 * the sessions page), with `auth.logout` (how many sessions ended, and which when it was another one). A ref that
 * names none of the user's open sessions is refused as not found.
 */
export async function signOut(
  s: Pick<Services, 'db' | 'clock'>,
  session: ConsoleSession,
  options: SessionsToEnd & { requestId: string },
): Promise<{ ended: number }> {
  return s.db.transaction(async (tx) => {
    const mine = and(eq(consoleSessions.platform, session.user.platform), eq(consoleSessions.userId, session.user.id));
    const which =
      'ref' in options
        ? and(mine, sql`left(${consoleSessions.idHash}, ${options.ref.length}) = ${options.ref}`)
        : options.everywhere
          ? mine
          : and(mine, eq(consoleSessions.idHash, session.idHash));
    if ('ref' in options && !/^[0-9a-f]{12}$/.test(options.ref)) throw sessionNotFound();
    const ended = await tx.delete(consoleSessions).where(which).returning({ idHash: consoleSessions.idHash });
    if ('ref' in options && ended.length === 0) throw sessionNotFound();
    const target = 'ref' in options ? { ended_session: options.ref } : { everywhere: options.everywhere };
    await appendAudit(tx, s.clock, {
      eventType: 'auth.logout',
      ...actedBy(session.actor, { ...target, sessions: ended.length }),
      platform: session.user.platform,
      resource: { type: 'console_session', id: session.ref },
      outcome: 'ok',
      requestId: options.requestId,
    });
    return { ended: ended.length };
  });
}

function sessionNotFound(): AppError {
  return new AppError('not_found', 'You have no open session with that reference.', { hint: 'Settings → Sessions lists your open sessions.' });
}

/** A member's open session as the sessions page lists it. */
export interface SessionSummary {
  ref: string;
  method: SignInMethod;
  createdAt: Date;
  lastSeenAt: Date;
  clientAddress: string;
  secondFactorAt: Date | null;
}

/** A user's open sessions (not idle 12 hours, not past 7 days), most recently used first. */
export async function listSessions(s: Pick<Services, 'db' | 'clock'>, user: Pick<UserRef, 'platform' | 'id'>): Promise<SessionSummary[]> {
  const now = s.clock.now();
  const rows = await s.db
    .select()
    .from(consoleSessions)
    .where(
      and(
        eq(consoleSessions.platform, user.platform),
        eq(consoleSessions.userId, user.id),
        gt(consoleSessions.expiresAt, now),
        gt(consoleSessions.lastSeenAt, new Date(now.getTime() - SESSION_IDLE_MS)),
      ),
    )
    .orderBy(desc(consoleSessions.lastSeenAt), desc(consoleSessions.createdAt));
  return rows.map((row) => {
    const session = sessionOfRow(row);
    return { ref: session.ref, method: session.method, createdAt: row.createdAt, lastSeenAt: row.lastSeenAt, clientAddress: row.clientAddress, secondFactorAt: row.mfaCompletedAt };
  });
}
