import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatActor } from '../../src/domain/actor.js';
import { revokeApiKey } from '../../workflows/api-keys.js';
import { ApiHarness } from '../support/api-harness.js';
import { USERS } from '../support/services.js';

/**
 * Keys never appear in logs (at any level), audit entries, answers or URLs: after a run that uses keys every way a
 * client might, right and wrong (a key in the query string, in the path, mistyped, revoked), the logs at trace level,
 * every table, the answers and Redis are scanned for each key and for its secret part.
 */
let h: ApiHarness;
const keys: string[] = [];
const seen: string[] = [];

beforeAll(async () => {
  h = await ApiHarness.start({ settings: { API_RATE_LIMIT: '1000' } });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function call(...args: Parameters<ApiHarness['call']>) {
  const answer = await h.call(...args);
  seen.push(answer.text, JSON.stringify([...answer.headers.entries()]));
  return answer;
}

describe('keys stay secret', () => {
  it('leave no trace of themselves in logs, the database, answers or Redis', async () => {
    const writer = await h.keyFor(USERS.alice, 'write', 'alice-ci');
    const admin = await h.keyFor(USERS.admin, 'write', 'adam-ci');
    const revoked = await h.keyFor(USERS.bob, 'write', 'bob-old');
    keys.push(writer, admin, revoked);
    await revokeApiKey(h.t.s, { actor: chatActor(USERS.bob), ref: 'bob-old', requestId: 'scan-revoke' });

    const lab = await call('POST', '/api/v1/environments', { key: writer, body: { preset: 'soc-platform', name: 'scan' } });
    expect(lab.status).toBe(201);
    const id = (lab.json as { id: string }).id;
    await call('GET', `/api/v1/environments/${id}`, { key: writer });
    await call('GET', `/api/v1/environments?key=${writer}`, { key: writer });
    await call('GET', `/api/v1/environments/${writer}`, { key: writer });
    await call('GET', `/api/v1/${admin}`, { key: admin });
    await call('GET', `/api/v1/audit/events?actor=${admin}`, { key: admin });
    await call('GET', `/api/v1/audit/events?resource=${writer}`, { key: admin });
    await call('GET', '/api/v1/audit/events.csv', { key: admin });
    await call('GET', '/api/v1/presets', { key: `${writer}x` });
    await call('GET', '/api/v1/presets', { key: writer.slice(0, -1) });
    await call('GET', '/api/v1/presets', { headers: { authorization: writer } });
    await call('GET', '/api/v1/presets', { key: revoked });
    await call('POST', '/api/v1/environments', { key: admin, body: { preset: writer } });
    await call('POST', `/api/v1/environments/${id}/reject`, { key: admin, body: { reason: 'not now', extra: revoked } });
    // A key pasted into a free-text field: a name is refused (it would be shown in channels), a reason is stored masked.
    const named = await call('POST', '/api/v1/environments', { key: writer, body: { preset: 'soc-platform', name: writer } });
    expect(named.status).toBe(422);
    expect(named.json).toMatchObject({ code: 'invalid_name', field: 'body/name' });
    const rejected = await call('POST', `/api/v1/environments/${id}/reject`, { key: admin, body: { reason: `pasted ${revoked} by mistake` } });
    expect(rejected.status, rejected.text).toBe(200);
    expect(h.logLines.length).toBeGreaterThan(3);

    const tables = await h.t.s.db.execute<{ table_name: string }>(sql`select table_name from information_schema.tables where table_schema = 'public'`);
    const dumps: string[] = [];
    for (const { table_name: table } of tables.rows) {
      const rows = await h.t.s.db.execute(sql`select * from ${sql.identifier(table)}`);
      dumps.push(JSON.stringify(rows.rows));
    }
    const redisKeys = await h.redis.keys(`${h.t.prefix}*`);
    expect(redisKeys.some((key) => key.includes(':api:'))).toBe(true);

    const places: Record<string, string> = { logs: h.logLines.join('\n'), database: dumps.join('\n'), redis: redisKeys.join('\n') };
    for (const key of keys) {
      // Any 16 characters of the secret part would be a trace.
      const fragments = [key.slice(13, 29), key.slice(29)];
      for (const [where, text] of Object.entries(places)) {
        for (const fragment of fragments) expect(text.includes(fragment), `part of a key in the ${where}`).toBe(false);
      }
    }
    // No answer sends a key back (a refused preset is quoted only up to 40 characters).
    const answers = seen.join('\n');
    expect(answers.includes(admin.slice(13))).toBe(false);
    expect(answers.includes(writer.slice(13))).toBe(false);
  });
});
