import { randomBytes } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { and, desc, eq, gte, lte } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { appendAuditBatch } from '../../src/audit/append-batch.js';
import { AUDIT_EVENTS } from '../../src/audit/events.js';
import { CSV_COLUMNS } from '../../src/audit/query.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { consoleSessions } from '../../src/db/schema/console.js';
import { chatActor } from '../../src/domain/actor.js';
import { getEnvironment } from '../../workflows/environment-queries.js';
import { removeMember } from '../../workflows/team.js';
import { requestEnvironment } from '../../workflows/request.js';
import { csrfIn, startConsoleHarness, ConsoleClient, type ConsoleHarness } from '../support/console.js';
import { waitForState } from '../support/labs.js';
import { eventually, USERS } from '../support/services.js';

/**
 * The console over HTTP: the headers every answer carries, the session cookie, CSRF on every state change, the
 * sign-in rate limit, who may see what, the Audit page against a direct query, Export CSV, and the Labs page's
 * actions through the workflows.
 */
let h: ConsoleHarness;
const admin = chatActor(USERS.admin);
const alice = chatActor(USERS.alice);
const bob = chatActor(USERS.bob);

beforeAll(async () => {
  h = await startConsoleHarness({ settings: { CREDENTIALS_KEY: randomBytes(32).toString('base64') } });
  await h.t.startWorkers();
});
afterAll(async () => {
  await h?.close();
});

/** No inline script, no inline style, no event-handler attributes: what a strict CSP would refuse. */
function expectNoInlineCode(page: string, where: string): void {
  expect(page, where).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/i);
  expect(page, where).not.toMatch(/\sstyle=/i);
  expect(page, where).not.toMatch(/\son[a-z]+=/i);
  expect(page, where).not.toMatch(/<style/i);
}

async function runningLab(owner = alice): Promise<string> {
  // quick-sandbox needs no approval: it deploys at once.
  const plan = await requestEnvironment(h.t.s, { actor: owner, channelId: '', presetId: 'quick-sandbox', ttlSeconds: 3600, requestId: `req-${owner.user.id}-${Date.now()}` });
  await waitForState(h.t.s, plan.id, 'running');
  return plan.id;
}

describe('answers and the session cookie', () => {
  it('sends every page with a strict policy and helmet’s headers, and pages without inline code', async () => {
    const client = await h.signIn(admin);
    for (const path of ['/sign-in', '/labs', '/settings/audit', '/settings/sessions', '/settings/security', '/settings/audit?type=auth']) {
      const response = await client.get(path);
      expect(response.status, path).toBe(200);
      const policy = response.headers.get('content-security-policy') ?? '';
      expect(policy, path).toContain("script-src 'self'");
      expect(policy, path).toContain("style-src 'self'");
      expect(policy, path).toContain("frame-ancestors 'none'");
      expect(policy, path).not.toContain('unsafe');
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('x-frame-options'), path).toBe('SAMEORIGIN');
      expect(response.headers.get('referrer-policy'), path).toBeTruthy();
      expect(response.headers.get('cache-control'), path).toBe('no-store');
      expectNoInlineCode(response.body, path);
    }
    const stylesheet = await client.get('/assets/console.css');
    expect(stylesheet.headers.get('content-type')).toMatch(/^text\/css/);
    expect(stylesheet.body).toContain('prefers-color-scheme: dark');
  });

  it('sets an httpOnly, SameSite=Lax session cookie with a new id at each sign-in, never one the browser brought', async () => {
    const client = new ConsoleClient(h.base);
    client.cookies.set('aitz_console', 'chosen-by-an-attacker-0123456789');
    const token = await h.linkToken(alice);
    // Opening the link (as a chat client's preview does) does not use it.
    const preview = await client.get(`/sign-in/${token}`);
    expect(preview.body).toContain('Continue');
    const again = await client.get(`/sign-in/${token}`);
    const response = await client.post(`/sign-in/${token}`, { _csrf: csrfIn(again.body) });
    expect(response.status).toBe(303);
    const cookie = client.setCookies.find((line) => line.startsWith('aitz_console=') && !line.includes('Expires=Thu, 01 Jan 1970'))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/i);
    const first = client.cookies.get('aitz_console')!;
    expect(first).not.toBe('chosen-by-an-attacker-0123456789');
    expect((await client.get('/labs')).status).toBe(200);

    const second = await h.signIn(alice);
    expect(second.cookies.get('aitz_console')).not.toBe(first);
  });

  it('over https: Secure, __Host- cookies and HSTS', async () => {
    const secure = await startConsoleHarness({ settings: { PUBLIC_URL: 'https://chatops.example.com' } });
    try {
      const client = await secure.signIn(alice);
      const session = client.setCookies.find((line) => line.startsWith('__Host-aitz_console='))!;
      const csrf = client.setCookies.find((line) => line.startsWith('__Host-aitz_csrf='))!;
      for (const cookie of [session, csrf]) {
        expect(cookie).toMatch(/; Secure/i);
        expect(cookie).toMatch(/HttpOnly/i);
        expect(cookie).toMatch(/SameSite=Lax/i);
        expect(cookie).toMatch(/Path=\//);
        expect(cookie).not.toMatch(/Domain=/i);
      }
      expect(client.cookies.has('aitz_console')).toBe(false);
      const labs = await client.get('/labs');
      expect(labs.status).toBe(200);
      expect(labs.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      expect((await h.signIn(alice)).setCookies.join('\n')).not.toMatch(/__Host-|Secure/i);
    } finally {
      await secure.close();
    }
  });

  it('sends visitors without a session to sign in, and refuses their forms with 401', async () => {
    const visitor = new ConsoleClient(h.base);
    for (const path of ['/', '/labs', '/settings/audit', '/settings/sessions', '/settings/security']) {
      const response = await visitor.get(path);
      expect(response.status, path).toBe(303);
      expect(response.headers.get('location'), path).toBe('/sign-in');
    }
    const login = await visitor.get('/login');
    expect(login.status).toBe(301);
    expect(login.headers.get('location')).toBe('/sign-in');
    const page = await visitor.get('/sign-in');
    expect(page.body).toContain('/env console');
    const csrf = csrfIn((await visitor.get(`/sign-in/${'x'.repeat(43)}`)).body);
    expect((await visitor.post('/sign-out', { _csrf: csrf })).status).toBe(401);
  });

  it('signs out, and signs out everywhere', async () => {
    const one = await h.signIn(bob);
    const two = await h.signIn(bob);
    const three = await h.signIn(bob);
    expect((await one.post('/sign-out', { _csrf: await one.csrf('/settings/sessions') })).headers.get('location')).toBe('/sign-in?signed-out');
    expect((await one.get('/labs')).status).toBe(303);
    expect((await two.get('/labs')).status).toBe(200);
    const account = await two.get('/settings/sessions');
    expect(account.body).toContain('2 open sessions');
    expect(account.body).toContain('(Slack)');
    await two.post('/sign-out/everywhere', { _csrf: csrfIn(account.body) });
    expect((await two.get('/labs')).status).toBe(303);
    expect((await three.get('/labs')).status).toBe(303);
    const rows = await h.t.s.db.select().from(consoleSessions).where(eq(consoleSessions.userId, USERS.bob.id));
    expect(rows).toEqual([]);
  });
});

describe('CSRF and the sign-in limit', () => {
  it('refuses a state change without the form’s CSRF token, and changes nothing', async () => {
    const envId = await runningLab();
    const before = (await getEnvironment(h.t.s, envId)).expiresAt;
    const client = await h.signIn(alice);
    const missing = await client.post(`/labs/${envId}/extend`, { by: '1h' });
    expect(missing.status).toBe(403);
    expect(missing.body).toContain('did not come from this console');
    const forged = await client.post(`/labs/${envId}/extend`, { by: '1h', _csrf: 'forged-token' });
    expect(forged.status).toBe(403);
    // A token from another browser's form is refused too: it is bound to this browser's secret.
    const other = await h.signIn(alice);
    const foreign = await client.post(`/labs/${envId}/extend`, { by: '1h', _csrf: await other.csrf('/labs') });
    expect(foreign.status).toBe(403);
    expect((await getEnvironment(h.t.s, envId)).expiresAt).toEqual(before);
    expect((await client.post('/sign-out', {})).status).toBe(403);
    expect((await client.get('/labs')).status).toBe(200);
  });

  it('limits sign-in attempts per client address, after auditing the refused ones', async () => {
    const limitedServer = await startConsoleHarness({ signInLimit: { max: 3, windowMs: 60_000 } });
    try {
      await expectLimited(limitedServer);
    } finally {
      await limitedServer.close();
    }
  });
});

async function expectLimited(h: ConsoleHarness): Promise<void> {
  {
    // Sign-ins that work count for nothing, however many.
    for (let attempt = 0; attempt < 4; attempt += 1) await h.signIn(bob);
    const client = new ConsoleClient(h.base);
    const csrf = csrfIn((await client.get(`/sign-in/${'y'.repeat(43)}`)).body);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) statuses.push((await client.post(`/sign-in/${'z'.repeat(42)}${attempt}`, { _csrf: csrf })).status);
    expect(statuses).toEqual([403, 403, 403, 429]);
    // Past the limit even a good link waits: the address is refused before any link is looked at.
    const good = await h.linkToken(alice);
    const limited = await client.get(`/sign-in/${good}`);
    expect(limited.status).toBe(429);
    expect(limited.body).toContain('Too many refused sign-in attempts');
    expect((await client.post(`/sign-in/${good}`, { _csrf: csrf })).status).toBe(429);

    const denied = await h.t.s.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.eventType, 'auth.login'), eq(auditLog.outcome, 'denied')));
    expect(denied.filter((row) => row.details.reason === 'unknown' && row.details.clientAddress === '127.0.0.1')).toHaveLength(3);
  }
}

describe('pages and roles', () => {
  it('gives members 403 on the Audit page and its export, and admins the page', async () => {
    const member = await h.signIn(alice);
    for (const path of ['/settings/audit', '/settings/audit/export.csv', '/settings/audit/entries/1']) {
      const response = await member.get(path);
      expect(response.status, path).toBe(403);
      expect(response.body, path).toContain('Only admins can read the audit log.');
    }
    expect((await member.get('/labs')).body).not.toContain('href="/settings/audit"');
    const adminClient = await h.signIn(admin);
    const page = await adminClient.get('/settings/audit');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Chain head');
    expect(page.body).toContain('href="/settings/audit"');
  });

  it('shows members their own labs and admins everyone’s; extends and destroys through the workflows, audited as console actions', async () => {
    const mine = await runningLab(alice);
    const bobs = await runningLab(bob);
    const member = await h.signIn(alice);
    const labs = await member.get('/labs');
    expect(labs.body).toContain(mine);
    expect(labs.body).not.toContain(bobs);
    expect((await h.signIn(admin).then((client) => client.get('/labs'))).body).toContain(bobs);

    const before = (await getEnvironment(h.t.s, mine)).expiresAt!;
    const extended = await member.post(`/labs/${mine}/extend`, { by: '2h', _csrf: csrfIn(labs.body) });
    expect(extended.status).toBe(303);
    expect(extended.headers.get('location')).toBe(`/labs?done=extended&env=${mine}`);
    expect((await getEnvironment(h.t.s, mine)).expiresAt!.getTime() - before.getTime()).toBe(2 * 3600_000);
    const [ttl] = await h.t.s.db.select().from(auditLog).where(and(eq(auditLog.resourceId, mine), eq(auditLog.eventType, 'ttl.extended')));
    expect(ttl).toMatchObject({ actorId: USERS.alice.id, platform: 'slack' });
    expect(ttl!.details).toMatchObject({ by_seconds: 7200, door: 'console' });

    // Someone else's lab: refused, told why, audited as denied.
    const refused = await member.post(`/labs/${bobs}/extend`, { by: '1h', _csrf: csrfIn(labs.body) });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('Only the owner');
    const [click] = await h.t.s.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.resourceId, bobs), eq(auditLog.eventType, 'action.clicked')))
      .orderBy(desc(auditLog.id));
    expect(click).toMatchObject({ outcome: 'denied', actorId: USERS.alice.id });
    expect(click!.details).toMatchObject({ action: 'extend', door: 'console', error: 'not_owner' });

    const confirm = await member.get(`/labs/${mine}/destroy`);
    expect(confirm.body).toContain('Destroy now');
    const destroyed = await member.post(`/labs/${mine}/destroy`, { _csrf: csrfIn(confirm.body) });
    expect(destroyed.headers.get('location')).toBe(`/labs?done=destroying&env=${mine}`);
    await waitForState(h.t.s, mine, 'destroyed');
    expect((await member.get(`/labs/${bobs}/destroy`)).status).toBe(403);
  });
});

describe('the Team page', () => {
  it('lets an admin pick someone from the platform’s user search and invite them, change a role, and remove someone', async () => {
    h.t.notifier.directory.push({ id: 'UDANA', name: 'dana', realName: 'Dana Scully' }, { id: 'UDAN', name: 'dan', realName: 'Dan Brown' }, { id: 'UERIN', name: 'erin', realName: '' });
    const adminClient = await h.signIn(admin);
    const found = await adminClient.get('/settings/team?q=dan');
    expect(found.status).toBe(200);
    expect(found.body).toContain('Invite dana');
    expect(found.body).toContain('Invite dan');
    expect(found.body).not.toContain('Invite erin');
    expectNoInlineCode(found.body, 'team');

    const invited = await adminClient.post('/settings/team/invite', { id: 'UDANA', name: 'dana', role: 'approver', _csrf: csrfIn(found.body) });
    expect(invited.status).toBe(303);
    expect(invited.headers.get('location')).toBe('/settings/team?done=invited&who=dana');
    const after = await adminClient.get('/settings/team');
    expect(after.body).toMatch(/Pending invitations[\s\S]*dana[\s\S]*approver/);
    expect(h.t.notifier.sentTo('UDANA').length).toBe(1);
    const [entry] = await h.t.s.db.select().from(auditLog).where(and(eq(auditLog.eventType, 'member.invited'), eq(auditLog.resourceId, 'slack:UDANA')));
    expect(entry).toMatchObject({ actorId: USERS.admin.id, outcome: 'ok' });
    expect(entry!.details).toMatchObject({ door: 'console' });

    // bob is in the team (open mode): an admin makes him approver, then removes him after a confirmation page.
    const role = await adminClient.post('/settings/team/role', { id: USERS.bob.id, name: 'bob', role: 'approver', _csrf: csrfIn(after.body) });
    expect(role.headers.get('location')).toBe('/settings/team?done=role&who=bob');
    const confirm = await adminClient.get(`/settings/team/remove?id=${USERS.bob.id}&name=bob`);
    expect(confirm.body).toContain('Remove bob?');
    const removed = await adminClient.post('/settings/team/remove', { id: USERS.bob.id, name: 'bob', _csrf: csrfIn(confirm.body) });
    expect(removed.headers.get('location')).toBe('/settings/team?done=removed&who=bob');
    const team = await adminClient.get('/settings/team?done=removed&who=bob');
    expect(team.body).toContain('bob was removed from the team.');
    expect(team.body).toMatch(/<h2>Removed<\/h2>[\s\S]*bob/);
    const events = await h.t.s.db.select().from(auditLog).where(eq(auditLog.resourceId, `slack:${USERS.bob.id}`));
    expect(events.map((row) => row.eventType)).toEqual(expect.arrayContaining(['member.role_changed', 'member.removed']));
  });

  it('shows members the team without the admin’s controls, and refuses their changes as denied', async () => {
    const member = await h.signIn(alice);
    const page = await member.get('/settings/team?q=dan');
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('Invite someone');
    expect(page.body).not.toContain('action="/settings/team/role"');
    const refused = await member.post('/settings/team/invite', { id: 'UERIN', name: 'erin', role: 'admin', _csrf: csrfIn((await member.get('/labs')).body) });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('Only admins can invite people');
    const [click] = await h.t.s.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.eventType, 'action.clicked'), eq(auditLog.resourceId, 'slack:UERIN')));
    expect(click).toMatchObject({ outcome: 'denied', actorId: USERS.alice.id });
    expect(click!.details).toMatchObject({ action: 'team_invite', door: 'console', error: 'forbidden' });
  });
});

describe('the Cloud keys page', () => {
  const accessKeyId = 'AKIAEXAMPLE00000A1B2';
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKY';
  const rotatedSecret = 'ZZalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE99';

  it('adds a key through a form with a masked secret field, rotates and deletes it, never showing a secret', async () => {
    const adminClient = await h.signIn(admin);
    const page = await adminClient.get('/settings/cloud-keys');
    expect(page.status).toBe(200);
    expect(page.body).toContain('type="password"');
    expectNoInlineCode(page.body, 'cloud keys');

    const refused = await adminClient.post('/settings/cloud-keys', { name: 'lab-keys', provider: 'aws', accessKeyId, secretAccessKey: 'too-short-secret', region: 'eu-west-1', _csrf: csrfIn(page.body) });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('40 characters');
    expect(refused.body).toContain('value="lab-keys"');
    expect(refused.body).not.toContain('too-short-secret');
    expect(refused.body).not.toContain(accessKeyId);

    const added = await adminClient.post('/settings/cloud-keys', { name: 'lab-keys', provider: 'aws', accessKeyId, secretAccessKey: secret, region: 'eu-west-1', _csrf: csrfIn(page.body) });
    expect(added.status).toBe(303);
    const listed = await adminClient.get(added.headers.get('location')!);
    expect(listed.body).toContain('The key lab-keys was added.');
    expect(listed.body).toContain('…A1B2');
    expect(listed.body).not.toContain(accessKeyId);
    expect(listed.body).not.toContain(secret);
    const keyId = /\/settings\/cloud-keys\/(key-[a-z0-9]{6})\/rotate/.exec(listed.body)![1]!;

    const rotate = await adminClient.get(`/settings/cloud-keys/${keyId}/rotate`);
    const rotated = await adminClient.post(`/settings/cloud-keys/${keyId}/rotate`, { accessKeyId: 'AKIAEXAMPLE00000C3D4', secretAccessKey: rotatedSecret, _csrf: csrfIn(rotate.body) });
    expect(rotated.headers.get('location')).toBe('/settings/cloud-keys?done=rotated&key=lab-keys');
    expect((await adminClient.get('/settings/cloud-keys')).body).toContain('…C3D4');

    const confirm = await adminClient.get(`/settings/cloud-keys/${keyId}/delete`);
    expect(confirm.body).toContain('No lab uses it now.');
    const deleted = await adminClient.post(`/settings/cloud-keys/${keyId}/delete`, { _csrf: csrfIn(confirm.body) });
    expect(deleted.headers.get('location')).toBe('/settings/cloud-keys?done=deleted&key=lab-keys');

    const entries = await h.t.s.db.select().from(auditLog).where(eq(auditLog.category, 'credentials'));
    expect(entries.map((row) => `${row.eventType} ${row.outcome}`)).toEqual(['cloud_key.added invalid', 'cloud_key.added ok', 'cloud_key.rotated ok', 'cloud_key.deleted ok']);
    expect(entries.every((row) => row.details.door === 'console')).toBe(true);
    const everything = JSON.stringify(await h.t.s.db.select().from(auditLog));
    for (const hidden of [secret, rotatedSecret, accessKeyId]) expect(everything).not.toContain(hidden);
  });

  it('answers that the bot\'s key is wrong when its CREDENTIALS_KEY no longer opens the stored keys, and has the process stop', async () => {
    const adminClient = await h.signIn(admin);
    const first = await adminClient.get('/settings/cloud-keys');
    const seeded = await adminClient.post('/settings/cloud-keys', { name: 'before-rekey', provider: 'aws', accessKeyId, secretAccessKey: secret, region: 'eu-west-1', _csrf: csrfIn(first.body) });
    expect(seeded.status).toBe(303);
    const config = h.t.s.config;
    const mustStop: string[] = [];
    h.t.s.config = { ...config, CREDENTIALS_KEY: randomBytes(32).toString('base64') };
    h.t.s.processMustStop = (error) => mustStop.push(error.code);
    try {
      const page = await adminClient.get('/settings/cloud-keys');
      const refused = await adminClient.post('/settings/cloud-keys', { name: 'after-rekey', provider: 'aws', accessKeyId, secretAccessKey: secret, region: 'eu-west-1', _csrf: csrfIn(page.body) });
      expect(refused.body).toContain('CREDENTIALS_KEY is wrong: CREDENTIALS_KEY is not the key the stored cloud keys were sealed with.');
      expect(refused.body).not.toContain(secret);
      expect(mustStop).toEqual(['credentials_key_wrong']);
    } finally {
      h.t.s.config = config;
      delete h.t.s.processMustStop;
    }
    expect((await adminClient.get('/settings/cloud-keys')).body).not.toContain('after-rekey');
  });

  it('gives members 403', async () => {
    const member = await h.signIn(alice);
    expect((await member.get('/settings/cloud-keys')).status).toBe(403);
    expect((await member.get('/labs')).body).not.toContain('href="/settings/cloud-keys"');
  });
});

describe('people the bot no longer works for', () => {
  it('are refused on every page once removed from the team, and get no new link', async () => {
    const carol = chatActor({ platform: 'slack', id: 'UCAROL', name: 'carol' });
    const client = await h.signIn(carol);
    expect((await client.get('/labs')).status).toBe(200);
    await removeMember(h.t.s, { actor: admin, target: { platform: 'slack', id: 'UCAROL', name: 'carol' }, requestId: 'remove-carol' });
    const refused = await client.get('/labs');
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('removed from the team');
    await expect(h.linkToken(carol)).rejects.toMatchObject({ code: 'not_in_team' });
  });
});

describe('the Audit page', () => {
  const from = new Date('2026-03-01T00:00:00.000Z');
  let adminClient: ConsoleClient;

  beforeAll(async () => {
    // 300 entries of March 2026, a few types, two actors and resources.
    const types = ['plan.created', 'ttl.extended', 'member.role_changed', 'command.invoked', 'auth.login'] as const;
    await appendAuditBatch(
      h.t.s.db,
      h.t.s.clock,
      Array.from({ length: 300 }, (_, index) => ({
        eventType: types[index % types.length]!,
        actor: { type: 'user' as const, id: index % 2 === 0 ? 'UEVEN' : 'UODD', name: index % 2 === 0 ? 'even' : '=odd' },
        platform: 'slack' as const,
        resource: { type: 'environment', id: `env-${String(index % 7).padStart(6, '0')}` },
        outcome: 'ok' as const,
        details: { index },
        occurredAt: new Date(from.getTime() + index * 3600_000),
      })),
    );
    adminClient = await h.signIn(admin);
  });

  async function direct(conditions: Parameters<typeof and>) {
    return h.t.s.db
      .select()
      .from(auditLog)
      .where(and(...conditions))
      .orderBy(desc(auditLog.occurredAt), desc(auditLog.id));
  }

  function idsOnPage(page: string): number[] {
    return [...page.matchAll(/data-entry-id="(\d+)"/g)].map((match) => Number(match[1]));
  }

  it('shows exactly the entries a direct query returns for a date range and a category, page after page', async () => {
    const query = 'from=2026-03-02&to=2026-03-09&type=environments';
    const expected = await direct([
      gte(auditLog.occurredAt, new Date('2026-03-02T00:00:00.000Z')),
      lte(auditLog.occurredAt, new Date('2026-03-09T23:59:59.999Z')),
      eq(auditLog.category, 'environments'),
    ]);
    expect(expected.length).toBeGreaterThan(60);
    const seen: number[] = [];
    let path: string | undefined = `/settings/audit?${query}`;
    while (path) {
      const page = await adminClient.get(path);
      expect(page.status).toBe(200);
      seen.push(...idsOnPage(page.body));
      const older = /href="(\/settings\/audit\?[^"]*before=[^"]*)"[^>]*>Older entries/.exec(page.body);
      path = older ? older[1]!.replace(/&amp;/g, '&') : undefined;
    }
    expect(seen).toEqual(expected.map((row) => row.id));
  });

  it('filters by one event, an actor and a resource', async () => {
    const page = await adminClient.get('/settings/audit?from=2026-03-01&to=2026-03-31&type=ttl.extended&actor=UODD&resource=env-000003');
    const expected = await direct([
      gte(auditLog.occurredAt, from),
      eq(auditLog.eventType, 'ttl.extended'),
      eq(auditLog.actorId, 'UODD'),
      eq(auditLog.resourceId, 'env-000003'),
    ]);
    expect(expected.length).toBeGreaterThan(0);
    expect(idsOnPage(page.body)).toEqual(expected.map((row) => row.id));
    expect(page.body).toContain('<option value="ttl.extended" selected>');
  });

  it('reads a page in three statements: the session with its member, the chain’s state, and the entries', async () => {
    const pool = h.t.s.db.$client;
    const spy = vi.spyOn(pool, 'query');
    let page: Awaited<ReturnType<ConsoleClient['get']>>;
    let statements: string[];
    try {
      page = await adminClient.get('/settings/audit?from=2026-03-02&to=2026-03-09&type=ttl.extended');
      statements = spy.mock.calls.map(([query]) => (typeof query === 'string' ? query : (query as { text: string }).text));
    } finally {
      spy.mockRestore();
    }
    expect(page.status).toBe(200);
    expect(idsOnPage(page.body).length).toBeGreaterThan(0);
    // A session's last use is written at most once a minute: such a write is not part of reading the page.
    const reads = statements.filter((text) => !/^update "console_sessions"/.test(text));
    expect(reads).toHaveLength(3);
    expect(reads[0]).toMatch(/from "console_sessions" left join "members"/);
    expect(reads.slice(1).every((text) => /from "audit_log"/.test(text))).toBe(true);
    expect(reads.some((text) => /select max\("audit_log"."id"\)/.test(text))).toBe(true);
  });

  it('refuses filters it cannot read, saying why', async () => {
    const page = await adminClient.get('/settings/audit?from=2026-03-09&to=2026-03-01');
    expect(page.status).toBe(400);
    expect(page.body).toContain('starts');
    expect((await adminClient.get('/settings/audit?type=nope')).body).toContain('Unknown audit type');
  });

  it('exports exactly the filtered entries as /audit export writes them, and audits the export', async () => {
    const response = await adminClient.get('/settings/audit/export.csv?from=2026-03-02&to=2026-03-09&type=environments');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="audit-2026-03-02-to-2026-03-09.csv"');
    const rows = parse(response.body, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual([...CSV_COLUMNS]);
    const expected = await direct([
      gte(auditLog.occurredAt, new Date('2026-03-02T00:00:00.000Z')),
      lte(auditLog.occurredAt, new Date('2026-03-09T23:59:59.999Z')),
      eq(auditLog.category, 'environments'),
    ]);
    expect(rows.map((row) => Number(row.id))).toEqual(expected.map((row) => row.id).reverse());
    expect(new Set(rows.map((row) => row.actor_name))).toEqual(new Set(['even', "'=odd"]));
    expect(response.body).toContain('\r\n');
    // Appended once the last row has been read out of Postgres, which may be just after the response ended.
    const entry = await eventually(async () => {
      const [row] = await h.t.s.db.select().from(auditLog).where(eq(auditLog.eventType, 'audit.exported')).orderBy(desc(auditLog.id));
      return row;
    });
    expect(entry).toMatchObject({ actorId: USERS.admin.id, outcome: 'ok', resourceId: 'audit-2026-03-02-to-2026-03-09.csv' });
    expect(entry!.details).toMatchObject({ door: 'console', count: rows.length, filters: { types: [...AUDIT_EVENTS.environments] } });
  });

  it('shows an entry’s full details', async () => {
    const [row] = await direct([eq(auditLog.actorId, 'UODD')]);
    const page = await adminClient.get(`/settings/audit/entries/${row!.id}`);
    expect(page.body).toContain(row!.hash);
    expect(page.body).toContain(row!.prevHash);
    expect(page.body).toContain('&quot;index&quot;');
    expect((await adminClient.get('/settings/audit/entries/999999999')).status).toBe(404);
  });
});
