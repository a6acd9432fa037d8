import { createHash } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import { allowInsecureRequests } from 'openid-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit.js';
import { consoleOidcRequests, consoleSessions } from '../../src/db/schema/console.js';
import { members } from '../../src/db/schema/members.js';
import { ConsoleClient, startConsoleHarness, type ConsoleHarness } from '../support/console.js';
import { oidcSignIn, OIDC_CLIENT, OIDC_SETTINGS, type OidcRoundTrip } from '../support/oidc-flow.js';
import { TestIssuer } from '../support/oidc-issuer.js';
import { RecordingNotifier } from '../support/recording-notifier.js';

/**
 * Signing in to the console with OpenID Connect, over HTTP, against a real issuer (oidc-provider on a free port):
 * the button, the issuer's sign-in, the callback, and every refusal, each audited as `auth.login` denied with its
 * reason and counted against the client address's limit.
 */
let issuer: TestIssuer;
let harness: ConsoleHarness;
let mattermost: RecordingNotifier;

const PUBLIC_URL = 'http://console.test';

beforeAll(async () => {
  issuer = await TestIssuer.listen();
  await issuer.serve([{ ...OIDC_CLIENT, redirectUri: `${PUBLIC_URL}/sign-in/oidc/callback` }]);
  issuer.addAccount({ email: 'alice@example.test', emailVerified: true, name: 'Alice' });
  issuer.addAccount({ email: 'dora@example.test', emailVerified: true });
  issuer.addAccount({ email: 'nobody@example.test', emailVerified: true });
  issuer.addAccount({ email: 'unverified@example.test', emailVerified: false });
  issuer.addAccount({ email: 'eve@elsewhere.test', emailVerified: true });
  issuer.addAccount({ email: 'carl@example.test', emailVerified: true, hd: 'subsidiary.test' });
  issuer.addAccount({ email: 'bob@example.test', emailVerified: true });
  issuer.addAccount({ email: 'gina@example.test', emailVerified: true });
  harness = await startConsoleHarness({
    settings: { PUBLIC_URL, ...OIDC_SETTINGS(issuer.url), OIDC_ALLOWED_DOMAINS: 'example.test' },
    oidcDiscovery: { execute: [allowInsecureRequests] },
    signInLimit: { max: 1000, windowMs: 600_000 },
    keepLogs: true,
  });
  const slack = harness.t.notifier;
  slack.emails.set('alice@example.test', { id: 'UALICE', name: 'alice', realName: 'Alice' });
  slack.emails.set('carl@example.test', { id: 'UCARL', name: 'carl', realName: '' });
  slack.emails.set('bob@example.test', { id: 'UBOB', name: 'bob', realName: '' });
  slack.emails.set('dora@example.test', { id: 'UDORA', name: 'dora', realName: '' });
  slack.emails.set('gina@example.test', { id: 'UGINA', name: 'gina', realName: '' });
  // Dora has an account on Mattermost too; Bob's there is not in the team.
  mattermost = new RecordingNotifier('mattermost');
  mattermost.emails.set('dora@example.test', { id: 'mmdora', name: 'dora.m', realName: '' });
  mattermost.emails.set('bob@example.test', { id: 'mmbob', name: 'bob.m', realName: '' });
  harness.t.s.notifiers.register(mattermost);
  const now = new Date();
  // Removed from the team: Bob on Mattermost, Gina (on Slack, her only account).
  const removed = { role: 'member' as const, updatedAt: now, updatedBy: 'test', addedAt: now, addedBy: 'test', removedAt: now, removedBy: 'test' };
  await harness.t.s.db.insert(members).values([
    { platform: 'mattermost', userId: 'mmbob', ...removed },
    { platform: 'slack', userId: 'UGINA', ...removed },
  ]);
});
afterAll(async () => {
  await harness?.close();
  await issuer?.close();
});
beforeEach(() => {
  issuer.tamperIdToken = undefined;
});

function roundTrip(email: string): Promise<OidcRoundTrip> {
  return oidcSignIn(harness.base, issuer, PUBLIC_URL, email);
}

function newestLogin() {
  return newestOf(harness);
}

/** The callback answered with a refusal page, and the audit log's newest entry is that refusal. */
async function expectRefused(client: ConsoleClient, callback: string, reason: string, text: RegExp) {
  const answer = await client.get(callback);
  expect(answer.status, answer.body.slice(0, 400)).toBe(403);
  expect(answer.body).toMatch(text);
  expect(answer.body).not.toContain('code=');
  expect(answer.headers.getSetCookie().filter((line) => line.startsWith('aitz_console='))).toEqual([]);
  const entry = await newestLogin();
  expect(entry.outcome).toBe('denied');
  expect(entry.actorId).toBe('unverified');
  expect(entry.details).toMatchObject({ method: 'oidc', reason, door: 'console', clientAddress: '127.0.0.1' });
  return entry;
}

describe('the sign-in page', () => {
  it('offers the issuer’s button, named after its host when OIDC_NAME is unset', async () => {
    const client = new ConsoleClient(harness.base);
    const page = await client.get('/sign-in');
    expect(page.body).toContain(`<a class="button primary" href="/sign-in/oidc">Sign in with ${new URL(issuer.url).host}</a>`);
    expect(page.body).toContain('Sign in with your');
  });
});

describe('a good sign-in', () => {
  it('signs in the chat account with the verified email: a session with method oidc, and auth.login with the email', async () => {
    const { client, callback, start } = await roundTrip('alice@example.test');
    const location = new URL(start.headers.get('location')!);
    expect(location.origin).toBe(issuer.url);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      client_id: OIDC_CLIENT.clientId,
      redirect_uri: `${PUBLIC_URL}/sign-in/oidc/callback`,
      response_type: 'code',
      code_challenge_method: 'S256',
    });
    expect(location.searchParams.get('scope')).toContain('email');
    expect(location.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const state = location.searchParams.get('state')!;
    // The state is in the browser's httpOnly cookie; the server keeps only its hash.
    expect(start.headers.getSetCookie().find((line) => line.startsWith('aitz_oidc='))).toMatch(/HttpOnly.*SameSite=Lax|SameSite=Lax.*HttpOnly/i);
    // It keeps neither the nonce nor the PKCE verifier: they are derived from the state and the row's salt.
    const nonce = location.searchParams.get('nonce')!;
    const challenge = location.searchParams.get('code_challenge')!;
    const rows = await harness.t.s.db.select().from(consoleOidcRequests);
    const row = rows.find((candidate) => candidate.stateHash === createHash('sha256').update(state).digest('hex'));
    expect(Object.keys(row!).sort()).toEqual(['choices', 'chosenAt', 'createdAt', 'email', 'expiresAt', 'salt', 'stateHash', 'usedAt']);
    for (const value of [state, nonce, challenge]) expect(JSON.stringify(rows)).not.toContain(value);

    const signedIn = await client.get(callback);
    expect(signedIn.status, signedIn.body.slice(0, 400)).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/');
    expect(client.cookies.has('aitz_console')).toBe(true);
    expect(client.cookies.has('aitz_oidc')).toBe(false);
    const labs = await client.get('/labs');
    expect(labs.status).toBe(200);
    expect(labs.body).toContain('alice');
    const login = await newestLogin();
    expect(login).toMatchObject({ outcome: 'ok', actorId: 'UALICE', platform: 'slack' });
    expect(login.details).toMatchObject({ method: 'oidc', email: 'alice@example.test', door: 'console' });
    const [session] = await harness.t.s.db.select().from(consoleSessions).where(eq(consoleSessions.userId, 'UALICE'));
    expect(session!.method).toBe('oidc');

    // The same answer from the issuer, again: the sign-in was used.
    await expectRefused(client, callback, 'bad_state', /did not start in this browser, was finished already/);

    // Neither the logs nor the audit log hold the client secret, the code, the state or the session id.
    const code = new URLSearchParams(callback.split('?')[1]).get('code')!;
    const secrets = { clientSecret: OIDC_CLIENT.clientSecret, code, state, sessionId: client.cookies.get('aitz_console')! };
    const entries = JSON.stringify(await harness.t.s.db.select().from(auditLog));
    const sessions = JSON.stringify(await harness.t.s.db.select().from(consoleSessions));
    expect(harness.logLines.length).toBeGreaterThan(0);
    for (const [name, secret] of Object.entries(secrets)) {
      expect(secret.length, name).toBeGreaterThan(10);
      expect(harness.logLines.filter((line) => line.includes(secret)), name).toEqual([]);
      expect(entries.includes(secret), name).toBe(false);
      expect(sessions.includes(secret), name).toBe(false);
    }
  });

  it('asks which account when the email is a member’s on both platforms, and signs in as the one picked', async () => {
    const { client, callback } = await roundTrip('dora@example.test');
    const answer = await client.get(callback);
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/sign-in/oidc/choose');
    expect(client.cookies.has('aitz_console')).toBe(false);
    const page = await client.get('/sign-in/oidc/choose');
    expect(page.status).toBe(200);
    expect(page.body).toContain('dora on Slack');
    expect(page.body).toContain('dora.m on Mattermost');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    // Only the accounts the email matched may be picked.
    const sandbox = await client.post('/sign-in/oidc/choose', { _csrf: csrf, platform: 'sandbox' });
    expect(sandbox.status, sandbox.body).toBe(403);
    expect((await newestLogin()).details).toMatchObject({ reason: 'bad_state', email: 'dora@example.test' });
  });

  it('signs in as the picked account, once', async () => {
    const { client, callback } = await roundTrip('dora@example.test');
    await client.get(callback);
    const csrf = /name="_csrf" value="([^"]+)"/.exec((await client.get('/sign-in/oidc/choose')).body)![1]!;
    const picked = await client.post('/sign-in/oidc/choose', { _csrf: csrf, platform: 'mattermost' });
    expect(picked.status).toBe(303);
    expect(await newestLogin()).toMatchObject({ outcome: 'ok', actorId: 'mmdora', platform: 'mattermost' });
    expect((await client.get('/labs')).body).toContain('dora.m');
    const again = await client.post('/sign-in/oidc/choose', { _csrf: await client.csrf('/labs'), platform: 'slack' });
    expect(again.status).toBe(403);
  });

  it('signs in as the account that is in the team when the other is not', async () => {
    const { client, callback } = await roundTrip('bob@example.test');
    expect((await client.get(callback)).status).toBe(303);
    expect(await newestLogin()).toMatchObject({ outcome: 'ok', actorId: 'UBOB', platform: 'slack' });
  });
});

describe('refused sign-ins, each audited with its reason', () => {
  it('refuses a callback that does not come back to the browser that started the sign-in (bad state)', async () => {
    const { callback } = await roundTrip('alice@example.test');
    const stranger = new ConsoleClient(harness.base);
    const entry = await expectRefused(stranger, callback, 'bad_state', /did not start in this browser/);
    expect(entry.details).toMatchObject({ problem: 'no sign-in under way in this browser' });
  });

  it('refuses a callback whose state is not the one this browser was given', async () => {
    const { client, callback } = await roundTrip('alice@example.test');
    const forged = callback.replace(/state=[^&]+/, 'state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    await expectRefused(client, forged, 'bad_state', /did not start in this browser/);
  });

  it('refuses an ID token made for another client (wrong audience)', async () => {
    issuer.tamperIdToken = (claims) => ({ ...claims, aud: 'another-app' });
    const { client, callback } = await roundTrip('alice@example.test');
    const entry = await expectRefused(client, callback, 'wrong_audience', /made for another application/);
    expect(String(entry.details.problem)).toContain('"aud"');
  });

  it('refuses an ID token that names another issuer, and an answer that says it is from another issuer', async () => {
    issuer.tamperIdToken = (claims) => ({ ...claims, iss: 'https://accounts.example.invalid' });
    const first = await roundTrip('alice@example.test');
    await expectRefused(first.client, first.callback, 'wrong_issuer', /did not come from the sign-in provider this console trusts/);
    issuer.tamperIdToken = undefined;
    const second = await roundTrip('alice@example.test');
    const mixedUp = second.callback.replace(/iss=[^&]+/, `iss=${encodeURIComponent('https://accounts.example.invalid')}`);
    expect(mixedUp).not.toBe(second.callback);
    await expectRefused(second.client, mixedUp, 'wrong_issuer', /did not come from the sign-in provider this console trusts/);
  });

  it('refuses an email that no chat account has', async () => {
    const { client, callback } = await roundTrip('nobody@example.test');
    const entry = await expectRefused(client, callback, 'no_account', /No chat account of this workspace has your email address/);
    expect(entry.details).toMatchObject({ email: 'nobody@example.test' });
  });

  it('refuses a domain outside OIDC_ALLOWED_DOMAINS, by the email’s domain or by the hd claim', async () => {
    const outside = await roundTrip('eve@elsewhere.test');
    const entry = await expectRefused(outside.client, outside.callback, 'domain_not_allowed', /Accounts of this domain may not sign in/);
    expect(entry.details).toMatchObject({ email: 'eve@elsewhere.test', domain: 'elsewhere.test' });
    const hosted = await roundTrip('carl@example.test');
    const byHd = await expectRefused(hosted.client, hosted.callback, 'domain_not_allowed', /Accounts of this domain may not sign in/);
    expect(byHd.details).toMatchObject({ domain: 'subsidiary.test' });
  });

  it('refuses an email whose only chat account is no longer in the team', async () => {
    const { client, callback } = await roundTrip('gina@example.test');
    const entry = await expectRefused(client, callback, 'not_in_team', /not in the team/);
    expect(entry.details).toMatchObject({ email: 'gina@example.test', accounts: ['slack:UGINA'] });
  });

  it('refuses an email the issuer has not verified', async () => {
    const { client, callback } = await roundTrip('unverified@example.test');
    await expectRefused(client, callback, 'unverified_email', /not verified with the sign-in provider/);
  });

  it('refuses a sign-in the person cancelled at the issuer', async () => {
    const { client, callback } = await roundTrip('alice@example.test');
    const state = /state=([^&]+)/.exec(callback)![1]!;
    const cancelled = `/sign-in/oidc/callback?error=access_denied&state=${state}&iss=${encodeURIComponent(issuer.url)}`;
    await expectRefused(client, cancelled, 'provider_refused', /did not sign you in/);
  });

  it('leaves no refused attempt unaudited: every denied entry names the method and a reason', async () => {
    const denied = await harness.t.s.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.eventType, 'auth.login'), eq(auditLog.outcome, 'denied')));
    expect(denied.length).toBeGreaterThanOrEqual(11);
    for (const entry of denied) expect(entry.details).toMatchObject({ method: 'oidc', reason: expect.any(String) });
  });
});

describe('the refusal limit', () => {
  let limited: ConsoleHarness;
  beforeAll(async () => {
    limited = await startConsoleHarness({
      settings: { PUBLIC_URL, ...OIDC_SETTINGS(issuer.url) },
      oidcDiscovery: { execute: [allowInsecureRequests] },
      signInLimit: { max: 3, windowMs: 600_000 },
    });
  });
  afterAll(async () => {
    await limited?.close();
  });

  it('counts OIDC refusals per client address and, past the limit, refuses before looking or auditing', async () => {
    const client = new ConsoleClient(limited.base);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await client.get('/sign-in/oidc/callback?state=forged&code=forged')).status).toBe(403);
    }
    const countDenied = async () =>
      (await limited.t.s.db.select().from(auditLog).where(and(eq(auditLog.eventType, 'auth.login'), eq(auditLog.outcome, 'denied')))).length;
    expect(await countDenied()).toBe(3);
    const blocked = await client.get('/sign-in/oidc/callback?state=forged&code=forged');
    expect(blocked.status).toBe(429);
    expect(blocked.body).toContain('Too many attempts');
    const start = await client.get('/sign-in/oidc');
    expect(start.status).toBe(429);
    expect(await countDenied()).toBe(3);
  });
});

describe('an admin who signs in with OIDC under CONSOLE_ADMIN_MFA=passkey', () => {
  let guarded: ConsoleHarness;
  beforeAll(async () => {
    guarded = await startConsoleHarness({
      settings: { PUBLIC_URL, ...OIDC_SETTINGS(issuer.url), CONSOLE_ADMIN_MFA: 'passkey' },
      oidcDiscovery: { execute: [allowInsecureRequests] },
    });
    issuer.addAccount({ email: 'adam@example.test', emailVerified: true });
    guarded.t.notifier.emails.set('adam@example.test', { id: 'UADMIN', name: 'adam', realName: '' });
    guarded.t.notifier.emails.set('alice@example.test', { id: 'UALICE', name: 'alice', realName: '' });
  });
  afterAll(async () => {
    await guarded?.close();
  });

  it('is held at the passkey step before any admin page, as after a chat link; a member is not', async () => {
    const admin = await oidcSignIn(guarded.base, issuer, PUBLIC_URL, 'adam@example.test');
    expect((await admin.client.get(admin.callback)).status).toBe(303);
    expect(await newestOf(guarded)).toMatchObject({ outcome: 'ok', actorId: 'UADMIN' });
    const audit = await admin.client.get('/settings/audit');
    expect(audit.status).toBe(303);
    // No passkey yet: the admin is led to add one first.
    expect(audit.headers.get('location')).toBe('/settings/security');
    const member = await oidcSignIn(guarded.base, issuer, PUBLIC_URL, 'alice@example.test');
    expect((await member.client.get(member.callback)).status).toBe(303);
    expect((await member.client.get('/labs')).status).toBe(200);
  });
});

async function newestOf(of: ConsoleHarness) {
  const [row] = await of.t.s.db.select().from(auditLog).where(eq(auditLog.eventType, 'auth.login')).orderBy(desc(auditLog.id)).limit(1);
  return row!;
}
