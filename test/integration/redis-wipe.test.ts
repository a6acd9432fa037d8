import { and, eq } from 'drizzle-orm';
import { chatActor } from '../../src/domain/actor.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit.js';
import type { UserRef } from '../../src/domain/users.js';
import { jobIds } from '../../src/queue/jobs.js';
import { decidePlan } from '../../workflows/decide.js';
import { getEnvironment } from '../../workflows/environment-queries.js';
import { runReconcile } from '../../workflows/reconcile.js';
import { requestEnvironment } from '../../workflows/request.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis-server.js';
import { createTestServices, eventually, USERS, type TestServices } from '../support/services.js';

let redis: PrivateRedis;
let t: TestServices;
beforeAll(async () => {
  redis = await startPrivateRedis();
  // Long reminders for the lab that stays, so its timers are all in the future after the wipe.
  t = await createTestServices({ redisUrl: redis.url, settings: { REMINDER_OFFSETS: '30m,2s' } });
});
afterAll(async () => {
  await t.close();
  await redis.stop();
});

const countEvents = async (envId: string, eventType: string) =>
  (await t.s.db.select().from(auditLog).where(and(eq(auditLog.resourceId, envId), eq(auditLog.eventType, eventType)))).length;

describe('Redis wiped (FLUSHALL) with labs running and plans pending, then restart', () => {
  it('destroys every overdue lab and brings back the next timer of each running lab, exactly once', async () => {
    const workers = await t.startWorkers();
    const approve = async (presetId: string, ttlSeconds: number, requester: UserRef = USERS.alice) => {
      const plan = await requestEnvironment(t.s, { actor: chatActor(requester), channelId: 'C1', presetId, ttlSeconds, requestId: `r-${presetId}` });
      if (plan.state === 'pending_approval') {
        await decidePlan(t.s, { envId: plan.id, actor: chatActor(USERS.approver), decision: 'approve', requestId: `d-${plan.id}` });
      }
      return eventually(async () => {
        const env = await getEnvironment(t.s, plan.id);
        return env.state === 'running' ? env : undefined;
      }, 15_000, `${plan.id} running`);
    };
    const shortLived = await approve('quick-sandbox', 2);
    const longLived = await approve('soc-platform', 3600, USERS.bob);
    const pending = await requestEnvironment(t.s, { actor: chatActor(USERS.bob), channelId: 'C1', presetId: 'ir-dfir-lab', requestId: 'r-pending' });

    await workers.stop(2000);
    await redis.flushAll();
    // The short lab's expiry passes while Redis is empty and no worker runs.
    await eventually(async () => (Date.now() > shortLived.expiresAt!.getTime() + 200 ? true : undefined), 5000, 'the short lab to be overdue');

    await t.startWorkers();
    const report = await runReconcile(t.s);
    // One timer per running lab: its next one (the short lab's reminder or expiry, the long lab's first reminder).
    expect((report.restored.remind ?? 0) + (report.restored.expire ?? 0)).toBe(2);
    expect(report.restored['approval-expire']).toBe(1);
    // A second pass finds nothing missing: the timers exist once.
    const again = await runReconcile(t.s);
    expect(again.restored.remind ?? 0).toBe(0);
    expect(again.restored.expire ?? 0).toBe(0);
    expect(again.restored['approval-expire'] ?? 0).toBe(0);

    await eventually(async () => ((await getEnvironment(t.s, shortLived.id)).state === 'destroyed' ? true : undefined), 15_000, 'overdue lab destroyed');
    expect(await countEvents(shortLived.id, 'ttl.expired')).toBe(1);
    expect(await countEvents(shortLived.id, 'destroy.completed')).toBe(1);

    const expiresAt = longLived.expiresAt!;
    // The long lab's next timer is its first reminder; the later reminder and the expiry follow from it as it runs.
    expect(await t.s.jobs.has('remind', jobIds.remind(longLived.id, 1800, expiresAt))).toBe(true);
    expect(await t.s.jobs.has('remind', jobIds.remind(longLived.id, 2, expiresAt))).toBe(false);
    expect(await t.s.jobs.has('expire', jobIds.expire(longLived.id, expiresAt))).toBe(false);
    expect(await t.s.jobs.has('approval-expire', jobIds.approvalExpire(pending.id))).toBe(true);
    expect((await getEnvironment(t.s, longLived.id)).state).toBe('running');
    expect(await countEvents(longLived.id, 'ttl.reminder_sent')).toBe(0);
  });
});
