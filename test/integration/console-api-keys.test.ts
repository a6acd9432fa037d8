import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit.js';
import { apiKeys } from '../../src/db/schema/api-keys.js';
import { chatActor } from '../../src/domain/actor.js';
import { API_KEY_PATTERN } from '../../src/domain/api-keys.js';
import { createApiKey } from '../../workflows/api-keys.js';
import { csrfIn, startConsoleHarness, type ConsoleClient, type ConsoleHarness } from '../support/console.js';
import { USERS } from '../support/services.js';

/**
 * Settings → API keys over HTTP, beside the REST API as the app serves them: a key created in the console is shown
 * once and then only by its prefix, works against the API until it is revoked there and is refused (401) after;
 * members manage only their own keys, admins anyone's; every POST needs the form's CSRF token; no log line holds a key.
 */
let h: ConsoleHarness;
const admin = chatActor(USERS.admin);
const alice = chatActor(USERS.alice);
const bob = chatActor(USERS.bob);

beforeAll(async () => {
  h = await startConsoleHarness({ api: true, keepLogs: true, settings: { API_RATE_LIMIT: '1000' } });
});
afterAll(async () => {
  await h?.close();
});

function callApi(path: string, key: string): Promise<Response> {
  return fetch(`${h.base}${path}`, { headers: { authorization: `Bearer ${key}` } });
}

async function createInConsole(client: ConsoleClient, form: Record<string, string>): Promise<{ status: number; body: string; key?: string }> {
  const page = await client.get('/settings/api-keys');
  const answer = await client.post('/settings/api-keys', { ...form, _csrf: csrfIn(page.body) });
  const key = /value="(aitz_[0-9A-Za-z]+)"/.exec(answer.body)?.[1];
  return { status: answer.status, body: answer.body, ...(key ? { key } : {}) };
}

describe('Settings → API keys', () => {
  it('creates a key shown once, lists it by prefix, revokes it, and the API refuses it from then on; no log line holds it', async () => {
    const client = await h.signIn(alice);
    const empty = await client.get('/settings/api-keys');
    expect(empty.status).toBe(200);
    expect(empty.body).toContain('aria-current="page">API keys');
    expect(empty.body).toContain('No API keys yet.');
    expect(empty.body).not.toMatch(/\sstyle=|<style|<script(?![^>]*\ssrc=)/i);

    const created = await createInConsole(client, { name: 'ci-pipeline', scope: 'write', expiresInDays: '30' });
    expect(created.status).toBe(201);
    expect(created.key).toMatch(API_KEY_PATTERN);
    const key = created.key!;
    expect(created.body).toContain('shown this once');
    const [row] = await h.t.s.db.select().from(apiKeys).where(eq(apiKeys.name, 'ci-pipeline'));
    expect(row!.scope).toBe('write');
    expect(row!.expiresAt.getTime() - row!.createdAt.getTime()).toBe(30 * 86_400_000);
    expect(created.body).toContain(row!.prefix);

    expect((await callApi('/api/v1/presets', key)).status).toBe(200);
    const listed = await client.get('/settings/api-keys');
    expect(listed.body).not.toContain(key);
    expect(listed.body).toContain(row!.prefix);
    expect(listed.body).toContain('ci-pipeline');
    expect(listed.body).toMatch(/<span class="badge">write<\/span>/);
    expect(listed.body).not.toContain('>never<'); // used once against the API just now

    const confirm = await client.get(`/settings/api-keys/${row!.prefix}/revoke`);
    expect(confirm.body).toContain('Revoke the key ci-pipeline?');
    const revoked = await client.post(`/settings/api-keys/${row!.prefix}/revoke`, { _csrf: csrfIn(confirm.body) });
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get('location')).toBe('/settings/api-keys?revoked=ci-pipeline');
    expect((await client.get(revoked.headers.get('location')!)).body).toContain('The key ci-pipeline was revoked');
    expect((await callApi('/api/v1/presets', key)).status).toBe(401);
    expect((await client.get('/settings/api-keys')).body).not.toContain(row!.prefix);

    const entries = await h.t.s.db.select().from(auditLog).where(eq(auditLog.category, 'credentials'));
    const ofKey = entries.filter((entry) => entry.resourceId === row!.prefix).map((entry) => `${entry.eventType} ${entry.outcome} ${String(entry.details.door)}`);
    expect(ofKey).toEqual(['api_key.created ok console', 'api_key.revoked ok console']);
    expect(JSON.stringify(await h.t.s.db.select().from(auditLog))).not.toContain(key);
    expect(h.logLines.length).toBeGreaterThan(0);
    expect(h.logLines.filter((line) => line.includes(key) || line.includes(key.slice(5)))).toEqual([]);
  });

  it('refuses a bad name, scope or expiry, saying why, and creates nothing', async () => {
    const client = await h.signIn(bob);
    const badName = await createInConsole(client, { name: 'no spaces here', scope: 'read', expiresInDays: '30' });
    expect(badName.status).toBe(400);
    expect(badName.body).toContain('is not a key name');
    const badScope = await createInConsole(client, { name: 'ok-name', scope: 'admin', expiresInDays: '30' });
    expect(badScope.body).toContain('is not a key scope');
    const badExpiry = await createInConsole(client, { name: 'ok-name', scope: 'read', expiresInDays: '999' });
    expect(badExpiry.body).toContain('between 1 hour and 365 days');
    for (const refused of [badName, badScope, badExpiry]) expect(refused.key).toBeUndefined();
    expect(await h.t.s.db.select().from(apiKeys).where(eq(apiKeys.ownerId, USERS.bob.id))).toEqual([]);
  });

  it('does not let a member see or revoke someone else’s key, and lets an admin revoke anyone’s by prefix', async () => {
    const theirs = await createApiKey(h.t.s, { actor: bob, name: 'bob-tool', scope: 'read', lifetimeSeconds: 86_400 * 7, requestId: 'bob-key' });
    const member = await h.signIn(alice);
    expect((await member.get('/settings/api-keys')).body).not.toContain(theirs.row.prefix);
    expect((await member.get(`/settings/api-keys/${theirs.row.prefix}/revoke`)).status).toBe(404);
    const refused = await member.post(`/settings/api-keys/${theirs.row.prefix}/revoke`, { _csrf: await member.csrf('/settings/api-keys') });
    expect(refused.status).toBe(404);
    expect((await callApi('/api/v1/presets', theirs.key)).status).toBe(200);
    const [stillActive] = await h.t.s.db.select().from(apiKeys).where(eq(apiKeys.prefix, theirs.row.prefix));
    expect(stillActive!.revokedAt).toBeNull();

    const adminClient = await h.signIn(admin);
    const all = await adminClient.get('/settings/api-keys');
    expect(all.body).toContain(theirs.row.prefix);
    expect(all.body).toContain(USERS.bob.name);
    const done = await adminClient.post(`/settings/api-keys/${theirs.row.prefix}/revoke`, { _csrf: csrfIn(all.body) });
    expect(done.status).toBe(303);
    expect((await callApi('/api/v1/presets', theirs.key)).status).toBe(401);
    const [entry] = await h.t.s.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.eventType, 'api_key.revoked'), eq(auditLog.resourceId, theirs.row.prefix)));
    expect(entry!.actorId).toBe(USERS.admin.id);
  });

  it('refuses a POST without the form’s CSRF token, and changes nothing', async () => {
    const client = await h.signIn(alice);
    const created = await createInConsole(client, { name: 'csrf-probe', scope: 'read', expiresInDays: '7' });
    const prefix = created.key!.slice(0, 13);
    const missing = await client.post('/settings/api-keys', { name: 'no-token', scope: 'read', expiresInDays: '7' });
    expect(missing.status).toBe(403);
    expect(missing.body).toContain('did not come from this console');
    const forged = await client.post(`/settings/api-keys/${prefix}/revoke`, { _csrf: 'forged-token' });
    expect(forged.status).toBe(403);
    expect((await client.post(`/settings/api-keys/${prefix}/revoke`, {})).status).toBe(403);
    expect(await h.t.s.db.select().from(apiKeys).where(eq(apiKeys.name, 'no-token'))).toEqual([]);
    expect((await callApi('/api/v1/presets', created.key!)).status).toBe(200);
  });
});
