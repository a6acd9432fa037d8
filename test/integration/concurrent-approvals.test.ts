import { and, eq } from 'drizzle-orm';
import { chatActor } from '../../src/domain/actor.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionInvocation } from '../../src/chat/types.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { decisions } from '../../src/db/schema/decisions.js';
import { handleInvocation } from '../../commands/index.js';
import { jobIds } from '../../src/queue/jobs.js';
import { requestEnvironment } from '../../workflows/request.js';
import { createTestServices, USERS, type TestServices } from '../support/services.js';

let t: TestServices;
beforeAll(async () => {
  t = await createTestServices();
});
afterAll(async () => {
  await t.close();
});

describe('20 concurrent Approve clicks on one plan', () => {
  it('give one decision, one deploy job and 20 audit entries', async () => {
    const plan = await requestEnvironment(t.s, { actor: chatActor(USERS.alice), channelId: 'C1', presetId: 'soc-platform', requestId: 'r0' });
    const click = (index: number): ActionInvocation => ({
      kind: 'action',
      requestId: `click-${index}`,
      platform: 'slack',
      user: USERS.approver,
      channelId: 'CAPPROVALS',
      receivedAt: new Date(),
      actionId: 'approve',
      value: plan.id,
      message: undefined,
    });
    const replies = await Promise.all(Array.from({ length: 20 }, (_, index) => handleInvocation(t.s, click(index))));

    expect(await t.s.db.select().from(decisions).where(eq(decisions.envId, plan.id))).toHaveLength(1);
    expect(replies.filter((reply) => /already approved/i.test(reply.view.text))).toHaveLength(19);
    expect(await t.s.jobs.has('deploy', jobIds.deploy(plan.id))).toBe(true);
    const deployCounts = await t.queue.jobCounts();
    const deployJobs = deployCounts.filter((row) => row.queue === 'deploy').reduce((sum, row) => sum + row.count, 0);
    expect(deployJobs).toBe(1);

    const clicks = await t.s.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.eventType, 'action.clicked'), eq(auditLog.resourceId, plan.id)));
    expect(clicks).toHaveLength(20);
    expect(clicks.filter((row) => row.outcome === 'ok')).toHaveLength(1);
    const approvals = await t.s.db.select().from(auditLog).where(and(eq(auditLog.eventType, 'plan.approved'), eq(auditLog.resourceId, plan.id)));
    expect(approvals).toHaveLength(1);
  });
});
