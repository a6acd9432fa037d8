import { parse } from 'csv-parse/sync';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit.js';
import { createLogger } from '../../src/log.js';
import type { ChatWorld, WorldPlatform } from '../fakes/chat-world.js';
import { openFlowWorld, type FlowWorld } from '../support/flow-world.js';
import { envIdIn, type Flow, readable } from '../support/flows.js';
import { eventually, FAST_SETTINGS } from '../support/services.js';

/**
 * API keys end to end, on the fake Slack and the fake Mattermost, against the whole bot: a key created in chat (shown
 * once, to its owner only), a lab requested through the REST API and approved in the channel, its status and the audit
 * CSV read through the API, the key revoked in chat, and the next request refused (401) and audited.
 */
const KEY = /aitz_[0-9A-Za-z]{40}/;

describe.each<WorldPlatform>(['slack', 'mattermost'])('API keys on %s', (platform) => {
  let opened: FlowWorld | undefined;
  let world: ChatWorld;
  let flow: Flow;
  const logLines: string[] = [];

  beforeAll(async () => {
    opened = await openFlowWorld(platform, 'api-e2e', {
      settings: { MIN_TTL: FAST_SETTINGS.MIN_TTL!, LOCAL_PROVISIONER_STEP_MS: FAST_SETTINGS.LOCAL_PROVISIONER_STEP_MS!, LOG_LEVEL: 'trace' },
      log: createLogger('trace', { write: (line: string) => void logLines.push(line) }),
    });
    ({ world, flow } = opened);
  }, 60_000);

  afterAll(async () => {
    await opened?.close();
  });

  async function api(method: string, path: string, key: string, body?: unknown) {
    const response = await fetch(`${world.appUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, text, requestId: response.headers.get('x-request-id'), type: response.headers.get('content-type') };
  }

  it('creates a key in chat, drives a lab through the API, and a revoked key is refused and audited', async () => {
    const { alice, ana, adam } = world.people;

    // alice creates a write key: the reply only she sees holds it, once.
    const created = await flow.command(alice, '/apikey create ci-pipeline --scope write --expires 30d');
    const key = KEY.exec(created.text)?.[0];
    expect(key, created.text).toBeDefined();
    expect(created.text).toContain('shown only this once');
    const adminKey = KEY.exec((await flow.command(adam, '/apikey create siem')).text)?.[0];
    expect(adminKey).toBeDefined();
    const listed = await flow.command(alice, '/apikey list');
    expect(listed.text).toContain('ci-pipeline');
    expect(listed.text).toContain(key!.slice(0, 13));
    expect(listed.text).not.toContain(key!);
    // Creating a second key of the same name is refused.
    await flow.command(alice, '/apikey create ci-pipeline', 'invalid');

    // A lab through the API: the approval card appears in the channel, ana approves it there.
    const requested = await api('POST', '/environments', key!, { preset: 'soc-platform', ttl: '2h', name: 'pipeline 42' });
    expect(requested.status, requested.text).toBe(201);
    const envId = envIdIn(requested.text);
    const card = await flow.approvalCard(envId);
    expect(readable(card.text)).toContain('alice');
    await flow.click(ana, card, 'approve');
    const status = await eventually(async () => {
      const answer = await api('GET', `/environments/${envId}`, key!);
      const body = JSON.parse(answer.text) as { state: string };
      return body.state === 'running' ? body : undefined;
    }, 20_000, `${envId} running`);
    expect(status).toMatchObject({ state: 'running', owner: { name: 'alice' } });
    // The DMs go to the key's owner.
    await flow.dm(alice, (text) => text.includes(envId), 'the lab DM');

    // The audit CSV through the API (adam's read key): the plan names the key, the approval ana.
    const csv = await api('GET', `/audit/events.csv?resource=environment:${envId}`, adminKey!);
    expect(csv.status, csv.text).toBe(200);
    expect(csv.type).toBe('text/csv; charset=utf-8');
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    expect(rows.find((row) => row.event_type === 'plan.created')).toMatchObject({ actor_type: 'api_key', actor_name: 'ci-pipeline', actor_id: key!.slice(0, 13) });
    expect(rows.find((row) => row.event_type === 'plan.approved')).toMatchObject({ actor_type: 'user', actor_name: 'ana' });

    // Revoked in chat: the next request is 401, and audited under the key's name.
    await flow.command(alice, '/apikey revoke ci-pipeline');
    const refused = await api('GET', `/environments/${envId}`, key!);
    expect(refused.status).toBe(401);
    expect(refused.type).toBe('application/problem+json');
    const [entry] = await world.app.services.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.eventType, 'api.request'), eq(auditLog.requestId, refused.requestId!)));
    expect(entry).toMatchObject({ actorType: 'api_key', actorName: 'ci-pipeline', outcome: 'denied' });
    expect(entry!.details).toMatchObject({ refusal: 'revoked', status: 401, route: '/api/v1/environments/:id', path: `/api/v1/environments/${envId}` });
    const keyEvents = await world.app.services.db.select().from(auditLog).where(eq(auditLog.category, 'credentials'));
    expect(keyEvents.map((row) => [row.eventType, row.details.name])).toEqual([
      ['api_key.created', 'ci-pipeline'],
      ['api_key.created', 'siem'],
      ['api_key.revoked', 'ci-pipeline'],
    ]);
    await flow.checkAuditTrail();

    // The key was shown to alice alone, in the one reply: no channel, no DM, no log line, no audit entry holds it.
    const everywhere = [
      ...world.driver.channel(world.approvalsChannel).map((message) => message.text),
      ...[alice, ana, adam, world.people.bob].flatMap((person) => world.driver.dms(person).map((message) => message.text)),
      ...logLines,
      JSON.stringify(await world.app.services.db.select().from(auditLog)),
    ].join('\n');
    expect(logLines.length).toBeGreaterThan(5);
    for (const secret of [key!, adminKey!]) expect(everywhere.includes(secret.slice(13))).toBe(false);
    const shown = world.driver.ephemerals(alice).filter((message) => message.text.includes(key!));
    expect(shown).toHaveLength(1);
    expect(world.driver.ephemerals(ana).some((message) => message.text.includes(key!))).toBe(false);
  }, 90_000);
});
