import { and, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit.js';
import { consoleActor } from '../../src/domain/actor.js';
import { SoftAuthenticator, type SoftPasskey } from '../support/passkey-authenticator.js';
import { ConsoleClient, csrfIn, startConsoleHarness, type ConsoleHarness } from '../support/console.js';
import { USERS } from '../support/services.js';

/**
 * Passkeys through the console's HTTP routes, with a software authenticator standing in for the browser's: adding one
 * on Settings → Security, signing in with it, removing it; the refusal limit per client address; the admins' second
 * factor held route by route; the sessions page. No log line and no row holds a session id or a challenge.
 */
let h: ConsoleHarness;
const device = new SoftAuthenticator('console.test', 'http://console.test');
const alice = consoleActor(USERS.alice);
const admin = consoleActor(USERS.admin);

beforeAll(async () => {
  h = await startConsoleHarness({ settings: { CONSOLE_ADMIN_MFA: 'passkey' }, keepLogs: true });
});
afterAll(async () => {
  await h?.close();
});

interface Options {
  challenge: string;
  user?: { id: string };
  allowCredentials?: { id: string }[];
}

/** Asks for a ceremony's options as the passkey script does: a POST with the page's CSRF token. */
async function optionsFrom(client: ConsoleClient, path: string, form: Record<string, string>): Promise<{ status: number; body: Options & { message?: string } }> {
  const response = await client.post(path, form, { accept: 'application/json' });
  return { status: response.status, body: JSON.parse(response.body) as Options & { message?: string } };
}

async function addPasskey(client: ConsoleClient, name: string): Promise<SoftPasskey> {
  const csrf = await client.csrf('/settings/security');
  const { status, body } = await optionsFrom(client, '/settings/security/passkeys/options', { _csrf: csrf, name });
  expect(status, body.message).toBe(200);
  const made = device.register({ challenge: body.challenge, userHandle: body.user!.id });
  const added = await client.post('/settings/security/passkeys', { _csrf: csrf, name, response: made.json });
  expect(added.status, added.body).toBe(303);
  expect(added.headers.get('location')).toBe(`/settings/security?added=${encodeURIComponent(name)}`);
  return made.passkey;
}

/** Signs in with a passkey from the sign-in page, in a fresh client; returns the client and the final answer. */
async function passkeySignIn(passkey: SoftPasskey, tamper: { counter?: number } = {}) {
  const client = new ConsoleClient(h.base);
  const page = await client.get('/sign-in');
  const csrf = csrfIn(page.body);
  const { body } = await optionsFrom(client, '/passkeys/sign-in/options', { _csrf: csrf });
  const answer = await client.post('/passkeys/sign-in', { _csrf: csrf, response: device.assert(passkey, { challenge: body.challenge, ...tamper }) });
  return { client, answer };
}

async function entries(eventType: string) {
  return h.t.s.db.select().from(auditLog).where(eq(auditLog.eventType, eventType)).orderBy(desc(auditLog.id));
}

describe('a member’s passkey, from adding it to signing in with it and removing it', () => {
  it('adds a named passkey on Settings → Security, signs in with it, lists the session, removes it, and is refused after', async () => {
    const client = await h.signIn(alice);
    const security = await client.get('/settings/security');
    expect(security.status).toBe(200);
    expect(security.body).toContain('No passkeys yet.');
    expect(security.body).toContain('data-passkey="register"');
    expect(security.body).toMatch(/<script src="\/assets\/simplewebauthn-browser\.js" defer><\/script>\s*<script src="\/assets\/console-passkeys\.js" defer>/);
    const passkey = await addPasskey(client, 'Work laptop');
    const listed = await client.get('/settings/security?added=Work%20laptop');
    expect(listed.body).toContain('The passkey “Work laptop” was added');
    expect(listed.body).toMatch(/<strong>Work laptop<\/strong><\/td>\s*<td>[0-9-]+ [0-9:]+ UTC<\/td>\s*<td><span class="muted">never<\/span>/);

    const { client: signedIn, answer } = await passkeySignIn(passkey);
    expect(answer.status, answer.body).toBe(303);
    expect(answer.headers.get('location')).toBe('/');
    expect((await signedIn.get('/labs')).status).toBe(200);
    const sessions = await signedIn.get('/settings/sessions');
    expect(sessions.body).toContain('<td>Passkey</td>');
    expect(sessions.body).toContain('<td>Link from chat</td>');
    expect(sessions.body).toContain('this session');
    const [login] = await entries('auth.login');
    expect(login).toMatchObject({ outcome: 'ok', actorId: USERS.alice.id });
    expect(login!.details).toEqual({ method: 'passkey', door: 'console' });
    expect((await signedIn.get('/settings/security')).body).not.toContain('never</span>');

    // Removing it: a confirmation, then the passkey is gone and signs in no more.
    const ref = /\/settings\/security\/passkeys\/([0-9a-f]{12})\/remove/.exec(listed.body)![1]!;
    const confirm = await signedIn.get(`/settings/security/passkeys/${ref}/remove`);
    expect(confirm.body).toContain('Remove the passkey Work laptop?');
    const removed = await signedIn.post(`/settings/security/passkeys/${ref}/remove`, { _csrf: csrfIn(confirm.body) });
    expect(removed.headers.get('location')).toBe('/settings/security?removed=Work%20laptop');
    expect((await entries('auth.passkey_removed'))[0]).toMatchObject({ outcome: 'ok', resourceId: ref });
    const refused = await passkeySignIn(passkey);
    expect(refused.answer.status).toBe(403);
    expect(refused.answer.body).toContain('not registered with the console');
    expect(refused.client.cookies.has('aitz_console')).toBe(false);
    expect((await entries('auth.login'))[0]!.details).toMatchObject({ reason: 'unknown_passkey', method: 'passkey' });
  });

  it('refuses a counter that went backwards over HTTP, and ends another session from the sessions page', async () => {
    const client = await h.signIn(consoleActor(USERS.bob));
    const passkey = await addPasskey(client, 'Bob key');
    const first = await passkeySignIn(passkey, { counter: 7 });
    expect(first.answer.status).toBe(303);
    const copied = await passkeySignIn(passkey, { counter: 3 });
    expect(copied.answer.status).toBe(403);
    expect(copied.answer.body).toContain('signature counter went backwards');
    expect((await entries('auth.login'))[0]!.details).toMatchObject({ reason: 'counter_went_backwards', claimedUserId: USERS.bob.id });

    const page = await client.get('/settings/sessions');
    const other = [...page.body.matchAll(/action="\/settings\/sessions\/([0-9a-f]{12})\/end"><input type="hidden" name="_csrf" value="[^"]+"><button type="submit" class="danger"/g)].map((match) => match[1]!);
    expect(other).toHaveLength(1);
    const ended = await client.post(`/settings/sessions/${other[0]}/end`, { _csrf: csrfIn(page.body) });
    expect(ended.headers.get('location')).toBe(`/settings/sessions?ended=${other[0]}`);
    expect((await first.client.get('/labs')).status).toBe(303);
    expect((await client.get('/labs')).status).toBe(200);
    expect((await client.post('/settings/sessions/0123456789ab/end', { _csrf: csrfIn(page.body) })).status).toBe(404);
  });
});

describe('refused passkey attempts per client address', () => {
  let limited: ConsoleHarness;
  beforeAll(async () => {
    limited = await startConsoleHarness({ signInLimit: { max: 3, windowMs: 600_000 } });
  });
  afterAll(async () => {
    await limited?.close();
  });

  it('audits each refusal up to the limit, then refuses the address before looking, with nothing more audited', async () => {
    const signedIn = await limited.signIn(alice);
    const csrf0 = await signedIn.csrf('/settings/security');
    const asked = await optionsFrom(signedIn, '/settings/security/passkeys/options', { _csrf: csrf0, name: 'Limit key' });
    const made = device.register({ challenge: asked.body.challenge, userHandle: asked.body.user!.id });
    expect((await signedIn.post('/settings/security/passkeys', { _csrf: csrf0, name: 'Limit key', response: made.json })).status).toBe(303);

    const client = new ConsoleClient(limited.base);
    const csrf = csrfIn((await client.get('/sign-in')).body);
    const denied = () => limited.t.s.db.select().from(auditLog).where(and(eq(auditLog.eventType, 'auth.login'), eq(auditLog.outcome, 'denied')));
    const { body } = await optionsFrom(client, '/passkeys/sign-in/options', { _csrf: csrf });
    const good = device.assert(made.passkey, { challenge: body.challenge });
    expect((await client.post('/passkeys/sign-in', { _csrf: csrf, response: good })).status).toBe(303);
    // Garbage, a made-up challenge, the good answer again: each refused and audited, counting against the address.
    for (const response of ['not json', device.assert(made.passkey, { challenge: 'B'.repeat(43) }), good]) {
      expect((await client.post('/passkeys/sign-in', { _csrf: csrf, response })).status).toBe(403);
    }
    expect((await denied()).map((row) => row.details.reason)).toEqual(['bad_response', 'unknown_challenge', 'replayed_challenge']);

    const refused = await client.post('/passkeys/sign-in', { _csrf: csrf, response: 'not json' });
    expect(refused.status).toBe(429);
    expect(refused.body).toContain('Too many refused sign-in attempts');
    const options = await optionsFrom(client, '/passkeys/sign-in/options', { _csrf: csrf });
    expect(options.status).toBe(429);
    expect(options.body.message).toContain('Too many refused sign-in attempts');
    // A sign-in link from the same address is held back too: one count for every method.
    const token = await limited.linkToken(alice);
    expect((await client.get(`/sign-in/${token}`)).status).toBe(429);
    expect(await denied()).toHaveLength(3);
  });
});

describe('asking for passkey prompts', () => {
  let fresh: ConsoleHarness;
  beforeAll(async () => {
    fresh = await startConsoleHarness();
  });
  afterAll(async () => {
    await fresh?.close();
  });

  it('is limited to 30 a minute per address, so prompts nobody answers cannot fill the challenge table', async () => {
    const client = new ConsoleClient(fresh.base);
    const csrf = csrfIn((await client.get('/sign-in')).body);
    for (let asked = 0; asked < 30; asked++) expect((await optionsFrom(client, '/passkeys/sign-in/options', { _csrf: csrf })).status).toBe(200);
    const refused = await client.post('/passkeys/sign-in/options', { _csrf: csrf }, { accept: 'application/json' });
    expect(refused.status).toBe(429);
    const { rows } = await fresh.t.database.pool.query<{ count: string }>('select count(*) from passkey_challenges');
    expect(Number(rows[0]!.count)).toBe(30);
  });

  it('answers a refusal the passkey script can show: passkeys off when PUBLIC_URL is an IP address', async () => {
    const saved = fresh.t.s.config;
    fresh.t.s.config = { ...saved, PUBLIC_URL: 'http://10.1.2.3:3000' };
    try {
      const client = await fresh.signIn(alice);
      const security = await client.get('/settings/security');
      expect(security.body).toContain('Passkeys are off');
      expect(security.body).not.toContain('data-passkey="register"');
      expect((await client.get('/sign-in')).body).not.toContain('data-passkey="sign-in"');
      const asked = await optionsFrom(client, '/settings/security/passkeys/options', { _csrf: csrfIn(security.body), name: 'Laptop' });
      expect(asked.status).toBe(403);
      expect(asked.body.message).toMatch(/^Passkeys are off: PUBLIC_URL cannot carry them: its host 10\.1\.2\.3 is an IP address/);
    } finally {
      fresh.t.s.config = saved;
    }
  });
});

/** A value each path parameter of the console accepts, so requests get past validation to the session checks. */
const SAMPLE_PARAMS: Record<string, string> = {
  envId: 'env-abc123',
  prefix: 'aitz_AbCd1234',
  keyId: 'key-abc123',
  ref: '0123456789ab',
  id: '1',
  token: 'A'.repeat(43),
};
/** What the console's pages may be asked with (a confirmation names whom it is about); each reads what it needs. */
const SAMPLE_QUERY = { id: 'UBOB', name: 'bob' };
/** Fields every console form may post; each route reads the ones it needs. */
const SAMPLE_FORM = { by: '1h', id: 'UBOB', name: 'bob', role: 'member', response: '' };

/** The routes anyone may reach without a session, and the routes open before an admin's second factor. */
const PUBLIC = ['GET /', 'GET /login', 'GET /sign-in', 'GET /sign-in/:token', 'POST /sign-in/:token', 'POST /passkeys/sign-in/options', 'POST /passkeys/sign-in', 'GET /account'];
const OPEN_TO_ADD_PASSKEY = ['GET /settings/security', 'POST /settings/security/passkeys/options', 'POST /settings/security/passkeys'];
const OPEN_TO_USE_PASSKEY = ['GET /passkeys/second-factor', 'POST /passkeys/second-factor/options', 'POST /passkeys/second-factor', 'POST /sign-out', 'POST /sign-out/everywhere'];

describe('the admins’ second factor (CONSOLE_ADMIN_MFA=passkey), route by route', () => {
  const consoleRoutes = () =>
    h.routes
      .filter((route) => route.method !== 'HEAD' && !route.url.startsWith('/assets/') && route.url !== '/favicon.ico')
      .map((route) => `${route.method} ${route.url}`)
      .filter((route) => !PUBLIC.includes(route));

  const pathOf = (url: string) => url.replace(/:([A-Za-z]+)/g, (_match, name: string) => SAMPLE_PARAMS[name] ?? 'x');

  /** Requests every route the admin may not reach yet; returns what each answered. */
  async function sweep(client: ConsoleClient, open: readonly string[]): Promise<Record<string, string>> {
    const answers: Record<string, string> = {};
    const csrfPage = await client.get(open.includes('GET /settings/security') ? '/settings/security' : '/passkeys/second-factor');
    const csrf = csrfIn(csrfPage.body);
    for (const route of consoleRoutes().filter((candidate) => !open.includes(candidate))) {
      const [method, url] = route.split(' ') as [string, string];
      const response = method === 'GET' ? await client.get(`${pathOf(url)}?${new URLSearchParams(SAMPLE_QUERY).toString()}`) : await client.post(pathOf(url), { _csrf: csrf, ...SAMPLE_FORM });
      answers[route] = method === 'GET' ? `${response.status} ${response.headers.get('location') ?? ''}` : `${response.status} ${/<h1>([^<]*)<\/h1>/.exec(response.body)?.[1] ?? ''}`;
    }
    return answers;
  }

  it('holds an admin without a passkey at adding one, then at using it, on every other route, and opens them after', async () => {
    expect(consoleRoutes().length).toBeGreaterThan(25);
    for (const route of [...OPEN_TO_ADD_PASSKEY, ...OPEN_TO_USE_PASSKEY]) expect(consoleRoutes()).toContain(route);
    const client = await h.signIn(admin);
    const auditBefore = (await h.t.s.db.select().from(auditLog)).length;

    const beforeAdding = await sweep(client, [...OPEN_TO_ADD_PASSKEY, ...OPEN_TO_USE_PASSKEY]);
    for (const [route, answer] of Object.entries(beforeAdding)) {
      expect(answer, route).toBe(route.startsWith('GET ') ? '303 /settings/security' : '403 Passkey needed');
    }
    expect((await client.get('/passkeys/second-factor')).headers.get('location')).toBe('/settings/security');
    const security = await client.get('/settings/security');
    expect(security.body).toContain('Admins confirm each sign-in with a passkey here. Add one to continue');
    // Nothing the sweep asked for ran: no entry but none.
    expect((await h.t.s.db.select().from(auditLog)).length).toBe(auditBefore);

    const passkey = await addPasskey(client, 'Admin key');
    const afterAdding = await sweep(client, OPEN_TO_USE_PASSKEY);
    for (const [route, answer] of Object.entries(afterAdding)) {
      expect(answer, route).toBe(route.startsWith('GET ') ? '303 /passkeys/second-factor' : '403 Passkey needed');
    }
    // Adding another passkey now would skip the step: refused too.
    expect(afterAdding['POST /settings/security/passkeys']).toBe('403 Passkey needed');

    const step = await client.get('/passkeys/second-factor');
    expect(step.body).toContain('data-passkey="second-factor"');
    const options = await optionsFrom(client, '/passkeys/second-factor/options', { _csrf: csrfIn(step.body) });
    expect(options.body.allowCredentials?.map((credential) => credential.id)).toEqual([passkey.id]);
    const done = await client.post('/passkeys/second-factor', { _csrf: csrfIn(step.body), response: device.assert(passkey, { challenge: options.body.challenge }) });
    expect(done.headers.get('location')).toBe('/');
    expect((await entries('auth.mfa_completed'))[0]).toMatchObject({ outcome: 'ok', actorId: USERS.admin.id });
    for (const path of ['/settings/audit', '/settings/cloud-keys', '/labs', '/settings/sessions']) expect((await client.get(path)).status, path).toBe(200);
    expect((await client.get('/passkeys/second-factor')).headers.get('location')).toBe('/');

    // A passkey sign-in is itself the second factor; a new link sign-in asks for it again.
    expect((await (await passkeySignIn(passkey)).client.get('/settings/audit')).status).toBe(200);
    const again = await h.signIn(admin);
    expect((await again.get('/settings/audit')).headers.get('location')).toBe('/passkeys/second-factor');
  });

  it('leaves members alone', async () => {
    const member = await h.signIn(consoleActor(USERS.approver));
    for (const path of ['/labs', '/settings/team', '/settings/api-keys', '/settings/sessions']) expect((await member.get(path)).status, path).toBe(200);
  });

  it('keeps session ids and challenges out of every log line and row', async () => {
    const client = await h.signIn(alice);
    const sessionId = client.cookies.get('aitz_console')!;
    const csrf = await client.csrf('/settings/security');
    const { body } = await optionsFrom(client, '/settings/security/passkeys/options', { _csrf: csrf, name: 'Scan key' });
    const made = device.register({ challenge: body.challenge, userHandle: body.user!.id });
    await client.post('/settings/security/passkeys', { _csrf: csrf, name: 'Scan key', response: made.json });
    const signedIn = await passkeySignIn(made.passkey);
    const secrets = [sessionId, signedIn.client.cookies.get('aitz_console')!, body.challenge];
    const logs = h.logLines.join('\n');
    const tables = await h.t.database.pool.query<{ dump: string }>(
      `select string_agg(t::text, E'\\n') as dump from (select row_to_json(x)::text as t from audit_log x union all select row_to_json(x)::text from console_sessions x union all select row_to_json(x)::text from passkeys x union all select row_to_json(x)::text from passkey_challenges x) rows`,
    );
    expect(h.logLines.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(logs).not.toContain(secret);
      expect(tables.rows[0]!.dump).not.toContain(secret);
    }
  });
});
