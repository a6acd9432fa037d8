import { addHours } from 'date-fns';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/audit/types.js';
import { verifyChain } from '../../src/audit/verify.js';
import { ManualClock } from '../../src/clock.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { environments } from '../../src/db/schema/environments.js';
import type { Services } from '../../src/services.js';
import { transitionAudited } from '../../workflows/state-change.js';
import { createTestServices, type TestServices } from '../support/services.js';

const WORKER = systemActor('worker');
const clock = new ManualClock(new Date('2026-03-02T10:00:00.000Z'));
let services: TestServices;
let s: Services;

beforeAll(async () => {
  services = await createTestServices({ clock });
  s = services.s;
});

afterAll(async () => {
  await services.close();
});

async function seedLab(id: string): Promise<void> {
  const now = clock.now();
  await s.db.insert(environments).values({
    id,
    presetId: 'soc-platform',
    platform: 'slack',
    ownerId: 'UOWNER',
    ownerName: 'owen',
    requestChannelId: 'CGENERAL',
    state: 'deploying',
    ttlSeconds: 3600,
    requestedAt: now,
    approvalDeadline: addHours(now, 1),
    failureReason: 'an earlier attempt',
    updatedAt: now,
  });
}

async function entriesOf(envId: string) {
  return s.db.select().from(auditLog).where(eq(auditLog.resourceId, envId)).orderBy(auditLog.id);
}

describe('a move outside a transaction (one prepared statement per shape)', () => {
  it('sets each value of its patch, nulls what the patch nulls, and writes its entries, each time it runs', async () => {
    for (const [index, envId] of ['env-move01', 'env-move02'].entries()) {
      await seedLab(envId);
      clock.advance(60_000);
      const runningAt = clock.now();
      const moved = await transitionAudited(s, s.db, { id: envId, platform: 'slack' }, 'deploying', 'running', { runningAt, expiresAt: addHours(runningAt, 1), maxExpiresAt: addHours(runningAt, 2), endpoints: { siem: `https://siem.${envId}` }, failureReason: null }, [
        { eventType: 'deployment.completed', actor: WORKER, details: { run: index } },
      ]);
      expect(moved).toMatchObject({ id: envId, state: 'running', version: 1, runningAt, expiresAt: addHours(runningAt, 1), endpoints: { siem: `https://siem.${envId}` }, failureReason: null, updatedAt: runningAt });
      const [entry] = await entriesOf(envId);
      expect(entry).toMatchObject({ eventType: 'deployment.completed', platform: 'slack', resourceType: 'environment', resourceId: envId, actorId: 'worker', details: { run: index }, occurredAt: runningAt });
    }
    expect(await verifyChain(s.db)).toMatchObject({ intact: true, checked: 2 });
  });

  it('moves nothing and writes nothing when the lab is not in a from state', async () => {
    await seedLab('env-move03');
    const args = [s, s.db, { id: 'env-move03', platform: 'slack' }, 'approved', 'deploying', {}, [{ eventType: 'deployment.started', actor: WORKER }]] as const;
    expect(await transitionAudited(...args)).toBeUndefined();
    expect(await entriesOf('env-move03')).toEqual([]);
    const [row] = await s.db.select().from(environments).where(eq(environments.id, 'env-move03'));
    expect(row).toMatchObject({ state: 'deploying', version: 0 });
  });
});
