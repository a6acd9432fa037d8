import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiKeys } from '../../src/db/schema/api-keys.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { environments } from '../../src/db/schema/environments.js';
import { chatActor } from '../../src/domain/actor.js';
import { revokeApiKey } from '../../workflows/api-keys.js';
import { removeMember, setRole } from '../../workflows/team.js';
import { ApiHarness, type ApiAnswer } from '../support/api-harness.js';
import { eventually, USERS } from '../support/services.js';

/**
 * Every route of the REST API, allowed and refused: by role, by scope (a read key changes nothing), by a revoked or
 * expired key, by a key whose owner was demoted. Each request with a key writes one `api.request` entry, and the
 * domain events it causes name the key (actor type api_key).
 */
let h: ApiHarness;
const keys = {} as Record<'alice' | 'aliceRead' | 'bob' | 'approver' | 'approverRead' | 'admin' | 'adminRead', string>;

beforeAll(async () => {
  h = await ApiHarness.start({ settings: { API_RATE_LIMIT: '1000', MAX_ACTIVE_PER_USER: '20' } });
  await h.t.startWorkers();
  keys.alice = await h.keyFor(USERS.alice, 'write', 'alice-ci');
  keys.aliceRead = await h.keyFor(USERS.alice, 'read', 'alice-siem');
  keys.bob = await h.keyFor(USERS.bob, 'write', 'bob-ci');
  keys.approver = await h.keyFor(USERS.approver, 'write', 'ana-ci');
  keys.approverRead = await h.keyFor(USERS.approver, 'read', 'ana-read');
  keys.admin = await h.keyFor(USERS.admin, 'write', 'adam-ci');
  keys.adminRead = await h.keyFor(USERS.admin, 'read', 'adam-siem');
}, 60_000);
afterAll(async () => {
  await h?.close();
});

function expectProblem(answer: ApiAnswer, status: number, code: string): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toBe('application/problem+json');
  expect(answer.json).toMatchObject({ type: `urn:aithroyz:problem:${code}`, status, code, requestId: answer.headers.get('x-request-id') });
}

async function requestLab(key: string, preset = 'soc-platform', body: Record<string, unknown> = {}): Promise<string> {
  const answer = await h.call('POST', '/api/v1/environments', { key, body: { preset, ...body } });
  expect(answer.status, answer.text).toBe(201);
  return (answer.json as { id: string }).id;
}

async function runningLab(key: string): Promise<string> {
  const id = await requestLab(key, 'quick-sandbox', { ttl: '1h' });
  await eventually(async () => {
    const [row] = await h.t.s.db.select().from(environments).where(eq(environments.id, id));
    return row?.state === 'running' ? row : undefined;
  }, 20_000, `${id} running`);
  return id;
}

async function entriesOf(requestId: string | null) {
  return h.t.s.db.select().from(auditLog).where(eq(auditLog.requestId, requestId ?? ''));
}

/** The one `api.request` entry of an answer. */
async function requestEntry(answer: ApiAnswer) {
  const entries = (await entriesOf(answer.headers.get('x-request-id'))).filter((row) => row.eventType === 'api.request');
  expect(entries).toHaveLength(1);
  return entries[0]!;
}

describe('GET /presets', () => {
  it('lists the presets for any valid key, read keys included', async () => {
    const answer = await h.call('GET', '/api/v1/presets', { key: keys.aliceRead });
    expect(answer.status).toBe(200);
    const ids = (answer.json as { presets: { id: string }[] }).presets.map((preset) => preset.id);
    expect(ids).toEqual(expect.arrayContaining(['soc-platform', 'quick-sandbox']));
    const entry = await requestEntry(answer);
    expect(entry).toMatchObject({ actorType: 'api_key', actorName: 'alice-siem', outcome: 'ok', platform: 'slack' });
    expect(entry.actorId).toMatch(/^aitz_[0-9A-Za-z]{8}$/);
    expect(entry.details).toMatchObject({ method: 'GET', route: '/api/v1/presets', path: '/api/v1/presets', status: 200, client_address: '127.0.0.1', owner: 'slack:UALICE', door: 'api' });
    expect(typeof entry.details.latency_ms).toBe('number');
  });

  it('refuses a missing, malformed, unknown key with one 401', async () => {
    for (const key of [undefined, 'nope', 'aitz_short', `aitz_${'x'.repeat(40)}`, `${keys.alice}x`]) {
      const answer = await h.call('GET', '/api/v1/presets', key === undefined ? {} : { key });
      expectProblem(answer, 401, 'unauthorized');
      expect(answer.headers.get('www-authenticate')).toContain('Bearer');
      expect((answer.json as { detail: string }).detail).toBe('A valid API key is required: send it as `Authorization: Bearer aitz_…`.');
    }
    const basic = await h.call('GET', '/api/v1/presets', { headers: { authorization: `Basic ${keys.alice}` } });
    expectProblem(basic, 401, 'unauthorized');
  });
});

describe('environments', () => {
  it('POST /environments requests a lab through the same policy as chat, named by the key in the audit log', async () => {
    const answer = await h.call('POST', '/api/v1/environments', { key: keys.alice, body: { preset: 'soc-platform', ttl: '4h', name: 'CI lab' } });
    expect(answer.status, answer.text).toBe(201);
    const env = answer.json as { id: string; state: string; owner: { id: string }; ttlSeconds: number; name: string };
    expect(env).toMatchObject({ state: 'pending_approval', owner: { id: 'UALICE' }, ttlSeconds: 4 * 3600, name: 'CI lab' });
    expect(answer.headers.get('location')).toBe(`/api/v1/environments/${env.id}`);
    const entries = await entriesOf(answer.headers.get('x-request-id'));
    const created = entries.find((row) => row.eventType === 'plan.created');
    expect(created).toMatchObject({ actorType: 'api_key', actorName: 'alice-ci', resourceId: env.id });
    expect(created!.details).toMatchObject({ door: 'api', owner: 'slack:UALICE' });
    const entry = entries.find((row) => row.eventType === 'api.request');
    expect(entry).toMatchObject({ resourceType: 'environment', resourceId: env.id, outcome: 'ok' });
    // The approval card is posted in the approvals channel, as for a request from chat.
    await h.t.notifier.waitFor((call) => call.kind === 'post' && call.channelId === 'CAPPROVALS' && JSON.stringify(call.view).includes(env.id));
  });

  it('POST /environments refuses a read key, bad input naming the field, unknown fields, and the quota', async () => {
    expectProblem(await h.call('POST', '/api/v1/environments', { key: keys.aliceRead, body: { preset: 'soc-platform' } }), 403, 'read_only_key');
    const unknownPreset = await h.call('POST', '/api/v1/environments', { key: keys.alice, body: { preset: 'nope' } });
    expectProblem(unknownPreset, 422, 'unknown_preset');
    expect(unknownPreset.json).toMatchObject({ field: 'body/preset' });
    const badTtl = await h.call('POST', '/api/v1/environments', { key: keys.alice, body: { preset: 'soc-platform', ttl: 'soon' } });
    expectProblem(badTtl, 422, 'invalid_duration');
    expect(badTtl.json).toMatchObject({ field: 'body/ttl' });
    const longTtl = await h.call('POST', '/api/v1/environments', { key: keys.alice, body: { preset: 'soc-platform', ttl: '30d' } });
    expectProblem(longTtl, 422, 'ttl_too_long');
    expect(longTtl.json).toMatchObject({ field: 'body/ttl' });
    const extra = await h.call('POST', '/api/v1/environments', { key: keys.alice, body: { preset: 'soc-platform', owner: 'UBOB' } });
    expectProblem(extra, 422, 'invalid_field');
    expect((extra.json as { field: string }).field).toBe('body');
    expect((extra.json as { detail: string }).detail).toContain('owner');
    const wrongType = await h.call('POST', '/api/v1/environments', { key: keys.alice, body: { preset: 7 } });
    expectProblem(wrongType, 422, 'invalid_field');
    expect(wrongType.json).toMatchObject({ field: 'body/preset' });
    expectProblem(await h.call('POST', '/api/v1/environments', { key: keys.alice, raw: '{"preset":', contentType: 'application/json' }), 400, 'bad_request');
    expectProblem(await h.call('POST', '/api/v1/environments', { key: keys.alice, raw: 'preset=x', contentType: 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
    const huge = await h.call('POST', '/api/v1/environments', { key: keys.alice, raw: JSON.stringify({ preset: 'x'.repeat(1_100_000) }) });
    expectProblem(huge, 413, 'payload_too_large');
    // Nothing was created by any of them.
    const bobs = await h.t.s.db.select().from(environments).where(eq(environments.ownerId, 'UBOB'));
    expect(bobs).toEqual([]);
  });

  it('POST /environments applies the quota of active labs, as chat does', async () => {
    const carol = { platform: 'slack', id: 'UCAROL', name: 'carol' } as const;
    const key = await h.keyFor(carol, 'write', 'carol-ci');
    for (let index = 0; index < 20; index += 1) await requestLab(key);
    expectProblem(await h.call('POST', '/api/v1/environments', { key, body: { preset: 'soc-platform' } }), 409, 'quota_exceeded');
  });

  it('GET /environments lists your own, everyone’s for admins, filtered by status', async () => {
    const aliceLab = await requestLab(keys.alice);
    const bobLab = await requestLab(keys.bob);
    const own = (await h.call('GET', '/api/v1/environments', { key: keys.aliceRead })).json as { environments: { id: string; owner: { id: string } }[] };
    expect(own.environments.map((env) => env.id)).toContain(aliceLab);
    expect(own.environments.every((env) => env.owner.id === 'UALICE')).toBe(true);
    const all = (await h.call('GET', '/api/v1/environments', { key: keys.adminRead })).json as { environments: { id: string }[] };
    expect(all.environments.map((env) => env.id)).toEqual(expect.arrayContaining([aliceLab, bobLab]));
    const mine = (await h.call('GET', '/api/v1/environments?mine=true', { key: keys.adminRead })).json as { environments: unknown[] };
    expect(mine.environments).toEqual([]);
    const pending = (await h.call('GET', '/api/v1/environments?status=pending_approval', { key: keys.bob })).json as { environments: { state: string }[] };
    expect(pending.environments.length).toBeGreaterThan(0);
    expect(pending.environments.every((env) => env.state === 'pending_approval')).toBe(true);
    const everyonesPending = (await h.call('GET', '/api/v1/environments?status=pending_approval', { key: keys.adminRead })).json as { environments: { id: string; state: string }[] };
    expect(everyonesPending.environments.map((env) => env.id)).toEqual(expect.arrayContaining([aliceLab, bobLab]));
    expect(everyonesPending.environments.every((env) => env.state === 'pending_approval')).toBe(true);
    expect((await h.call('GET', '/api/v1/environments?status=running', { key: keys.adminRead })).json).toEqual({ environments: [] });
    const badStatus = await h.call('GET', '/api/v1/environments?status=sleeping', { key: keys.bob });
    expectProblem(badStatus, 422, 'invalid_field');
    expect(badStatus.json).toMatchObject({ field: 'querystring/status' });
    expectProblem(await h.call('GET', '/api/v1/environments?all=1', { key: keys.bob }), 422, 'invalid_field');
  });

  it('GET /environments/{id}: the owner, approvers and admins; others are refused; unknown ids are 404', async () => {
    const id = await requestLab(keys.alice);
    for (const key of [keys.aliceRead, keys.approverRead, keys.adminRead]) {
      const answer = await h.call('GET', `/api/v1/environments/${id}`, { key });
      expect(answer.status, answer.text).toBe(200);
      expect(answer.json).toMatchObject({ id, preset: 'soc-platform', state: 'pending_approval' });
    }
    expectProblem(await h.call('GET', `/api/v1/environments/${id}`, { key: keys.bob }), 403, 'forbidden');
    expectProblem(await h.call('GET', '/api/v1/environments/env-zzzzzz', { key: keys.admin }), 404, 'not_found');
    expectProblem(await h.call('GET', '/api/v1/environments/not-a-lab', { key: keys.admin }), 404, 'not_found');
  });

  it('POST /environments/{id}/approve and /reject: approver keys, never their own plan, once', async () => {
    const id = await requestLab(keys.alice);
    expectProblem(await h.call('POST', `/api/v1/environments/${id}/approve`, { key: keys.bob }), 403, 'forbidden');
    expectProblem(await h.call('POST', `/api/v1/environments/${id}/approve`, { key: keys.alice }), 403, 'forbidden');
    expectProblem(await h.call('POST', `/api/v1/environments/${id}/approve`, { key: keys.approverRead }), 403, 'read_only_key');
    const approved = await h.call('POST', `/api/v1/environments/${id}/approve`, { key: keys.approver, body: {} });
    expect(approved.status, approved.text).toBe(200);
    expect(approved.json).toMatchObject({ id, state: 'approved' });
    const [decision] = (await entriesOf(approved.headers.get('x-request-id'))).filter((row) => row.eventType === 'plan.approved');
    expect(decision).toMatchObject({ actorType: 'api_key', actorName: 'ana-ci' });
    expectProblem(await h.call('POST', `/api/v1/environments/${id}/reject`, { key: keys.admin, body: { reason: 'too late now' } }), 409, 'already_decided');

    const approverLab = await requestLab(keys.approver);
    expectProblem(await h.call('POST', `/api/v1/environments/${approverLab}/approve`, { key: keys.approver }), 403, 'self_approval');
    const noReason = await h.call('POST', `/api/v1/environments/${approverLab}/reject`, { key: keys.admin, body: { reason: 'no' } });
    expectProblem(noReason, 422, 'reason_required');
    expect(noReason.json).toMatchObject({ field: 'body/reason' });
    expectProblem(await h.call('POST', `/api/v1/environments/${approverLab}/reject`, { key: keys.admin }), 422, 'invalid_field');
    const rejected = await h.call('POST', `/api/v1/environments/${approverLab}/reject`, { key: keys.admin, body: { reason: 'not this quarter' } });
    expect(rejected.status, rejected.text).toBe(200);
    expect(rejected.json).toMatchObject({ state: 'rejected' });
  });

  it('POST /environments/{id}/extend and /destroy: the owner or an admin, write keys, in the right state', async () => {
    const id = await runningLab(keys.alice);
    expectProblem(await h.call('POST', `/api/v1/environments/${id}/extend`, { key: keys.aliceRead, body: { by: '1h' } }), 403, 'read_only_key');
    expectProblem(await h.call('POST', `/api/v1/environments/${id}/extend`, { key: keys.bob, body: { by: '1h' } }), 403, 'not_owner');
    const badBy = await h.call('POST', `/api/v1/environments/${id}/extend`, { key: keys.alice, body: { by: 'later' } });
    expectProblem(badBy, 422, 'invalid_duration');
    expect(badBy.json).toMatchObject({ field: 'body/by' });
    const tooFar = await h.call('POST', `/api/v1/environments/${id}/extend`, { key: keys.alice, body: { by: '30d' } });
    expectProblem(tooFar, 422, 'ttl_over_max');
    const extended = await h.call('POST', `/api/v1/environments/${id}/extend`, { key: keys.alice, body: { by: '1h' } });
    expect(extended.status, extended.text).toBe(200);
    const [extension] = (await entriesOf(extended.headers.get('x-request-id'))).filter((row) => row.eventType === 'ttl.extended');
    expect(extension).toMatchObject({ actorType: 'api_key', actorName: 'alice-ci' });

    expectProblem(await h.call('POST', `/api/v1/environments/${id}/destroy`, { key: keys.bob }), 403, 'not_owner');
    expectProblem(await h.call('POST', `/api/v1/environments/${id}/destroy`, { key: keys.aliceRead }), 403, 'read_only_key');
    const destroyed = await h.call('POST', `/api/v1/environments/${id}/destroy`, { key: keys.admin });
    expect(destroyed.status, destroyed.text).toBe(202);
    expect(destroyed.json).toMatchObject({ id, state: 'destroying' });
    expectProblem(await h.call('POST', `/api/v1/environments/${id}/destroy`, { key: keys.alice }), 409, 'not_destroyable');
    expectProblem(await h.call('POST', `/api/v1/environments/${id}/extend`, { key: keys.alice, body: { by: '1h' } }), 409, 'not_running');
  });
});

describe('audit', () => {
  it('GET /audit/events: admins page through the filtered entries with a cursor; others are refused', async () => {
    expectProblem(await h.call('GET', '/api/v1/audit/events', { key: keys.approver }), 403, 'forbidden');
    expectProblem(await h.call('GET', '/api/v1/audit/events', { key: keys.alice }), 403, 'forbidden');
    const seen: number[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const query: string = `type=api&limit=7${cursor ? `&cursor=${cursor}` : ''}`;
      const answer = await h.call('GET', `/api/v1/audit/events?${query}`, { key: keys.adminRead });
      expect(answer.status, answer.text).toBe(200);
      const page = answer.json as { entries: { id: number; event: string }[]; next: string | null };
      expect(page.entries.every((entry) => entry.event === 'api.request')).toBe(true);
      seen.push(...page.entries.map((entry) => entry.id));
      cursor = page.next;
      pages += 1;
    }
    expect(pages).toBeGreaterThan(2);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(new Set(seen).size).toBe(seen.length);

    const lab = await requestLab(keys.alice);
    const about = (await h.call('GET', `/api/v1/audit/events?resource=environment:${lab}&type=plan.created`, { key: keys.admin })).json as {
      entries: { resource: { id: string }; actor: { type: string; name: string } }[];
    };
    expect(about.entries).toHaveLength(1);
    expect(about.entries[0]).toMatchObject({ resource: { id: lab }, actor: { type: 'api_key', name: 'alice-ci' } });
    const byActor = (await h.call('GET', `/api/v1/audit/events?actor=UADMIN&type=team`, { key: keys.admin })).json as { entries: unknown[] };
    expect(byActor.entries).toEqual([]);

    const badType = await h.call('GET', '/api/v1/audit/events?type=nope', { key: keys.admin });
    expectProblem(badType, 422, 'invalid_filter');
    expect(badType.json).toMatchObject({ field: 'querystring/type' });
    expectProblem(await h.call('GET', '/api/v1/audit/events?from=yesterday', { key: keys.admin }), 422, 'invalid_filter');
    expectProblem(await h.call('GET', '/api/v1/audit/events?from=2026-12-01&to=2026-11-01', { key: keys.admin }), 422, 'invalid_filter');
    expectProblem(await h.call('GET', '/api/v1/audit/events?limit=1001', { key: keys.admin }), 422, 'invalid_field');
    expectProblem(await h.call('GET', '/api/v1/audit/events?cursor=abc', { key: keys.admin }), 422, 'invalid_field');
  });

  it('GET /audit/events.csv streams the export of /audit export to admins', async () => {
    expectProblem(await h.call('GET', '/api/v1/audit/events.csv', { key: keys.bob }), 403, 'forbidden');
    const answer = await h.call('GET', '/api/v1/audit/events.csv?type=environments', { key: keys.adminRead });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(answer.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = answer.text.split('\r\n');
    expect(lines[0]).toBe('id,occurred_at,category,event_type,actor_type,actor_id,actor_name,platform,channel_id,resource_type,resource_id,outcome,details,request_id,hash');
    expect(lines.filter((line) => line !== '').length).toBeGreaterThan(5);
    expect(lines.slice(1).filter((line) => line !== '').every((line) => line.includes(',environments,'))).toBe(true);
    const exported = await eventually(async () => (await entriesOf(answer.headers.get('x-request-id'))).find((row) => row.eventType === 'audit.exported'));
    expect(exported).toMatchObject({ actorType: 'api_key', actorName: 'adam-siem' });
  });

  it('GET /audit/verify reads the last check and the head; POST starts one (202)', async () => {
    expectProblem(await h.call('GET', '/api/v1/audit/verify', { key: keys.approver }), 403, 'forbidden');
    expectProblem(await h.call('POST', '/api/v1/audit/verify', { key: keys.alice }), 403, 'forbidden');
    const before = (await h.call('GET', '/api/v1/audit/verify', { key: keys.adminRead })).json as { last: unknown; head: { id: number } | null };
    expect(before.last).toBeNull();
    expect(before.head?.id).toBeGreaterThan(0);
    const started = await h.call('POST', '/api/v1/audit/verify', { key: keys.admin });
    expect(started.status, started.text).toBe(202);
    expect(started.json).toEqual({ status: 'started', requestId: started.headers.get('x-request-id') });
    const last = await eventually(async () => {
      const state = (await h.call('GET', '/api/v1/audit/verify', { key: keys.adminRead })).json as { last: { intact: boolean; checked: number; trigger: string } | null };
      return state.last ?? undefined;
    }, 20_000, 'a verification');
    expect(last).toMatchObject({ intact: true, trigger: 'command' });
    expect(last.checked).toBeGreaterThan(10);
    // The check the key started is the key's act, as every event an API request causes is.
    const verified = (await entriesOf(started.headers.get('x-request-id'))).find((row) => row.eventType === 'audit.verified');
    expect(verified).toMatchObject({ actorType: 'api_key', actorName: 'adam-ci', outcome: 'ok', details: { door: 'api', owner: 'slack:UADMIN', trigger: 'command' } });
    expect(verified?.actorId).toMatch(/^aitz_[0-9A-Za-z]{8}$/);
  });
});

describe('keys lose their power at once', () => {
  it('a revoked key is refused with the same 401, and the refusal is audited under its name', async () => {
    const key = await h.keyFor(USERS.bob, 'write', 'bob-revoked');
    expect((await h.call('GET', '/api/v1/presets', { key })).status).toBe(200);
    await revokeApiKey(h.t.s, { actor: chatActor(USERS.bob), ref: 'bob-revoked', requestId: 'revoke-1' });
    for (const [method, path] of [['GET', '/api/v1/presets'], ['GET', '/api/v1/environments'], ['POST', '/api/v1/environments'], ['GET', '/api/v1/audit/events']] as const) {
      const answer = await h.call(method, path, { key, ...(method === 'POST' ? { body: { preset: 'soc-platform' } } : {}) });
      expectProblem(answer, 401, 'unauthorized');
      const entry = await requestEntry(answer);
      expect(entry).toMatchObject({ actorType: 'api_key', actorName: 'bob-revoked', outcome: 'denied' });
      expect(entry.details).toMatchObject({ refusal: 'revoked', status: 401, route: path });
    }
  });

  it('an expired key is refused the same way', async () => {
    const key = await h.keyFor(USERS.bob, 'read', 'bob-expired');
    await h.t.s.db.update(apiKeys).set({ expiresAt: new Date(Date.now() - 1000) }).where(and(eq(apiKeys.name, 'bob-expired'), eq(apiKeys.ownerId, 'UBOB')));
    const answer = await h.call('GET', '/api/v1/presets', { key });
    expectProblem(answer, 401, 'unauthorized');
    expect((await requestEntry(answer)).details).toMatchObject({ refusal: 'expired' });
  });

  it('a key whose owner was demoted loses the role at the next request', async () => {
    const dora = { platform: 'slack', id: 'UDORA', name: 'dora' } as const;
    await setRole(h.t.s, { actor: chatActor(USERS.admin), target: dora, role: 'admin', requestId: 'promote-dora' });
    const key = await h.keyFor(dora, 'write', 'dora-ci');
    const lab = await requestLab(keys.bob);
    expect((await h.call('GET', '/api/v1/audit/events?limit=1', { key })).status).toBe(200);
    expect((await h.call('GET', `/api/v1/environments/${lab}`, { key })).status).toBe(200);
    await setRole(h.t.s, { actor: chatActor(USERS.admin), target: dora, role: 'member', requestId: 'demote-dora' });
    expectProblem(await h.call('GET', '/api/v1/audit/events?limit=1', { key }), 403, 'forbidden');
    expectProblem(await h.call('GET', '/api/v1/audit/events.csv', { key }), 403, 'forbidden');
    expectProblem(await h.call('GET', '/api/v1/audit/verify', { key }), 403, 'forbidden');
    expectProblem(await h.call('POST', '/api/v1/audit/verify', { key }), 403, 'forbidden');
    expectProblem(await h.call('GET', `/api/v1/environments/${lab}`, { key }), 403, 'forbidden');
    expectProblem(await h.call('POST', `/api/v1/environments/${lab}/approve`, { key }), 403, 'forbidden');
    expectProblem(await h.call('POST', `/api/v1/environments/${lab}/destroy`, { key }), 403, 'not_owner');
    const listed = (await h.call('GET', '/api/v1/environments', { key })).json as { environments: unknown[] };
    expect(listed.environments).toEqual([]);
  });

  it('a key whose owner was removed from the team is refused on every route at the next request', async () => {
    const erin = { platform: 'slack', id: 'UERIN', name: 'erin' } as const;
    await setRole(h.t.s, { actor: chatActor(USERS.admin), target: erin, role: 'approver', requestId: 'promote-erin' });
    const key = await h.keyFor(erin, 'write', 'erin-ci');
    const own = await requestLab(key);
    const other = await requestLab(keys.bob);
    expect((await h.call('GET', `/api/v1/environments/${own}`, { key })).status).toBe(200);
    await removeMember(h.t.s, { actor: chatActor(USERS.admin), target: erin, requestId: 'remove-erin' });
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/v1/presets'],
      ['GET', '/api/v1/environments'],
      ['POST', '/api/v1/environments', { preset: 'soc-platform' }],
      ['GET', `/api/v1/environments/${own}`],
      ['POST', `/api/v1/environments/${own}/destroy`],
      ['POST', `/api/v1/environments/${other}/approve`],
      ['POST', `/api/v1/environments/${other}/reject`, { reason: 'not from erin' }],
      ['POST', `/api/v1/environments/${own}/extend`, { by: '1h' }],
    ];
    for (const [method, path, body] of calls) {
      const answer = await h.call(method, path, { key, ...(body !== undefined ? { body } : {}) });
      expectProblem(answer, 403, 'not_in_team');
      expect((await requestEntry(answer)).outcome).toBe('denied');
    }
    const [plan] = await h.t.s.db.select().from(environments).where(eq(environments.id, other));
    expect(plan?.state).toBe('pending_approval');
  });

  it('reads the key with its owner’s standing in one statement: a GET costs three, with the list and the entry', async () => {
    // The first use refreshes last_used_at; later ones within the minute write nothing but the entry.
    expect((await h.call('GET', '/api/v1/environments', { key: keys.aliceRead })).status).toBe(200);
    const pool = h.t.s.db.$client;
    const spy = vi.spyOn(pool, 'query');
    let answer: ApiAnswer;
    let statements: string[];
    try {
      answer = await h.call('GET', '/api/v1/environments', { key: keys.aliceRead });
      statements = spy.mock.calls.map(([query]) => (typeof query === 'string' ? query : (query as { text: string }).text));
    } finally {
      spy.mockRestore();
    }
    expect(answer.status).toBe(200);
    const onThePath = statements.filter((text) => /"?(api_keys|members|environments|audit_pending)"?/.test(text));
    expect(onThePath).toHaveLength(3);
    expect(onThePath[0]).toMatch(/from "api_keys" left join "members"/);
    expect(onThePath[1]).toMatch(/from "environments"/);
    expect(onThePath[2]).toMatch(/insert into audit_pending/);
    expect((await requestEntry(answer)).outcome).toBe('ok');
  });
});

describe('routes the API does not have', () => {
  it('answers 404 and 405 as problems, after the key', async () => {
    expectProblem(await h.call('GET', '/api/v1/nothing-here', { key: keys.alice }), 404, 'not_found');
    const wrongMethod = await h.call('DELETE', '/api/v1/environments', { key: keys.alice });
    expectProblem(wrongMethod, 405, 'method_not_allowed');
    expect(wrongMethod.headers.get('allow')).toContain('GET');
    expectProblem(await h.call('GET', '/api/v1/nothing-here'), 401, 'unauthorized');
  });
});
