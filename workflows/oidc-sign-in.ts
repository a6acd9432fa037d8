import { createHash, createHmac, randomBytes } from 'node:crypto';
import { and, eq, gt, isNotNull, isNull, lt } from 'drizzle-orm';
import { consoleOidcRequests } from '../src/db/schema/console.js';
import { domainAllowed, signInDomain } from '../src/domain/sign-in-domain.js';
import type { Platform, UserRef } from '../src/domain/users.js';
import { AppError } from '../src/errors.js';
import type { Services } from '../src/services.js';
import { auditRefusedSignIn, startSession, type StartedSession } from './console-sessions.js';
import { standingNow } from './roles.js';

/**
 * Signing in to the console with an OpenID Connect issuer (Google, or any other): the console speaks the protocol;
 * this keeps the sign-ins under way, single use and short-lived, and decides who a verified email signs in as.
 */

/** How long a sign-in may take between the button and the issuer's answer (and the choice of account after it). */
export const OIDC_REQUEST_TTL_MS = 10 * 60_000;

/** The random values one sign-in binds together: the state (also in the browser's cookie), the nonce and PKCE verifier. */
export interface OidcSecrets {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Why an OIDC sign-in was refused, as `auth.login` denied records it. */
export type OidcRefusal =
  | 'bad_state'
  | 'provider_refused'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'bad_token'
  | 'no_email'
  | 'unverified_email'
  | 'domain_not_allowed'
  | 'no_account'
  | 'not_in_team';

const RESTART = 'Start again from the sign-in page.';

const REFUSALS: Record<OidcRefusal, { message: string; hint: string }> = {
  bad_state: {
    message: 'This sign-in did not start in this browser, was finished already, or took longer than 10 minutes.',
    hint: RESTART,
  },
  provider_refused: { message: 'The sign-in provider did not sign you in.', hint: RESTART },
  wrong_issuer: { message: 'The answer did not come from the sign-in provider this console trusts.', hint: RESTART },
  wrong_audience: { message: 'The sign-in provider’s token was made for another application.', hint: RESTART },
  bad_token: { message: 'The sign-in provider’s answer could not be verified.', hint: RESTART },
  no_email: {
    message: 'The sign-in provider did not share an email address, and the console finds your chat account by it.',
    hint: 'Type `/env console` in chat for a sign-in link instead.',
  },
  unverified_email: {
    message: 'Your email address is not verified with the sign-in provider.',
    hint: 'Verify it with the provider and try again, or type `/env console` in chat for a sign-in link.',
  },
  domain_not_allowed: {
    message: 'Accounts of this domain may not sign in to this console.',
    hint: 'Sign in with your organisation’s account, or type `/env console` in chat for a sign-in link.',
  },
  no_account: {
    message: 'No chat account of this workspace has your email address.',
    hint: 'Sign in with the address your chat account uses, or type `/env console` in chat for a sign-in link.',
  },
  not_in_team: {
    message: 'The chat account with your email address is not in the team.',
    hint: 'Ask an admin to invite you, with `/team invite`.',
  },
};

/** Where and why a sign-in is being answered: for the audit entry of a refusal. */
export interface OidcRequestContext {
  clientAddress: string;
  requestId: string;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The nonce and PKCE verifier of a sign-in, derived from its state and the row's salt. Neither is stored: the row
 * holds the salt and the state's hash, the browser and the issuer's redirect hold the state, and it takes both to
 * rebuild them. A copy of the table alone cannot answer a sign-in, and neither can an intercepted redirect.
 */
function derivedSecrets(state: string, salt: string): Pick<OidcSecrets, 'nonce' | 'codeVerifier'> {
  const derive = (purpose: string) => createHmac('sha256', salt).update(`${purpose}\0${state}`).digest('base64url');
  return { nonce: derive('oidc nonce'), codeVerifier: derive('oidc pkce verifier') };
}

/**
 * Audits a refused OIDC sign-in (`auth.login` denied, with the reason) and returns the refusal to throw. The console
 * counts it against the client address's limit.
 */
export async function refuseOidcSignIn(
  s: Pick<Services, 'db' | 'clock'>,
  reason: OidcRefusal,
  request: OidcRequestContext,
  details: Record<string, unknown> = {},
): Promise<AppError> {
  await auditRefusedSignIn(s.db, s.clock, { method: 'oidc', reason, ...request, details });
  const { message, hint } = REFUSALS[reason];
  return new AppError('sign_in_refused', message, { hint });
}

/**
 * A new sign-in: its secrets, remembered for 10 minutes as the state's hash and the salt its nonce and verifier are
 * derived with. Rows long past their end go.
 */
export async function beginOidcSignIn(s: Pick<Services, 'db' | 'clock'>): Promise<OidcSecrets> {
  const state = newSecret();
  const salt = newSecret();
  const secrets: OidcSecrets = { state, ...derivedSecrets(state, salt) };
  const now = s.clock.now();
  await s.db.transaction(async (tx) => {
    await tx.delete(consoleOidcRequests).where(lt(consoleOidcRequests.expiresAt, new Date(now.getTime() - OIDC_REQUEST_TTL_MS)));
    await tx.insert(consoleOidcRequests).values({
      stateHash: sha256(state),
      salt,
      createdAt: now,
      expiresAt: new Date(now.getTime() + OIDC_REQUEST_TTL_MS),
    });
  });
  return secrets;
}

/**
 * Uses the sign-in named by `state`, once: its nonce and verifier, or undefined when it is unknown, used or expired
 * (the caller refuses it as `bad_state`).
 */
export async function takeOidcRequest(
  s: Pick<Services, 'db' | 'clock'>,
  state: string,
): Promise<Pick<OidcSecrets, 'nonce' | 'codeVerifier'> | undefined> {
  const now = s.clock.now();
  const [row] = await s.db
    .update(consoleOidcRequests)
    .set({ usedAt: now })
    .where(and(eq(consoleOidcRequests.stateHash, sha256(state)), isNull(consoleOidcRequests.usedAt), gt(consoleOidcRequests.expiresAt, now)))
    .returning({ salt: consoleOidcRequests.salt });
  return row && derivedSecrets(state, row.salt);
}

/** What the console read from the issuer's verified ID token (and its userinfo, when the token had no email). */
export interface VerifiedIdentity {
  email: string | undefined;
  emailVerified: boolean;
  /** Google's `hd` claim: the Workspace domain of the account. */
  hostedDomain: string | undefined;
}

/** A sign-in's end: a session, or two accounts to choose from. */
export type OidcOutcome = { kind: 'signed_in'; started: StartedSession } | { kind: 'choose'; choices: UserRef[] };

/**
 * Who a verified identity signs in as. The email must be verified and, with OIDC_ALLOWED_DOMAINS, of an allowed
 * domain; each chat platform is asked for the account with that address, and only accounts in the team count. One
 * such account: a session for it (`auth.login`, method `oidc`). Two (Slack and Mattermost): the person picks one
 * (`chooseOidcAccount`). None: refused and audited with the reason.
 */
export async function signInWithOidc(
  s: Pick<Services, 'db' | 'clock' | 'config' | 'notifiers'>,
  input: { state: string; identity: VerifiedIdentity } & OidcRequestContext,
): Promise<OidcOutcome> {
  const { identity } = input;
  const email = identity.email?.trim().toLowerCase();
  if (email === undefined || email === '' || !email.includes('@')) throw await refuseOidcSignIn(s, 'no_email', input);
  if (!identity.emailVerified) throw await refuseOidcSignIn(s, 'unverified_email', input, { email });
  const domain = signInDomain(email, identity.hostedDomain);
  if (!domainAllowed(domain, s.config.oidc?.allowedDomains ?? [])) {
    throw await refuseOidcSignIn(s, 'domain_not_allowed', input, { email, domain });
  }
  const accounts = await accountsWithEmail(s, email);
  if (accounts.length === 0) throw await refuseOidcSignIn(s, 'no_account', input, { email });
  const inTeam = await inTeamOnly(s, accounts);
  if (inTeam.length === 0) {
    throw await refuseOidcSignIn(s, 'not_in_team', input, { email, accounts: accounts.map(describe) });
  }
  const stateHash = sha256(input.state);
  if (inTeam.length > 1) {
    await s.db.update(consoleOidcRequests).set({ email, choices: inTeam }).where(eq(consoleOidcRequests.stateHash, stateHash));
    return { kind: 'choose', choices: inTeam };
  }
  const [user] = inTeam as [UserRef];
  const started = await s.db.transaction(async (tx) => {
    await tx.update(consoleOidcRequests).set({ email }).where(eq(consoleOidcRequests.stateHash, stateHash));
    return startSession(tx, s.clock, { user, method: 'oidc', requestId: input.requestId, clientAddress: input.clientAddress, details: { email } });
  });
  return { kind: 'signed_in', started };
}

/** The accounts a sign-in waits on a choice between, while it may still be chosen. */
export async function pendingOidcChoices(s: Pick<Services, 'db' | 'clock'>, state: string): Promise<UserRef[] | undefined> {
  const [row] = await s.db
    .select({ choices: consoleOidcRequests.choices })
    .from(consoleOidcRequests)
    .where(and(eq(consoleOidcRequests.stateHash, sha256(state)), ...pendingChoice(s.clock.now())));
  return row?.choices ?? undefined;
}

/**
 * The person's pick between the accounts their email matched: once, within the sign-in's 10 minutes, one of those
 * accounts only, and still in the team now. Anything else is refused as `bad_state` (or `not_in_team`).
 */
export async function chooseOidcAccount(
  s: Pick<Services, 'db' | 'clock' | 'config'>,
  input: { state: string; platform: Platform } & OidcRequestContext,
): Promise<StartedSession> {
  const now = s.clock.now();
  const result = await s.db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(consoleOidcRequests)
      .where(and(eq(consoleOidcRequests.stateHash, sha256(input.state)), ...pendingChoice(now)))
      .for('update');
    const user = row?.choices?.find((choice) => choice.platform === input.platform);
    if (!row || !user) return { started: undefined, refused: 'bad_state' as const, email: row?.email ?? undefined };
    await tx.update(consoleOidcRequests).set({ chosenAt: now }).where(eq(consoleOidcRequests.stateHash, row.stateHash));
    const email = row.email ?? undefined;
    if ((await standingNow(s, user, tx)).kind !== 'member') return { started: undefined, refused: 'not_in_team' as const, email };
    return { started: await startSession(tx, s.clock, { user, method: 'oidc', requestId: input.requestId, clientAddress: input.clientAddress, details: { email } }) };
  });
  if (result.started) return result.started;
  throw await refuseOidcSignIn(s, result.refused, input, result.email ? { email: result.email } : {});
}

function pendingChoice(now: Date) {
  return [isNotNull(consoleOidcRequests.usedAt), isNotNull(consoleOidcRequests.choices), isNull(consoleOidcRequests.chosenAt), gt(consoleOidcRequests.expiresAt, now)];
}

/** Every configured platform's account with this address (the sandbox's people have none). */
async function accountsWithEmail(s: Pick<Services, 'notifiers'>, email: string): Promise<UserRef[]> {
  const found = await Promise.all(
    s.notifiers.all().map(async (notifier) => {
      const user = await notifier.findUserByEmail(email);
      return user ? [{ platform: notifier.platform, id: user.id, name: user.name }] : [];
    }),
  );
  return found.flat();
}

async function inTeamOnly(s: Pick<Services, 'db' | 'config'>, accounts: UserRef[]): Promise<UserRef[]> {
  const standings = await Promise.all(accounts.map((account) => standingNow(s, account)));
  return accounts.filter((_account, index) => standings[index]!.kind === 'member');
}

function describe(user: UserRef): string {
  return `${user.platform}:${user.id}`;
}
