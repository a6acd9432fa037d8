import { and, eq } from 'drizzle-orm';
import { chatActor } from '../../src/domain/actor.js';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/verify.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { decisions } from '../../src/db/schema/decisions.js';
import { remindersSent } from '../../src/db/schema/reminders.js';
import { simulatedResources } from '../../src/db/schema/simulated.js';
import type { EnvState } from '../../src/domain/lifecycle.js';
import { decidePlan } from '../../workflows/decide.js';
import { getEnvironment } from '../../workflows/environment-queries.js';
import { extendEnvironment } from '../../workflows/extend.js';
import { requestEnvironment } from '../../workflows/request.js';
import { createTestServices, eventually, USERS, type TestServices } from '../support/services.js';

let t: TestServices | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function reachState(envId: string, state: EnvState, timeoutMs = 15_000) {
  return eventually(async () => {
    const env = await getEnvironment(t!.s, envId);
    return env.state === state ? env : undefined;
  }, timeoutMs, `${envId} to be ${state}`);
}

async function eventsOf(envId: string): Promise<string[]> {
  const rows = await t!.s.db
    .select({ eventType: auditLog.eventType })
    .from(auditLog)
    .where(and(eq(auditLog.resourceType, 'environment'), eq(auditLog.resourceId, envId)))
    .orderBy(auditLog.id);
  return rows.map((row) => row.eventType);
}

const request = (presetId: string, ttl?: number) =>
  requestEnvironment(t!.s, { actor: chatActor(USERS.alice), channelId: 'CGENERAL', presetId, requestId: 'req-1', ...(ttl ? { ttlSeconds: ttl } : {}) });

describe('lab lifecycle through the workflows and workers', () => {
  it('request → approve → deploy → remind → extend → expire → destroyed', async () => {
    t = await createTestServices();
    await t.startWorkers();
    const plan = await request('threat-hunting', 3);
    expect(plan.state).toBe('pending_approval');
    const card = await t.notifier.waitFor((call) => call.kind === 'post');
    expect(card.kind === 'post' && card.channelId).toBe('CAPPROVALS');

    await decidePlan(t.s, { envId: plan.id, actor: chatActor(USERS.approver), decision: 'approve', requestId: 'req-2' });
    const running = await reachState(plan.id, 'running');
    expect(Object.keys(running.endpoints).sort()).toEqual(['caldera', 'elastic', 'opencti', 'velociraptor']);
    expect(running.expiresAt!.getTime() - running.runningAt!.getTime()).toBe(3000);

    // The first reminder (2 s before expiry) arrives; extending then re-arms the reminders for the new expiry.
    await t.notifier.waitFor((call) => call.kind === 'dm' && call.view.text.includes('expires in 2s'));
    const extended = await extendEnvironment(t.s, { envId: plan.id, actor: chatActor(USERS.alice), bySeconds: 2, requestId: 'req-3' });
    expect(extended.expiresAt!.getTime()).toBe(running.expiresAt!.getTime() + 2000);

    await reachState(plan.id, 'destroyed', 20_000);
    const final = await getEnvironment(t.s, plan.id);
    expect(final.destroyReason).toBe('expired');
    expect(await t.s.db.select().from(simulatedResources).where(eq(simulatedResources.envId, plan.id))).toHaveLength(0);

    const events = await eventsOf(plan.id);
    expect(events.filter((event) => event !== 'ttl.reminder_sent')).toEqual([
      'plan.created', 'plan.approved', 'deployment.started', 'deployment.completed', 'ttl.extended',
      'ttl.expired', 'destroy.initiated', 'destroy.completed',
    ]);
    // One reminder for the first expiry (the 1 s one was superseded by the extension), two for the new one.
    const reminders = await t.s.db.select().from(remindersSent).where(eq(remindersSent.envId, plan.id));
    expect(reminders).toHaveLength(3);
    expect(events.filter((event) => event === 'ttl.reminder_sent')).toHaveLength(3);

    await t.notifier.waitFor((call) => call.kind === 'dm' && call.view.text.includes('expired and was destroyed'));
    const dms = t.notifier.ofKind('dm').filter((call) => call.userId === USERS.alice.id);
    expect(dms.filter((call) => call.view.text.includes('expires in'))).toHaveLength(3);
    expect(dms.some((call) => call.view.text.includes('is running until'))).toBe(true);
    const updates = t.notifier.ofKind('update');
    expect(updates.some((call) => call.view.text.includes('Approved by <@UAPPROVER|ana>'))).toBe(true);
    const thread = t.notifier.ofKind('reply').map((call) => call.view.text);
    expect(thread.some((text) => text.includes('Elastic Stack (SIEM) ready'))).toBe(true);
    expect(await verifyChain(t.s.db)).toMatchObject({ intact: true });
    // Every timer ran and reported when, against its due time (how late they run under load: the bench's timers suite).
    expect(t.lateness.filter((sample) => sample.kind === 'remind')).toHaveLength(3);
    expect(t.lateness.filter((sample) => sample.kind === 'expire').length).toBeGreaterThanOrEqual(1);
    for (const sample of t.lateness) expect(sample.seconds).toBeGreaterThanOrEqual(0);
  });

  it('request → reject: the card shows the reason and the requester is told', async () => {
    t = await createTestServices();
    await t.startWorkers();
    const plan = await request('soc-platform');
    await t.notifier.waitFor((call) => call.kind === 'post');
    const rejected = await decidePlan(t.s, {
      envId: plan.id, actor: chatActor(USERS.approver), decision: 'reject', reason: 'not this week', requestId: 'req-2',
    });
    expect(rejected.state).toBe('rejected');
    await t.notifier.waitFor((call) => call.kind === 'dm' && call.view.text.includes('not this week'));
    const update = await t.notifier.waitFor((call) => call.kind === 'update');
    expect(update.kind === 'update' && update.view.blocks.some((block) => block.kind === 'actions')).toBe(false);
    expect(await eventsOf(plan.id)).toEqual(['plan.created', 'plan.rejected']);
  });

  it('request → approval expired when nobody decides in time', async () => {
    t = await createTestServices({ settings: { APPROVAL_TIMEOUT: '1s' } });
    await t.startWorkers();
    const plan = await request('ir-dfir-lab');
    await reachState(plan.id, 'approval_expired', 10_000);
    const [decision] = await t.s.db.select().from(decisions).where(eq(decisions.envId, plan.id));
    expect(decision?.outcome).toBe('expired');
    await t.notifier.waitFor((call) => call.kind === 'dm' && call.view.text.includes('Expired without a decision'));
    expect(await eventsOf(plan.id)).toEqual(['plan.created', 'plan.expired']);
    await expect(
      decidePlan(t.s, { envId: plan.id, actor: chatActor(USERS.approver), decision: 'approve', requestId: 'late' }),
    ).rejects.toMatchObject({ code: 'already_decided' });
  });

  it('deploy failure → retries → cleanup → deploy_failed, with nothing left behind', async () => {
    t = await createTestServices({ settings: { LOCAL_PROVISIONER_FAIL: 'portainer' } });
    await t.startWorkers();
    const plan = await request('quick-sandbox');
    expect(plan.state).toBe('approved');
    const failed = await reachState(plan.id, 'deploy_failed', 20_000);
    expect(failed.failureReason).toContain('Portainer');
    expect(await t.s.db.select().from(simulatedResources).where(eq(simulatedResources.envId, plan.id))).toHaveLength(0);
    expect(await eventsOf(plan.id)).toEqual([
      'plan.created', 'plan.approved', 'deployment.started', 'deployment.failed', 'destroy.initiated', 'destroy.completed',
    ]);
    await t.notifier.waitFor((call) => call.kind === 'dm' && call.view.text.includes('failed to deploy'));
  });
});
