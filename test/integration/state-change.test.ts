import { addHours } from 'date-fns';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/audit/types.js';
import { verifyChain } from '../../src/audit/verify.js';
import { ManualClock } from '../../src/clock.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { environments } from '../../src/db/schema/environments.js';
import type { Services } from '../../src/services.js';
import { sessionDbOf } from '../../src/db/session.js';
import { acquireEnvLock } from '../../src/provisioners/lock.js';
import { transitionAudited, transitionAuditedUnlocking } from '../../workflows/state-change.js';
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

  it('on the connection that holds the lab\'s lock, gives the lock back in the statement that moves the lab, or after it when it does not', async () => {
    const advisoryHolders = async () =>
      (await s.db.$client.query("select pid from pg_locks l join pg_database d on d.oid = l.database where l.locktype = 'advisory' and d.datname = current_database()")).rowCount;
    for (const [envId, state] of [['env-move04', 'deploying'], ['env-move05', 'destroying']] as const) {
      await seedLab(envId);
      if (state === 'destroying') await s.db.update(environments).set({ state }).where(eq(environments.id, envId));
      const lock = await acquireEnvLock(s.db.$client, envId, undefined);
      expect(await advisoryHolders()).toBe(1);
      const runningAt = clock.now();
      const moved = await lock.releaseIn(async (client, key) => {
        const row = await transitionAuditedUnlocking(
          s,
          sessionDbOf(client),
          { id: envId, platform: 'slack' },
          'deploying',
          'running',
          { runningAt, expiresAt: addHours(runningAt, 1), maxExpiresAt: addHours(runningAt, 2), endpoints: {} },
          [{ eventType: 'deployment.completed', actor: WORKER }],
          key,
        );
        // Moved: the lock went back with the move. Not moved: it is still held, and releaseIn gives it back.
        expect(await advisoryHolders()).toBe(row ? 0 : 1);
        return { value: row, unlocked: row !== undefined };
      });
      expect(moved?.state).toBe(state === 'deploying' ? 'running' : undefined);
      expect(await advisoryHolders()).toBe(0);
    }
  });
});
