import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAuditBatch } from '../../src/audit/append-batch.js';
import { openAuditExport } from '../../src/audit/export.js';
import type { AuditEntryInput } from '../../src/audit/types.js';
import { verifyChain } from '../../src/audit/verify.js';
import { ManualClock } from '../../src/clock.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const ENTRIES = 200_000;
const SLICE = 50_000;
/** Live memory growth allowed while the whole export is read: well under the size of the CSV, so buffering it would fail. */
const MEMORY_BOUND_BYTES = 32 * 1024 * 1024;
/** Live memory is measured after a full collection, this often (in CSV bytes read). */
const SAMPLE_EVERY_BYTES = 8 * 1024 * 1024;

let database: TestDatabase;
const clock = new ManualClock('2026-11-26T12:00:00.000Z');
const start = Date.parse('2026-11-01T00:00:00.000Z');

function entry(index: number): AuditEntryInput {
  return {
    eventType: index % 3 === 0 ? 'command.invoked' : 'plan.created',
    actor: { type: 'user', id: `U${index % 50}`, name: `user-${index % 50}` },
    platform: 'slack',
    channelId: 'C0123456',
    resource: { type: 'environment', id: `env-${(index % 1_000_000).toString(36).padStart(6, '0')}` },
    outcome: 'ok',
    details: { index, preset: 'web-pentest', reason: `=cmd|' /C calc'!A0 ${'lorem ipsum '.repeat(12)}` },
    requestId: `req-${index}`,
    occurredAt: new Date(start + index * 1000),
  };
}

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Memory held by live objects (JS heap and buffers), garbage collected first so only what is retained counts. */
function liveMemory(): number {
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

beforeAll(async () => {
  database = await createTestDatabase();
  for (let offset = 0; offset < ENTRIES; offset += SLICE) {
    await appendAuditBatch(database.db, clock, Array.from({ length: SLICE }, (_, index) => entry(offset + index)));
  }
}, 180_000);
afterAll(async () => {
  await database.drop();
});

describe('exporting 200,000 entries', () => {
  it('streams them all with flat memory', async () => {
    const baseline = liveMemory();
    let peak = baseline;
    let bytes = 0;
    let nextSample = SAMPLE_EVERY_BYTES;
    let lines = 0;
    let tail = '';
    const csv = await openAuditExport(database.db, { from: new Date(start), to: clock.now(), types: [] });
    expect(csv.summary.count).toBe(ENTRIES);
    for await (const chunk of csv.stream) {
      const text = String(chunk);
      bytes += Buffer.byteLength(text);
      for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines += 1;
      tail = (tail + text).slice(-2000);
      if (bytes >= nextSample) {
        peak = Math.max(peak, liveMemory());
        nextSample += SAMPLE_EVERY_BYTES;
      }
    }
    const done = await csv.done;

    expect(done).toEqual({ count: ENTRIES, firstAt: new Date(start), lastAt: new Date(start + (ENTRIES - 1) * 1000) });
    expect(lines).toBe(ENTRIES + 1);
    expect(tail).toMatch(/\r\n200000,2026-11-03T07:33:19\.000Z,environments,plan\.created,[^\r\n]*\r\n$/);
    expect(bytes).toBeGreaterThan(2 * MEMORY_BOUND_BYTES);
    expect(peak - baseline).toBeLessThan(MEMORY_BOUND_BYTES);
  }, 120_000);

  it('loaded a chain that verifies', async () => {
    expect(await verifyChain(database.db)).toMatchObject({ checked: ENTRIES, intact: true, head: { id: ENTRIES } });
  }, 120_000);
});
