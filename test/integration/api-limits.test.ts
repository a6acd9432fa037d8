import { asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit.js';
import { ManualClock } from '../../src/clock.js';
import { ApiHarness } from '../support/api-harness.js';
import { USERS } from '../support/services.js';

/**
 * Rate limits, kept in Redis: per key (API_RATE_LIMIT a minute, across every web process), and per client address for
 * requests without a valid key, before anything is written; refusals without a key are audited at most once per
 * address and window.
 */
const LIMIT = 5;
let h: ApiHarness;

beforeAll(async () => {
  h = await ApiHarness.start({ settings: { API_RATE_LIMIT: String(LIMIT) }, servers: 2 });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function apiRequestEntries(requestIds: (string | null)[]) {
  const ids = requestIds.filter((id): id is string => id !== null);
  return h.t.s.db.select().from(auditLog).where(inArray(auditLog.requestId, ids)).orderBy(asc(auditLog.id));
}

describe('per key', () => {
  it('answers 429 with Retry-After past API_RATE_LIMIT a minute, counted across web processes, and audits each', async () => {
    const key = await h.keyFor(USERS.alice, 'read', 'alice-busy');
    const other = await h.keyFor(USERS.bob, 'read', 'bob-calm');
    const answers = [];
    for (let index = 0; index < LIMIT + 2; index += 1) answers.push(await h.call('GET', '/api/v1/presets', { key }, index % 2));
    expect(answers.map((answer) => answer.status)).toEqual([...Array(LIMIT).fill(200), 429, 429]);
    const limited = answers[LIMIT]!;
    expect(limited.headers.get('content-type')).toBe('application/problem+json');
    expect(limited.json).toMatchObject({ type: 'urn:aithroyz:problem:rate_limited', status: 429 });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Another key has a limit of its own.
    expect((await h.call('GET', '/api/v1/presets', { key: other })).status).toBe(200);
    const entries = await apiRequestEntries(answers.map((answer) => answer.headers.get('x-request-id')));
    expect(entries.map((entry) => [entry.actorName, entry.details.status, entry.outcome])).toEqual([
      ...Array(LIMIT).fill(['alice-busy', 200, 'ok']),
      ['alice-busy', 429, 'denied'],
      ['alice-busy', 429, 'denied'],
    ]);
  });
});

describe('without a valid key', () => {
  it('limits per client address and writes the refusals of a window once, with the count of the window before', async () => {
    const before = await h.t.s.db.select().from(auditLog).where(eq(auditLog.actorId, 'unauthenticated'));
    const statuses: number[] = [];
    for (let index = 0; index < LIMIT + 3; index += 1) {
      const key = index % 2 === 0 ? `aitz_${'Q'.repeat(40)}` : undefined;
      statuses.push((await h.call('GET', '/api/v1/environments', key ? { key } : {}, index % 2)).status);
    }
    expect(statuses).toEqual([...Array(LIMIT).fill(401), 429, 429, 429]);
    const after = await h.t.s.db.select().from(auditLog).where(eq(auditLog.actorId, 'unauthenticated'));
    const written = after.filter((row) => !before.some((old) => old.id === row.id));
    // One entry for the window, or two when the run crossed into the next minute (that one counts the window before).
    expect(written.length).toBeGreaterThanOrEqual(1);
    expect(written.length).toBeLessThanOrEqual(2);
    expect(written[0]).toMatchObject({ eventType: 'api.request', actorType: 'api_key', actorName: 'no valid key', outcome: 'denied' });
    expect(written[0]!.details).toMatchObject({ status: 401, client_address: '127.0.0.1' });
    // A valid key is not held back by the address's refusals.
    const key = await h.keyFor(USERS.approver, 'read', 'ana-after-flood');
    expect((await h.call('GET', '/api/v1/presets', { key })).status).toBe(200);
  });
});

describe('the refusal ledger', () => {
  it('carries the count of the window before into the first entry of the next window', async () => {
    const clock = new ManualClock('2026-11-26T12:00:10.000Z');
    const own = await ApiHarness.start({ settings: { API_RATE_LIMIT: '100' }, clock });
    try {
      const unauthenticated = () => own.t.s.db.select().from(auditLog).where(eq(auditLog.actorId, 'unauthenticated')).orderBy(asc(auditLog.id));
      for (let index = 0; index < 4; index += 1) expect((await own.call('GET', '/api/v1/presets', { key: `aitz_${'Z'.repeat(36)}` })).status).toBe(401);
      expect(await unauthenticated()).toHaveLength(1);
      clock.set('2026-11-26T12:01:05.000Z');
      expect((await own.call('GET', '/api/v1/presets')).status).toBe(401);
      const entries = await unauthenticated();
      expect(entries.map((entry) => entry.details.refused_in_previous_window)).toEqual([0, 4]);
    } finally {
      await own.close();
    }
  });
});
